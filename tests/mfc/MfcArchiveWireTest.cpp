// CArchive in MFC style: the Win32 types, long, CString and CObjects go out
// with the bytes MFC's documented CArchive format gives them (little-endian
// fixed sizes, CString's length prefixes, TN002's object tags), and come back.
#include <afx.h>

#include "ArchiveTestSupport.h"
#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

#include <string>

namespace {

using xsock::test::Bytes;
using xsock::test::Concat;
using xsock::test::Hex;
using xsock::test::Loader;
using xsock::test::Stored;
using xsock::test::ToHex;

class CMsg : public CObject {
    DECLARE_SERIAL(CMsg)
  public:
    CMsg() = default;
    void Serialize(CArchive& ar) override {
        if (ar.IsStoring()) {
            ar << m_bClose << m_strText;
        } else {
            ar >> m_bClose >> m_strText;
        }
    }
    BOOL m_bClose = FALSE;
    CString m_strText;
};
IMPLEMENT_SERIAL(CMsg, CObject, 1)

// The cause of the CArchiveException* `action` throws (freed here), or -1.
template <class Action>
int ArchiveCause(Action&& action) {
    try {
        action();
    } catch (CArchiveException* e) {
        const int cause = e->m_cause;
        e->Delete();
        return cause;
    }
    return -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(Win32TypesHaveWindowsSizes) {
    static_assert(sizeof(BYTE) == 1 && sizeof(WORD) == 2 && sizeof(DWORD) == 4);
    static_assert(sizeof(LONG) == 4 && sizeof(BOOL) == 4 && sizeof(UINT) == 4);
    static_assert(sizeof(LONGLONG) == 8 && sizeof(ULONGLONG) == 8);
    BOOST_CHECK(TRUE == 1 && FALSE == 0);
}

BOOST_AUTO_TEST_CASE(NumbersAreLittleEndianWithMfcSizes) {
    const Bytes bytes = Stored([](CArchive& ar) {
        ar << BYTE{0x12} << WORD{0x1234} << DWORD{0x12345678u} << LONG{-2} << BOOL{TRUE} << true
           << 1.0f << 1.0 << LONGLONG{1} << static_cast<SHORT>(-1);
    });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("12  34 12  78 56 34 12  FE FF FF FF  01 00 00 00  01"
                                              "  00 00 80 3F  00 00 00 00 00 00 F0 3F"
                                              "  01 00 00 00 00 00 00 00  FF FF")));
    Loader in(bytes);
    BYTE b = 0;
    WORD w = 0;
    DWORD d = 0;
    LONG l = 0;
    BOOL flag = FALSE;
    bool boolean = false;
    float f = 0;
    double x = 0;
    LONGLONG ll = 0;
    SHORT s = 0;
    in.ar >> b >> w >> d >> l >> flag >> boolean >> f >> x >> ll >> s;
    BOOST_CHECK_EQUAL(b, 0x12);
    BOOST_CHECK_EQUAL(w, 0x1234);
    BOOST_CHECK_EQUAL(d, 0x12345678u);
    BOOST_CHECK_EQUAL(l, -2);
    BOOST_CHECK_EQUAL(flag, TRUE);
    BOOST_CHECK(boolean);
    BOOST_CHECK_EQUAL(f, 1.0f);
    BOOST_CHECK_EQUAL(x, 1.0);
    BOOST_CHECK_EQUAL(ll, 1);
    BOOST_CHECK_EQUAL(s, -1);
    BOOST_CHECK(in.ar.IsBufferEmpty());
}

// MFC's long is LONG: a member declared long keeps its 4 bytes on the wire.
BOOST_AUTO_TEST_CASE(LongIsFourBytesAsInMfc) {
    const long negative = -3;
    const unsigned long large = 0xFFFFFFFFul;
    const Bytes bytes = Stored([&](CArchive& ar) { ar << negative << large; });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("FD FF FF FF  FF FF FF FF")));
    Loader in(bytes);
    long a = 0;
    unsigned long b = 0;
    in.ar >> a >> b;
    BOOST_CHECK_EQUAL(a, -3);
    BOOST_CHECK_EQUAL(b, 0xFFFFFFFFul);
}

BOOST_AUTO_TEST_CASE(ALongThatMfcCouldNotHoldIsRefusedNotCut) {
    if constexpr (sizeof(long) > 4) {
        CMemFile file;
        CArchive ar(&file, CArchive::store);
        const long tooBig = static_cast<long>(1) << 40;
        BOOST_CHECK_EQUAL(ArchiveCause([&] { ar << tooBig; }), CArchiveException::genericException);
        ar.Abort();
    }
}

// A narrow CString is in the archive's code page, Windows-1252 by default:
// U+00E9 is the one byte E9 (CodePageTest has the conversions).
BOOST_AUTO_TEST_CASE(CStringGoesOutAsMfcNarrowAndWideStrings) {
    const CStringA empty, abc("abc"), accent("\xC3\xA9");
    const CStringA longer(CStringA('x', 255));
    const CStringW wide(L"a\u00e9");
    const Bytes bytes =
        Stored([&](CArchive& ar) { ar << empty << abc << accent << longer << wide; });
    Bytes x255(255, 'x');
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Concat({Hex("00  03 61 62 63  01 E9  FF FF 00"), x255,
                                                  Hex("FF FE FF 02 61 00 E9 00")})));
    Loader in(bytes);
    CStringA a1, a2, a3, a4;
    CStringW w1;
    in.ar >> a1 >> a2 >> a3 >> a4 >> w1;
    BOOST_CHECK(a1.IsEmpty());
    BOOST_CHECK(a2 == "abc");
    BOOST_CHECK(a3 == accent);
    BOOST_CHECK_EQUAL(a4.GetLength(), 255);
    BOOST_CHECK(w1 == L"a\u00e9");
}

// A reader takes either form into either CString, converting, as MFC's does.
BOOST_AUTO_TEST_CASE(EitherStringFormLoadsIntoEitherCString) {
    Loader in(Hex("FF FE FF 02 61 00 E9 00  01 E9"));
    CStringA narrow;
    CStringW wide;
    in.ar >> narrow >> wide;
    BOOST_CHECK(narrow == "a\xC3\xA9");
    BOOST_CHECK(wide == L"\u00e9");
}

// TN002: a new class, the same object again, a second object of the class.
BOOST_AUTO_TEST_CASE(CObjectsCarryTn002Tags) {
    CMsg first, second;
    first.m_strText = "hi";
    second.m_bClose = TRUE;
    const Bytes bytes = Stored([&](CArchive& ar) { ar << &first << &first << &second; });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("FF FF 01 00 04 00 43 4D 73 67  00 00 00 00 02 68 69"
                                              "  02 00"
                                              "  01 80 01 00 00 00 00")));
    Loader in(bytes);
    CMsg* a = nullptr;
    CMsg* b = nullptr;
    CObject* c = nullptr;
    in.ar >> a >> b;
    c = in.ar.ReadObject(RUNTIME_CLASS(CMsg));
    BOOST_REQUIRE(a != nullptr && c != nullptr);
    BOOST_CHECK_EQUAL(a, b);
    BOOST_CHECK(a->m_strText == "hi");
    CMsg* third = DYNAMIC_DOWNCAST(CMsg, c);
    BOOST_REQUIRE(third != nullptr);
    BOOST_CHECK_EQUAL(third->m_bClose, TRUE);
    delete a;
    delete third;
}

// The CHATTER idiom: one message object serialized again and again.
BOOST_AUTO_TEST_CASE(SerializeDirectlyWritesOnlyTheData) {
    CMsg msg;
    msg.m_strText = "a";
    const Bytes bytes = Stored([&](CArchive& ar) {
        msg.Serialize(ar);
        msg.Serialize(ar);
    });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("00 00 00 00 01 61  00 00 00 00 01 61")));
}

BOOST_AUTO_TEST_CASE(FailuresAreThrownAsCArchiveExceptionPointers) {
    {
        Loader in(Hex("01 00"));
        LONG value = 0;
        BOOST_CHECK_EQUAL(ArchiveCause([&] { in.ar >> value; }), CArchiveException::endOfFile);
    }
    {
        // A class nobody registered.
        Loader in(Hex("FF FF 01 00 04 00 43 58 59 5A"));
        CObject* object = nullptr;
        BOOST_CHECK_EQUAL(ArchiveCause([&] { in.ar >> object; }), CArchiveException::badClass);
        BOOST_CHECK(object == nullptr);
    }
    {
        CMemFile file;
        CArchive ar(&file, CArchive::store);
        CString line;
        BOOST_CHECK_EQUAL(ArchiveCause([&] { ar >> line; }), CArchiveException::writeOnly);
        ar.Abort();
    }
}

BOOST_AUTO_TEST_CASE(ReadStringAndWriteStringAreTextLines) {
    const Bytes bytes = Stored([](CArchive& ar) {
        ar.WriteString("first\r\n");
        ar.WriteString("second\n");
    });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("66 69 72 73 74 0D 0A 73 65 63 6F 6E 64 0A")));
    Loader in(bytes);
    CString line;
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == "first");
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == "second");
    BOOST_CHECK(!in.ar.ReadString(line));
}
