// CString with the members MFC programs use, and MFC's results for them.
#include <afx.h>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <type_traits>

namespace {

// MFC's operator= returns CString&, which chained assignments rely on.
static_assert(std::is_same_v<decltype(std::declval<CString&>() = "x"), CString&>);
// The implicit conversion real code passes to C functions.
static_assert(std::is_convertible_v<CString, LPCTSTR>);

}  // namespace

BOOST_AUTO_TEST_CASE(LengthEmptinessAndConversion) {
    CString text = "hello";
    BOOST_CHECK_EQUAL(text.GetLength(), 5);
    BOOST_CHECK(!text.IsEmpty());
    BOOST_CHECK_EQUAL(std::strlen(text), 5u);
    BOOST_CHECK_EQUAL(std::strcmp(static_cast<LPCTSTR>(text), "hello"), 0);
    text.Empty();
    BOOST_CHECK(text.IsEmpty());
    CString a, b;
    a = b = "same";
    BOOST_CHECK(a == "same" && b == "same");
}

BOOST_AUTO_TEST_CASE(LeftMidRightClampAsMfcDoes) {
    const CString text = "abcdef";
    BOOST_CHECK(text.Left(2) == "ab");
    BOOST_CHECK(text.Left(99) == "abcdef");
    BOOST_CHECK(text.Mid(2) == "cdef");
    BOOST_CHECK(text.Mid(2, 3) == "cde");
    BOOST_CHECK(text.Mid(5, 10) == "f");
    BOOST_CHECK(text.Mid(10).IsEmpty());
    BOOST_CHECK(text.Right(2) == "ef");
    BOOST_CHECK(text.Right(-1).IsEmpty());
    BOOST_CHECK_EQUAL(text.GetAt(1), 'b');
    BOOST_CHECK_EQUAL(text[5], 'f');
}

BOOST_AUTO_TEST_CASE(FindReturnsAnIndexOrMinusOne) {
    const CString text = "a,b,c";
    BOOST_CHECK_EQUAL(text.Find(','), 1);
    BOOST_CHECK_EQUAL(text.Find(',', 2), 3);
    BOOST_CHECK_EQUAL(text.Find("b,c"), 2);
    BOOST_CHECK_EQUAL(text.Find('x'), -1);
    BOOST_CHECK_EQUAL(text.ReverseFind(','), 3);
    BOOST_CHECK_EQUAL(text.FindOneOf("cb"), 2);
    int position = 0;
    BOOST_CHECK(text.Tokenize(",", position) == "a");
    BOOST_CHECK(text.Tokenize(",", position) == "b");
    BOOST_CHECK(text.Tokenize(",", position) == "c");
    BOOST_CHECK(text.Tokenize(",", position).IsEmpty());
    BOOST_CHECK_EQUAL(position, -1);
}

BOOST_AUTO_TEST_CASE(TrimCaseReplaceAndEdits) {
    CString text = " \t padded \r\n";
    text.Trim();
    BOOST_CHECK(text == "padded");
    text = "xxmidxx";
    text.TrimLeft('x');
    BOOST_CHECK(text == "midxx");
    text.TrimRight("x");
    BOOST_CHECK(text == "mid");
    text = "Mixed Case 1";
    text.MakeUpper();
    BOOST_CHECK(text == "MIXED CASE 1");
    text.MakeLower();
    BOOST_CHECK(text == "mixed case 1");
    BOOST_CHECK_EQUAL(text.Replace("e", "EE"), 2);
    BOOST_CHECK(text == "mixEEd casEE 1");
    BOOST_CHECK_EQUAL(text.Remove('E'), 4);
    BOOST_CHECK(text == "mixd cas 1");
    text.Insert(0, "<");
    text.Delete(1, 4);
    BOOST_CHECK(text == "< cas 1");
    BOOST_CHECK_EQUAL(CString("abc").CompareNoCase("ABC"), 0);
    BOOST_CHECK_EQUAL(CString("abc").Compare("abd"), -1);
}

BOOST_AUTO_TEST_CASE(FormatAndAppendFormat) {
    CString text;
    text.Format("%d-%s-%.1f", 42, "x", 2.5);
    BOOST_CHECK(text == "42-x-2.5");
    text.AppendFormat("+%04X", 0xBEEFu);
    BOOST_CHECK(text == "42-x-2.5+BEEF");
    const CString big('y', 1000);
    text.Format("%s!", static_cast<LPCTSTR>(big));
    BOOST_CHECK_EQUAL(text.GetLength(), 1001);
    CStringW wide;
    wide.Format(L"%d:%ls", 7, L"w");
    BOOST_CHECK(wide == L"7:w");
}

BOOST_AUTO_TEST_CASE(GetBufferAndReleaseBuffer) {
    CString text = "ab";
    char* buffer = text.GetBuffer(16);
    std::strcpy(buffer, "written");
    text.ReleaseBuffer();
    BOOST_CHECK(text == "written");
    buffer = text.GetBuffer(0);
    buffer[0] = 'W';
    text.ReleaseBuffer(3);
    BOOST_CHECK(text == "Wri");
}

BOOST_AUTO_TEST_CASE(ConcatenationAndComparison) {
    CString text = CString("a") + "b" + 'c';
    text += "d";
    text += 'e';
    text += CString("f");
    BOOST_CHECK(text == "abcdef");
    BOOST_CHECK("abcdef" == text);
    BOOST_CHECK(text != "abc");
    BOOST_CHECK(CString("a") < CString("b"));
    BOOST_CHECK(CString("b") > "a");
}

BOOST_AUTO_TEST_CASE(NarrowAndWideConvertAsUtf8) {
    const CStringW wide(L"\u00e9\u4e2d");
    const CStringA narrow(wide);
    BOOST_CHECK(narrow == "\xC3\xA9\xE4\xB8\xAD");
    BOOST_CHECK(CStringW(narrow) == wide);
}

BOOST_AUTO_TEST_CASE(LoadStringHasNoResources) {
    CString text = "kept?";
    BOOST_CHECK_EQUAL(text.LoadString(101), FALSE);
    BOOST_CHECK(text.IsEmpty());
}
