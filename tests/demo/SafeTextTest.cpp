// SafeText and SafeName (demo/common/SafeText.h): each class of character a
// peer could use against a terminal or a log is shown escaped, and valid
// printable UTF-8 is kept as it is.
#include <SafeText.h>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>

using xsock::demo::IsPlainName;
using xsock::demo::SafeName;
using xsock::demo::SafeText;

namespace {

// No byte a terminal acts on is left: no C0 control, no DEL, no byte 0x80-0x9F
// outside a valid multi-byte sequence, and no raw ESC in particular.
bool HasNoControlByte(const std::string& text) {
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            return false;
        }
    }
    return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SafeTextRules)

BOOST_AUTO_TEST_CASE(PrintableUtf8IsKeptAsItIs) {
    for (const std::string text :
         {"hello, world", "Größe – ünïcödé ✓", "日本語のテキスト", "emoji 😀 and 𝄞",
          "tab-free <b>markup</b> * stars", "\u00a0no-break space in text"}) {
        BOOST_TEST(SafeText(text) == text);
    }
}

BOOST_AUTO_TEST_CASE(C0ControlsAndDelAreEscapedNewlinesIncluded) {
    BOOST_TEST(SafeText("a\x1b[2Jb") == "a\\x1b[2Jb");
    BOOST_TEST(SafeText("line\n* alice left") == "line\\x0a* alice left");
    BOOST_TEST(SafeText("cr\rtab\tbell\a") == "cr\\x0dtab\\x09bell\\x07");
    BOOST_TEST(SafeText(std::string("nul\0x", 5)) == "nul\\x00x");
    BOOST_TEST(SafeText("del\x7f") == "del\\x7f");
    for (int byte = 0; byte < 0x20; ++byte) {
        std::string shown = SafeText(std::string(1, static_cast<char>(byte)));
        BOOST_TEST(shown.size() == 4u);
        BOOST_TEST(HasNoControlByte(shown));
    }
}

BOOST_AUTO_TEST_CASE(BackslashIsDoubledSoAnEscapeCannotBeForged) {
    BOOST_TEST(SafeText("C:\\x1b") == "C:\\\\x1b");
    BOOST_TEST(SafeText("\\") == "\\\\");
}

BOOST_AUTO_TEST_CASE(RawC1BytesAreEscaped) {
    // 0x9B is CSI on terminals that take 8-bit controls; 0x85 is NEL.
    BOOST_TEST(SafeText("a\x9b"
                        "31mred") == "a\\x9b31mred");
    BOOST_TEST(SafeText("\x85\x8d\x90\x9d") == "\\x85\\x8d\\x90\\x9d");
}

BOOST_AUTO_TEST_CASE(Utf8EncodedC1ControlsAreEscaped) {
    BOOST_TEST(SafeText("\xc2\x9b"
                        "31m") == "\\u009b31m");
    BOOST_TEST(SafeText("\xc2\x80 \xc2\x85 \xc2\x9f") == "\\u0080 \\u0085 \\u009f");
    // U+00A0 and U+00FF, just past the range, are ordinary characters.
    BOOST_TEST(SafeText("\xc2\xa0\xc3\xbf") == "\xc2\xa0\xc3\xbf");
}

BOOST_AUTO_TEST_CASE(BidiOverridesIsolatesAndMarksAreEscaped) {
    BOOST_TEST(SafeText("invoice\u202efdp.exe") == "invoice\\u202efdp.exe");
    for (char32_t cp : {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
                        0x200E, 0x200F, 0x061C, 0x2028, 0x2029}) {
        std::string encoded;
        if (cp < 0x800) {
            encoded = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        } else {
            encoded = {static_cast<char>(0xE0 | (cp >> 12)),
                       static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                       static_cast<char>(0x80 | (cp & 0x3F))};
        }
        char expected[8];
        std::snprintf(expected, sizeof expected, "\\u%04x", static_cast<unsigned>(cp));
        BOOST_TEST(SafeText(encoded) == expected);
    }
}

BOOST_AUTO_TEST_CASE(InvalidUtf8IsEscapedByteByByte) {
    // Overlong encodings of '/', ESC and NUL.
    BOOST_TEST(SafeText("\xc0\xaf") == "\\xc0\\xaf");
    BOOST_TEST(SafeText("\xe0\x80\x9b") == "\\xe0\\x80\\x9b");
    BOOST_TEST(SafeText("\xf0\x80\x80\x80") == "\\xf0\\x80\\x80\\x80");
    // Surrogates (U+D800, U+DFFF) and past U+10FFFF.
    BOOST_TEST(SafeText("\xed\xa0\x80") == "\\xed\\xa0\\x80");
    BOOST_TEST(SafeText("\xed\xbf\xbf") == "\\xed\\xbf\\xbf");
    BOOST_TEST(SafeText("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
    BOOST_TEST(SafeText("\xf8\x88\x80\x80\x80") == "\\xf8\\x88\\x80\\x80\\x80");
    BOOST_TEST(SafeText("\xff\xfe") == "\\xff\\xfe");
    // Truncated sequences: at the end, and followed by ASCII.
    BOOST_TEST(SafeText("ok\xe2\x82") == "ok\\xe2\\x82");
    BOOST_TEST(SafeText("\xe2\x82x") == "\\xe2\\x82x");
    BOOST_TEST(SafeText("\xf0\x9f\x98") == "\\xf0\\x9f\\x98");
    // A stray continuation byte between valid characters.
    BOOST_TEST(SafeText("é\xa9é") == "é\\xa9é");
    // The largest valid code points of each length survive.
    BOOST_TEST(SafeText("\xdf\xbf\xef\xbf\xbd\xf4\x8f\xbf\xbf") ==
               "\xdf\xbf\xef\xbf\xbd\xf4\x8f\xbf\xbf");
}

BOOST_AUTO_TEST_CASE(EveryByteStringComesOutFreeOfControls) {
    // Each single byte and each pair: the output never carries a byte a
    // terminal acts on, nor a UTF-8 C1 control.
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            std::string text = {static_cast<char>(a), static_cast<char>(b)};
            std::string shown = SafeText(text);
            BOOST_TEST_REQUIRE(HasNoControlByte(shown));
            BOOST_TEST_REQUIRE(shown.find("\xc2\x9b") == std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(NamesCannotMimicTheProgramsOwnLines) {
    BOOST_TEST(SafeName("alice") == "alice");
    BOOST_TEST(SafeName("Jürgen") == "Jürgen");
    BOOST_TEST(SafeName("o'brien.2@home+x_y-z") == "o'brien.2@home+x_y-z");
    BOOST_TEST(SafeName("* alice left") == "\\x2a\\x20alice\\x20left");
    BOOST_TEST(SafeName("alice> hi <bob") == "alice\\x3e\\x20hi\\x20\\x3cbob");
    BOOST_TEST(SafeName("[x](y):") == "\\x5bx\\x5d\\x28y\\x29\\x3a");
    // Unicode spaces and invisible characters cannot make one name look like two words.
    BOOST_TEST(SafeName("alice\u2003left") == "alice\\u2003left");
    BOOST_TEST(SafeName("al\u200bice") == "al\\u200bice");
    BOOST_TEST(SafeName("\ufeffbob") == "\\ufeffbob");
    BOOST_TEST(SafeName("a\u3000b\u00a0c") == "a\\u3000b\\u00a0c");
    // Everything SafeText escapes, a name escapes too.
    BOOST_TEST(SafeName("x\x1b\u202e\xc2\x9b\xff") == "x\\x1b\\u202e\\u009b\\xff");
}

BOOST_AUTO_TEST_CASE(PlainNamesAreThoseShownUnchanged) {
    BOOST_TEST(IsPlainName("bob"));
    BOOST_TEST(IsPlainName("Zoë"));
    BOOST_TEST(!IsPlainName(""));
    BOOST_TEST(!IsPlainName("two words"));
    BOOST_TEST(!IsPlainName("*bob"));
    BOOST_TEST(!IsPlainName("bob\n"));
    BOOST_TEST(!IsPlainName("b\\ob"));
}

BOOST_AUTO_TEST_SUITE_END()
