// Narrow CStrings in an archive's code page: an ANSI MFC build writes its
// text in Windows-1252 (on Western European Windows), the layer holds UTF-8.
// Worked by hand from the 1252 table: "café – €" is 63 61 66 E9 20 96 20 80
// (é = E9, en dash U+2013 = 96, euro sign U+20AC = 80), eight bytes, so the
// string goes out as 08 and those bytes; in UTF-8 it is
// 63 61 66 C3A9 20 E28093 20 E282AC.
#include <afxtempl.h>

#include "MfcArchiveSupport.h"

#include <xsock/ArchiveContainers.h>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace {

using xsock::test::Bytes;
using xsock::test::Concat;
using xsock::test::Hex;
using xsock::test::ToHex;

const char* const kUtf8 = "caf\xC3\xA9 \xE2\x80\x93 \xE2\x82\xAC";
const Bytes kWindows1252 = Hex("08 63 61 66 E9 20 96 20 80");

template <class Write>
Bytes Stored(Write&& write, UINT codePage = CP_ACP) {
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        ar.SetCodePage(codePage);
        write(ar);
        ar.Close();
    }
    return Bytes(file.GetData(), file.GetData() + file.GetLength());
}

template <class Read>
void Loaded(const Bytes& bytes, Read&& read, UINT codePage = CP_ACP) {
    Bytes copy = bytes;
    CMemFile file(copy.data(), static_cast<UINT>(copy.size()));
    CArchive ar(&file, CArchive::load);
    ar.SetCodePage(codePage);
    read(ar);
}

}  // namespace

BOOST_AUTO_TEST_CASE(AWindows1252StringLoadsAsUtf8AndStoresBackTheSameBytes) {
    CStringA text;
    Loaded(kWindows1252, [&](CArchive& ar) {
        BOOST_CHECK_EQUAL(ar.GetCodePage(), CP_ACP);
        ar >> text;
    });
    BOOST_CHECK_EQUAL(std::string(text.GetString()), std::string(kUtf8));
    BOOST_CHECK_EQUAL(ToHex(Stored([&](CArchive& ar) { ar << text; })), ToHex(kWindows1252));
    BOOST_CHECK_EQUAL(ToHex(Stored([&](CArchive& ar) { ar << text; }, 1252)), ToHex(kWindows1252));
}

BOOST_AUTO_TEST_CASE(AWindows1252StringLoadsIntoACStringW) {
    CStringW text;
    Loaded(kWindows1252, [&](CArchive& ar) { ar >> text; });
    BOOST_CHECK(text == L"caf\u00e9 \u2013 \u20ac");
    // A CStringW still goes out wide, whatever the code page.
    BOOST_CHECK_EQUAL(ToHex(Stored([&](CArchive& ar) { ar << CStringW(L"\u20ac"); })),
                      "FF FE FF 01 AC 20");
}

// Windows maps 1252's five unassigned bytes to U+0081 .. U+009D, so all 256
// bytes come back as they were.
BOOST_AUTO_TEST_CASE(EveryByteRoundTrips) {
    Bytes all(256);
    for (int i = 0; i < 256; ++i) {
        all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    }
    const Bytes wire = Concat({Hex("FF 00 01"), all});
    CStringA text;
    Loaded(wire, [&](CArchive& ar) { ar >> text; });
    // ASCII, then the euro sign (E2 82 AC), then unassigned 81 as U+0081.
    BOOST_CHECK(text.Mid(127, 6) == "\x7F\xE2\x82\xAC\xC2\x81");
    BOOST_CHECK_EQUAL(ToHex(Stored([&](CArchive& ar) { ar << text; })), ToHex(wire));
}

// WideCharToMultiByte's default character, one per character (or bad byte).
BOOST_AUTO_TEST_CASE(WhatWindows1252CannotHoldBecomesAQuestionMark) {
    const CStringA text("\xE6\x97\xA5 \xC4\x80 \xF0\x9F\x98\x80 \xFF \xC3\xA9");
    BOOST_CHECK_EQUAL(ToHex(Stored([&](CArchive& ar) { ar << text; })),
                      "09 3F 20 3F 20 3F 20 3F 20 E9");
}

BOOST_AUTO_TEST_CASE(Utf8CodePagePassesBytesThrough) {
    const CStringA text(kUtf8);
    const Bytes bytes = Stored([&](CArchive& ar) { ar << text; }, CP_UTF8);
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Concat({Hex("0D"), Bytes(kUtf8, kUtf8 + 13)})));
    CStringA back;
    Loaded(
        bytes, [&](CArchive& ar) { ar >> back; }, CP_UTF8);
    BOOST_CHECK(back == text);
    // The same bytes read as 1252 are two characters each: what MFC shows.
    CStringA misread;
    Loaded(bytes, [&](CArchive& ar) { ar >> misread; });
    BOOST_CHECK(misread.Left(7) == "caf\xC3\x83\xC2\xA9");
}

BOOST_AUTO_TEST_CASE(OnlyKnownCodePagesAreAccepted) {
    CMemFile file;
    CArchive ar(&file, CArchive::store);
    ar.SetCodePage(1252);
    BOOST_CHECK_EQUAL(ar.GetCodePage(), 1252u);
    bool refused = false;
    try {
        ar.SetCodePage(437);
    } catch (CInvalidArgException* e) {
        e->Delete();
        refused = true;
    }
    BOOST_CHECK(refused);
    BOOST_CHECK_EQUAL(ar.GetCodePage(), 1252u);
    ar.Abort();
}

// Every way narrow text reaches a CArchive: a pointer, a text line, a
// collection's elements, a CString inside a container of the core.
BOOST_AUTO_TEST_CASE(EveryNarrowPathUsesTheCodePage) {
    CStringArray array;
    array.Add(CStringA("\xC3\xA9"));
    CMapStringToString map;
    map.SetAt("k", "\xE2\x82\xAC");
    const std::vector<CStringA> strings = {CStringA("\xC2\xA3")};
    char buffer[] = "\xC3\xA9";
    const Bytes bytes = Stored([&](CArchive& ar) {
        ar << "\xC3\xA9" << buffer << static_cast<char*>(buffer) << 'x';
        ar.WriteString("\xC3\xA9\r\n");
        array.Serialize(ar);
        map.Serialize(ar);
        ar << strings;
    });
    BOOST_CHECK_EQUAL(ToHex(bytes),
                      ToHex(Hex("01 E9  01 E9  01 E9  78  E9 0D 0A  01 00 01 E9  01 00 01 6B 01 80"
                                "01 00 01 A3")));
    Loaded(bytes, [](CArchive& ar) {
        CStringA text, line;
        for (int i = 0; i < 3; ++i) {
            ar >> text;
            BOOST_CHECK(text == "\xC3\xA9");
        }
        char x = 0;
        ar >> x;
        BOOST_CHECK_EQUAL(x, 'x');
        BOOST_CHECK(ar.ReadString(line));
        BOOST_CHECK(line == "\xC3\xA9");
        CStringArray array;
        array.Serialize(ar);
        BOOST_CHECK(array[0] == "\xC3\xA9");
        CMapStringToString map;
        map.Serialize(ar);
        CString value;
        BOOST_CHECK(map.Lookup("k", value) && value == "\xE2\x82\xAC");
        std::vector<CStringA> strings;
        ar >> strings;
        BOOST_REQUIRE_EQUAL(strings.size(), 1u);
        BOOST_CHECK(strings[0] == "\xC2\xA3");
    });
}
