// Wide text lines as a Unicode MFC build reads and writes them: WriteString
// writes the UTF-16LE units of the text, nothing more; ReadString(CStringW&)
// reads units up to "\n" or "\r", and after "\r" reads one more, which it
// drops when it is "\n" (MFC's arccore.cpp). Worked by hand: "é" is E9 00,
// "€" AC 20, U+1F600 the surrogate pair D83D DE00 = 3D D8 00 DE.
#include <afx.h>

#include "ArchiveTestSupport.h"
#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

namespace {

using xsock::test::Bytes;
using xsock::test::Hex;
using xsock::test::Loader;
using xsock::test::ToHex;

}  // namespace

BOOST_AUTO_TEST_CASE(WriteStringWritesUtf16UnitsOnly) {
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        ar.WriteString(L"a\u00e9\r\n");
        ar.WriteString(L"\u20ac\U0001F600\n");
        ar.WriteString(static_cast<LPCWSTR>(nullptr));
        ar.Close();
    }
    const Bytes bytes(file.GetData(), file.GetData() + file.GetLength());
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("61 00 E9 00 0D 00 0A 00  AC 20 3D D8 00 DE 0A 00")));
    Loader in(bytes);
    CStringW line;
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == L"a\u00e9");
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == L"\u20ac\U0001F600");
    BOOST_CHECK(!in.ar.ReadString(line));
    BOOST_CHECK(line.IsEmpty());
}

BOOST_AUTO_TEST_CASE(ReadStringFollowsMfcsLineEnds) {
    // "ab\rxc\n\nlast": a lone "\r" ends the line and keeps the unit after
    // it, an empty line is TRUE with "", and a last line needs no end.
    Loader in(Hex("61 00 62 00 0D 00 78 00 63 00 0A 00 0A 00 6C 00 61 00 73 00 74 00"));
    CStringW line;
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == L"abx");
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == L"c");
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line.IsEmpty());
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == L"last");
    BOOST_CHECK(!in.ar.ReadString(line));
}

// The buffer form keeps at most max - 1 characters and leaves the rest of
// the line; a surrogate pair is never split (it is one wchar_t here).
BOOST_AUTO_TEST_CASE(TheBufferFormReadsAtMostMaxMinusOne) {
    Loader in(Hex("61 00 62 00 63 00 0D 00 0A 00 64 00 3D D8 00 DE 0A 00"));
    wchar_t buffer[3] = {L'?', L'?', L'?'};
    BOOST_REQUIRE(in.ar.ReadString(buffer, 3) == buffer);
    BOOST_CHECK(CStringW(buffer) == L"ab");
    BOOST_REQUIRE(in.ar.ReadString(buffer, 3) == buffer);
    BOOST_CHECK(CStringW(buffer) == L"c");
    BOOST_REQUIRE(in.ar.ReadString(buffer, 3) == buffer);
    BOOST_CHECK(CStringW(buffer) == L"d\U0001F600");
    // The line end that did not fit comes as an empty line, as in MFC.
    BOOST_REQUIRE(in.ar.ReadString(buffer, 3) == buffer);
    BOOST_CHECK(buffer[0] == L'\0');
    BOOST_CHECK(in.ar.ReadString(buffer, 3) == nullptr);
}

// An odd last byte is half a unit: MFC's 2-byte read fails on it, so does ours.
BOOST_AUTO_TEST_CASE(AnOddLastByteEndsTheText) {
    Loader in(Hex("61 00 62"));
    CStringW line;
    BOOST_CHECK(in.ar.ReadString(line));
    BOOST_CHECK(line == L"a");
    BOOST_CHECK(!in.ar.ReadString(line));
}

// A line that never ends is bounded by the archive's string limit.
BOOST_AUTO_TEST_CASE(AnEndlessLineIsRefusedAtTheStringLimit) {
    Loader in(Bytes(2 * 64, 0x41));
    auto limits = in.ar.GetLimits();
    limits.maxStringLength = 16;
    in.ar.SetLimits(limits);
    CStringW line;
    int cause = -1;
    try {
        in.ar.ReadString(line);
    } catch (CArchiveException* e) {
        cause = e->m_cause;
        e->Delete();
    }
    BOOST_CHECK_EQUAL(cause, CArchiveException::limitExceeded);
}
