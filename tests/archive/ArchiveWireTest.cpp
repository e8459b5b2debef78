// Golden bytes for every rule of MFC's CArchive format (SPEC section 5).
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

#include <memory>

namespace {

using namespace xsock;
using xsock::test::Bytes;
using xsock::test::Concat;
using xsock::test::Hex;
using xsock::test::Load;
using xsock::test::Store;
using xsock::test::ToHex;

class CB;

class CA : public Object {
    XSOCK_DECLARE_SERIAL(CA)
  public:
    void Serialize(Archive& ar) override;
    std::int32_t value = 0;
    CB* peer = nullptr;
};

class CB : public Object {
    XSOCK_DECLARE_SERIAL(CB)
  public:
    void Serialize(Archive& ar) override {
        if (ar.IsStoring()) {
            ar << value << back;
        } else {
            ar >> value >> back;
        }
    }
    std::int16_t value = 0;
    CA* back = nullptr;
};

void CA::Serialize(Archive& ar) {
    if (ar.IsStoring()) {
        ar << value << peer;
    } else {
        ar >> value >> peer;
    }
}

XSOCK_IMPLEMENT_SERIAL(CA, Object, 1)
XSOCK_IMPLEMENT_SERIAL(CB, Object, 2)

class Message : public Object {
    XSOCK_DECLARE_SERIAL(Message)
  public:
    void Serialize(Archive& ar) override {
        if (ar.IsStoring()) {
            ar << text;
        } else {
            ar >> text;
        }
    }
    std::string text;
};

XSOCK_IMPLEMENT_SERIAL_NAMED(Message, Object, VERSIONABLE_SCHEMA | 3, "CMsg")

// Placeholders for MapObject, which hands out indices without writing bytes.
class Placeholder : public Object {};

enum class Color : std::uint16_t { blue = 0x0102 };

std::string Repeat(std::size_t n) {
    std::string text(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        text[i] = static_cast<char>('a' + i % 26);
    }
    return text;
}

// The first `header` bytes of a stored string, and a check that the rest is
// the text itself.
Bytes HeaderOf(const Bytes& stored, std::size_t header, std::size_t bodyBytes) {
    BOOST_REQUIRE_EQUAL(stored.size(), header + bodyBytes);
    return Bytes(stored.begin(), stored.begin() + static_cast<std::ptrdiff_t>(header));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveWire)

BOOST_AUTO_TEST_CASE(ScalarsAreLittleEndianFixedWidth) {
    const Bytes bytes = Store([](Archive& ar) {
        ar << std::int8_t{-2} << std::uint16_t{0x1234} << std::int32_t{-2}
           << std::uint64_t{0x0102030405060708} << 1.0f << 1.0 << true << false << 'A'
           << wchar_t{0xE9} << char16_t{0x20AC} << Color::blue << std::int64_t{-1};
    });
    BOOST_TEST(ToHex(bytes) ==
               ToHex(Hex("FE 3412 FEFFFFFF 0807060504030201 0000803F 000000000000F03F 01 00 41"
                         "E900 AC20 0201 FFFFFFFFFFFFFFFF")));
}

BOOST_AUTO_TEST_CASE(BigEndianModeReversesNumbersOnly) {
    const Bytes bytes = Store(
        [](Archive& ar) {
            ar << std::uint16_t{0x1234} << std::int32_t{1} << 1.0 << std::string("ab");
            ar.WriteCount(0x10000);
            ar << std::u16string(u"a");
            ar << std::string(300, 'x');
        },
        std::endian::big);
    const Bytes expected = Concat({Hex("1234 00000001 3FF0000000000000 02 6162"
                                       "FFFF 00010000"
                                       "FF FFFE 01 0061"
                                       "FF 012C"),
                                   Bytes(300, 'x')});
    BOOST_TEST(ToHex(bytes) == ToHex(expected));

    Load(
        bytes,
        [](Archive& ar) {
            std::uint16_t word = 0;
            std::int32_t one = 0;
            double real = 0;
            std::string ab;
            std::u16string a;
            std::string xs;
            ar >> word >> one >> real >> ab;
            BOOST_TEST(ar.ReadCount() == 0x10000u);
            ar >> a >> xs;
            BOOST_TEST(word == 0x1234);
            BOOST_TEST(one == 1);
            BOOST_TEST(real == 1.0);
            BOOST_TEST(ab == "ab");
            BOOST_TEST((a == u"a"));
            BOOST_TEST(xs == std::string(300, 'x'));
        },
        std::endian::big);
}

BOOST_AUTO_TEST_CASE(NarrowStringLengthsAtEveryBoundary) {
    const struct {
        std::size_t length;
        const char* header;
    } cases[] = {
        {0, "00"},
        {3, "03"},
        {254, "FE"},
        {255, "FF FF00"},
        {0xFFFD, "FF FDFF"},
        {0xFFFE, "FF FFFF FEFF0000"},
        {0xFFFF, "FF FFFF FFFF0000"},
        {0x10000, "FF FFFF 00000100"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("length " << c.length) {
            const std::string text = Repeat(c.length);
            const Bytes bytes = Store([&](Archive& ar) { ar << text; });
            const Bytes header = Hex(c.header);
            BOOST_TEST(ToHex(HeaderOf(bytes, header.size(), c.length)) == ToHex(header));
            BOOST_TEST(std::equal(text.begin(), text.end(), bytes.begin() + header.size()));
            std::string back;
            Load(bytes, [&](Archive& ar) { ar >> back; });
            BOOST_TEST(back == text);
        }
    }
}

BOOST_AUTO_TEST_CASE(WideStringLengthsAtEveryBoundaryFollowTheMarker) {
    const struct {
        std::size_t length;
        const char* header;
    } cases[] = {
        {0, "FF FEFF 00"},
        {2, "FF FEFF 02"},
        {254, "FF FEFF FE"},
        {255, "FF FEFF FF FF00"},
        {0xFFFE, "FF FEFF FF FFFF FEFF0000"},
        {0xFFFF, "FF FEFF FF FFFF FFFF0000"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("length " << c.length) {
            const std::string narrow = Repeat(c.length);
            const std::u16string text(narrow.begin(), narrow.end());
            const Bytes bytes = Store([&](Archive& ar) { ar << text; });
            const Bytes header = Hex(c.header);
            BOOST_TEST(ToHex(HeaderOf(bytes, header.size(), 2 * c.length)) == ToHex(header));
            if (c.length != 0) {
                BOOST_TEST(bytes[header.size()] == static_cast<std::uint8_t>('a'));
                BOOST_TEST(bytes[header.size() + 1] == 0);  // UTF-16LE
            }
            std::u16string back;
            std::wstring wide;
            Load(bytes, [&](Archive& ar) { ar >> back; });
            Load(bytes, [&](Archive& ar) { ar >> wide; });
            BOOST_TEST((back == text));
            BOOST_TEST((wide == std::wstring(narrow.begin(), narrow.end())));
        }
    }
}

BOOST_AUTO_TEST_CASE(WstringIsWrittenAsUtf16WithSurrogatePairs) {
    const Bytes bytes = Store([](Archive& ar) { ar << std::wstring(L"A\U0001F600"); });
    BOOST_TEST(ToHex(bytes) == ToHex(Hex("FF FEFF 03 4100 3DD8 00DE")));
}

BOOST_AUTO_TEST_CASE(EightByteStringLengthsUseTheLastEscape) {
    const Bytes bytes = Store([](Archive& ar) {
        ar.WriteStringLength(0xFFFFFFFE, false);
        ar.WriteStringLength(0xFFFFFFFF, false);
        ar.WriteStringLength(0x100000000, true);
    });
    BOOST_TEST(ToHex(bytes) == ToHex(Hex("FF FFFF FEFFFFFF"
                                         "FF FFFF FFFFFFFF FFFFFFFF00000000"
                                         "FF FEFF FF FFFF FFFFFFFF 0000000001000000")));
    Load(bytes, [](Archive& ar) {
        Archive::Limits limits;
        limits.maxStringLength = ~std::uint64_t{0};
        ar.SetLimits(limits);
        bool wide = true;
        BOOST_TEST(ar.ReadStringLength(wide) == 0xFFFFFFFEu);
        BOOST_TEST(!wide);
        BOOST_TEST(ar.ReadStringLength(wide) == 0xFFFFFFFFu);
        BOOST_TEST(ar.ReadStringLength(wide) == 0x100000000u);
        BOOST_TEST(wide);
    });
}

BOOST_AUTO_TEST_CASE(ASecondWideMarkerAfterTheFirstIsAPlainLength) {
    // As MFC reads it: after FF FE FF the length starts over.
    Load(Hex("FF FEFF FF FEFF"), [](Archive& ar) {
        Archive::Limits limits;
        limits.maxStringLength = ~std::uint64_t{0};
        ar.SetLimits(limits);
        bool wide = false;
        BOOST_TEST(ar.ReadStringLength(wide) == 0xFFFEu);
        BOOST_TEST(wide);
    });
}

BOOST_AUTO_TEST_CASE(CountsAtEveryBoundary) {
    const struct {
        std::uint64_t count;
        const char* bytes;
    } cases[] = {
        {0, "0000"},
        {0xFFFE, "FEFF"},
        {0xFFFF, "FFFF FFFF0000"},
        {0xFFFFFFFE, "FFFF FEFFFFFF"},
        {0xFFFFFFFF, "FFFF FFFFFFFF FFFFFFFF00000000"},
        {0x123456789A, "FFFF FFFFFFFF 9A78563412000000"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("count " << c.count) {
            const Bytes bytes = Store([&](Archive& ar) { ar.WriteCount(c.count); });
            BOOST_TEST(ToHex(bytes) == ToHex(Hex(c.bytes)));
            Load(bytes, [&](Archive& ar) {
                ar.SetLimits({~std::uint64_t{0}, ~std::uint64_t{0}, 1});
                BOOST_TEST(ar.ReadCount() == c.count);
            });
        }
    }
}

BOOST_AUTO_TEST_CASE(ContainersAreACountThenTheirElements) {
    const Bytes bytes = Store([](Archive& ar) {
        ar << std::vector<std::int32_t>{1, -1} << std::map<std::string, std::uint8_t>{{"k", 9}}
           << std::optional<std::int16_t>{} << std::optional<std::int16_t>{5}
           << std::array<std::uint8_t, 2>{7, 8};
    });
    BOOST_TEST(ToHex(bytes) ==
               ToHex(Hex("0200 01000000 FFFFFFFF  0100 016B 09  00  01 0500  0708")));
}

BOOST_AUTO_TEST_CASE(ObjectGraphWithRepeatsACycleTwoClassesAndNull) {
    CA a;
    CB b;
    CA a2;
    a.value = 0x11223344;
    a.peer = &b;
    b.value = 0x5566;
    b.back = &a;
    a2.value = 7;
    const Bytes bytes =
        Store([&](Archive& ar) { ar << &a << &b << &a2 << static_cast<CA*>(nullptr); });
    const Bytes expected =
        Hex("FFFF 0100 0200 4341"  // new class CA, schema 1 -> index 1
            "44332211"             // object a -> index 2, its value
            "FFFF 0200 0200 4342"  // a.peer: new class CB, schema 2 -> index 3
            "6655"                 // object b -> index 4, its value
            "0200"                 // b.back: a again, by reference
            "0400"                 // b again, by reference
            "0180 07000000 0000"   // a2: object of class index 1 -> index 5; null peer
            "0000");               // null pointer
    BOOST_TEST(ToHex(bytes) == ToHex(expected));

    Load(bytes, [](Archive& ar) {
        CA* la = nullptr;
        CB* lb = nullptr;
        CA* la2 = nullptr;
        CA sentinel;
        CA* none = &sentinel;  // a null tag must overwrite it
        ar >> la >> lb >> la2 >> none;
        std::unique_ptr<CA> ownA(la);
        std::unique_ptr<CB> ownB(lb);
        std::unique_ptr<CA> ownA2(la2);
        BOOST_TEST(la->value == 0x11223344);
        BOOST_TEST(la->peer == lb);
        BOOST_TEST(lb->back == la);
        BOOST_TEST(lb->value == 0x5566);
        BOOST_TEST(la2 != la);
        BOOST_TEST(la2->value == 7);
        BOOST_TEST(la2->peer == nullptr);
        BOOST_TEST(none == nullptr);
    });
}

BOOST_AUTO_TEST_CASE(IndicesPastSevenFFEUseTheFourByteTag) {
    std::vector<Placeholder> placeholders(0x7FFD);  // indices 1 .. 0x7FFD
    CA first;
    CA second;
    CB third;
    CB fourth;
    const Bytes bytes = Store([&](Archive& ar) {
        for (const Placeholder& p : placeholders) {
            ar.MapObject(&p);
        }
        ar << &first << &first << &second << &third << &fourth << &second;
    });
    const Bytes expected =
        Hex("FFFF 0100 0200 4341 00000000 0000"  // class CA -> 0x7FFE, first -> 0x7FFF
            "FF7F FF7F0000"                      // first again: index 0x7FFF needs 4 bytes
            "FEFF 00000000 0000"                 // second: class index 0x7FFE -> 0x8000
            "FFFF 0200 0200 4342 0000 0000"      // class CB -> 0x8001, third -> 0x8002
            "FF7F 01800080 0000 0000"            // fourth: class 0x8001 | 0x80000000 -> 0x8003
            "FF7F 00800000");                    // second again
    BOOST_TEST(ToHex(bytes) == ToHex(expected));

    Load(bytes, [&](Archive& ar) {
        for (const Placeholder& p : placeholders) {
            ar.MapObject(&p);
        }
        CA *f1 = nullptr, *f2 = nullptr, *s1 = nullptr, *s2 = nullptr;
        CB *t = nullptr, *u = nullptr;
        ar >> f1 >> f2 >> s1 >> t >> u >> s2;
        std::unique_ptr<CA> ownF(f1), ownS(s1);
        std::unique_ptr<CB> ownT(t), ownU(u);
        BOOST_TEST(f1 == f2);
        BOOST_TEST(s1 == s2);
        BOOST_TEST(f1 != s1);
        BOOST_TEST(t != u);
    });
}

BOOST_AUTO_TEST_CASE(WriteClassWritesTheDescriptorOnceThenAClassReference) {
    const Bytes bytes = Store([](Archive& ar) {
        ar.WriteClass(XSOCK_RUNTIME_CLASS(CB));
        ar.SerializeClass(XSOCK_RUNTIME_CLASS(CB));
    });
    BOOST_TEST(ToHex(bytes) == ToHex(Hex("FFFF 0200 0200 4342  0180")));
}

BOOST_AUTO_TEST_CASE(ExplicitWireNameAndVersionableSchemaAreWhatIsWritten) {
    Message message;
    message.text = "hi";
    const Bytes bytes = Store([&](Archive& ar) { ar << &message; });
    // The schema word carries the number only, without VERSIONABLE_SCHEMA.
    BOOST_TEST(ToHex(bytes) == ToHex(Hex("FFFF 0300 0400 434D7367 02 6869")));
}

BOOST_AUTO_TEST_CASE(WriteStringWritesTextWithoutTerminatorAndReadStringSplitsLines) {
    const Bytes bytes = Store([](Archive& ar) {
        ar.WriteString("one\r\n");
        ar.WriteString(std::string_view("two\n"));
        ar.WriteString("\n");
        ar.WriteString("last");
    });
    BOOST_TEST(ToHex(bytes) == ToHex(Hex("6F6E650D0A 74776F0A 0A 6C617374")));
    Load(bytes, [](Archive& ar) {
        std::string line;
        BOOST_TEST(ar.ReadString(line));
        BOOST_TEST(line == "one");
        BOOST_TEST(ar.ReadString(line));
        BOOST_TEST(line == "two");
        BOOST_TEST(ar.ReadString(line));
        BOOST_TEST(line.empty());
        BOOST_TEST(ar.ReadString(line));
        BOOST_TEST(line == "last");
        BOOST_TEST(!ar.ReadString(line));
    });
}

BOOST_AUTO_TEST_CASE(ReadStringIntoABufferStopsAtItsSize) {
    Load(Hex("616263640D0A 65"), [](Archive& ar) {
        char buffer[3];
        BOOST_TEST(std::string(ar.ReadString(buffer, 3)) == "ab");
        BOOST_TEST(std::string(ar.ReadString(buffer, 3)) == "cd");
        BOOST_TEST(std::string(ar.ReadString(buffer, 3)) == "");
        BOOST_TEST(std::string(ar.ReadString(buffer, 3)) == "e");
        BOOST_TEST(ar.ReadString(buffer, 3) == nullptr);
    });
}

BOOST_AUTO_TEST_SUITE_END()
