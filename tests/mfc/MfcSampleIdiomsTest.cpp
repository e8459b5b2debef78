// Idioms of MFC's own socket samples that a port keeps unchanged: a
// DYNCREATE class whose constructor is protected ("create from serialization
// only"), the debug-build Dump overrides with BASED_CODE and DEBUG_NEW,
// AfxMessageBox with a string resource id and a MB_YESNO retry loop, wsprintf
// into a CString's buffer, and walking a list from a const member.
#include <afxcoll.h>
#include <afxsock.h>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>

// MFC's debug builds put these two lines at the top of every source file.
static char BASED_CODE THIS_FILE[] = __FILE__;
#define new DEBUG_NEW

namespace {

class CProtectedDoc : public CObject {
  protected:  // create from serialization only
    CProtectedDoc() = default;
    DECLARE_DYNCREATE(CProtectedDoc)

  public:
    int m_nValue = 42;
    CPtrList m_viewList;

    // As CDocument::GetNextView walks its views from a const member.
    INT_PTR CountViews() const {
        INT_PTR count = 0;
        for (POSITION pos = m_viewList.GetHeadPosition(); pos != nullptr;) {
            if (m_viewList.GetNext(pos) != nullptr) {
                ++count;
            }
        }
        return count;
    }

    void Dump(CDumpContext& dc) const override {
        CObject::Dump(dc);
        dc << "m_nValue = " << m_nValue << "\n";
    }
};
IMPLEMENT_DYNCREATE(CProtectedDoc, CObject)

class CProtectedMsg : public CObject {
  protected:
    CProtectedMsg() = default;
    DECLARE_SERIAL(CProtectedMsg)

  public:
    void Serialize(CArchive& ar) override {
        if (ar.IsStoring()) {
            ar << m_wValue;
        } else {
            ar >> m_wValue;
        }
    }
    WORD m_wValue = 0;
};
IMPLEMENT_SERIAL(CProtectedMsg, CObject, 1)

std::string ReadBack(std::FILE* file) {
    std::rewind(file);
    std::string text;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, file) != nullptr) {
        text += buffer;
    }
    return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(AProtectedConstructorStillCreatesFromTheRuntimeClass) {
    std::unique_ptr<CObject> object(RUNTIME_CLASS(CProtectedDoc)->CreateObject());
    BOOST_REQUIRE(object != nullptr);
    BOOST_REQUIRE(object->IsKindOf(RUNTIME_CLASS(CProtectedDoc)));
    BOOST_CHECK_EQUAL(static_cast<CProtectedDoc*>(object.get())->m_nValue, 42);

    std::unique_ptr<CObject> stored(RUNTIME_CLASS(CProtectedMsg)->CreateObject());
    static_cast<CProtectedMsg*>(stored.get())->m_wValue = 0x1234;
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        ar << stored.get();
    }
    file.SeekToBegin();
    CArchive ar(&file, CArchive::load);
    CObject* loaded = nullptr;
    ar >> loaded;
    std::unique_ptr<CObject> owner(loaded);
    CProtectedMsg* msg = DYNAMIC_DOWNCAST(CProtectedMsg, loaded);
    BOOST_REQUIRE(msg != nullptr);
    BOOST_CHECK_EQUAL(msg->m_wValue, 0x1234);
}

BOOST_AUTO_TEST_CASE(DumpWritesTheClassAndWhatTheOverrideAdds) {
    std::unique_ptr<CObject> object(RUNTIME_CLASS(CProtectedDoc)->CreateObject());
    std::FILE* out = std::tmpfile();
    BOOST_REQUIRE(out != nullptr);
    CDumpContext dc(out);
    dc << *object;
    dc << static_cast<const CObject*>(nullptr) << "\n";
    dc.Flush();
    const std::string text = ReadBack(out);
    std::fclose(out);
    BOOST_CHECK_MESSAGE(text.find("a CProtectedDoc at $") == 0, text);
    BOOST_CHECK_MESSAGE(text.find("m_nValue = 42\n") != std::string::npos, text);
    BOOST_CHECK_MESSAGE(text.find("NULL\n") != std::string::npos, text);
    BOOST_CHECK(std::string(THIS_FILE).find("MfcSampleIdiomsTest.cpp") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(AMessageBoxWithNoOneToAskDeclines) {
    constexpr UINT IDS_RETRYCONNECT = 61204;
    int attempts = 0;
    // CHATTER's connect loop: it must end when no one answers "yes".
    while (attempts < 3) {
        ++attempts;
        if (AfxMessageBox(IDS_RETRYCONNECT, MB_YESNO) == IDNO) {
            break;
        }
    }
    BOOST_CHECK_EQUAL(attempts, 1);
    BOOST_CHECK_EQUAL(AfxMessageBox(IDS_RETRYCONNECT), IDOK);
    BOOST_CHECK_EQUAL(AfxMessageBox(_T("Cancel?"), MB_OKCANCEL), IDCANCEL);
    BOOST_CHECK_EQUAL(AfxMessageBox(_T("Retry?"), MB_RETRYCANCEL), IDCANCEL);
    BOOST_CHECK_EQUAL(AfxMessageBox(_T("Abort?"), MB_ABORTRETRYIGNORE), IDABORT);
    BOOST_CHECK_EQUAL(AfxMessageBox(_T("Done"), MB_OK | MB_ICONINFORMATION), IDOK);
}

BOOST_AUTO_TEST_CASE(WsprintfFormatsIntoACStringBuffer) {
    CString format = _T("%d messages");
    CString text;
    const int n = wsprintf(text.GetBuffer(50), format, 12);
    text.ReleaseBuffer();
    BOOST_CHECK_EQUAL(n, 11);
    BOOST_CHECK(text == _T("12 messages"));
}

// <windef.h>'s min and max take mixed types, as MFC code calls them.
BOOST_AUTO_TEST_CASE(MinAndMaxTakeMixedTypes) {
    BYTE buffer[4096];
    DWORD dwLeft = 10000;
    const auto nChunk = static_cast<UINT>(min(dwLeft, sizeof(buffer)));
    BOOST_CHECK_EQUAL(nChunk, 4096u);
    BOOST_CHECK_EQUAL(max(-1, 2L), 2L);
    BOOST_CHECK_EQUAL(min(3, 2), 2);
    static_assert(std::is_same_v<decltype(min(WORD{1}, DWORD{2})), DWORD>);
}

BOOST_AUTO_TEST_CASE(AConstListIsWalkedWithGetNext) {
    std::unique_ptr<CObject> object(RUNTIME_CLASS(CProtectedDoc)->CreateObject());
    auto* doc = static_cast<CProtectedDoc*>(object.get());
    int a = 1;
    int b = 2;
    doc->m_viewList.AddTail(&a);
    doc->m_viewList.AddTail(&b);
    BOOST_CHECK_EQUAL(doc->CountViews(), 2);
    const CPtrList& views = doc->m_viewList;
    POSITION pos = views.GetTailPosition();
    BOOST_CHECK(views.GetPrev(pos) == &b);
    BOOST_CHECK(views.GetPrev(pos) == &a);
    BOOST_CHECK(pos == nullptr);
}
