// CMap and afxcoll.h's maps: MFC's hash functions and bucket order, so that
// GetNextAssoc and Serialize visit the pairs as MFC does, byte for byte.
// Expected bucket numbers are worked out by hand from MFC's documented hash
// algorithms (see afx/Map.h) with the default table of 17 buckets:
//   HashKey(int k), 0 <= k < 127773: 16807 * k, so bucket = 16807k mod 17
//     = 11k mod 17: 1 -> 11, 2 -> 5, 3 -> 16, 18 -> 11 (with 1);
//     127773 (quotient 1): 2147483647 - 2836 = 2147480811 -> 11;
//     -5: 2147483647 - 84035 = 2147399612 -> 4.
//   strings: hash * 33 + c: "ab" = 97 * 33 + 98 = 3299 -> 1,
//     "ba" = 98 * 33 + 97 = 3331 -> 16.
//   CMapWordToOb: key >> 4: 0x10 -> 1, 0x20 -> 2.
#include <afxtempl.h>

#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

namespace {

using xsock::test::Bytes;
using xsock::test::Hex;
using xsock::test::LoadCollection;
using xsock::test::StoredCollection;
using xsock::test::ToHex;

class CNote : public CObject {
    DECLARE_SERIAL(CNote)
  public:
    void Serialize(CArchive& ar) override {
        if (ar.IsStoring()) {
            ar << m_value;
        } else {
            ar >> m_value;
        }
    }
    LONG m_value = 0;
};
IMPLEMENT_SERIAL(CNote, CObject, 1)

template <class Map, class Key, class Value>
std::vector<Key> KeysInOrder(const Map& map) {
    std::vector<Key> keys;
    for (POSITION at = map.GetStartPosition(); at != nullptr;) {
        Key key{};
        Value value{};
        map.GetNextAssoc(at, key, value);
        keys.push_back(key);
    }
    return keys;
}

}  // namespace

BOOST_AUTO_TEST_CASE(HashKeyIsMfcs) {
    BOOST_CHECK_EQUAL(HashKey<int>(1), 16807u);
    BOOST_CHECK_EQUAL(HashKey<int>(127773), 2147480811u);
    BOOST_CHECK_EQUAL(HashKey<int>(-5), 2147399612u);
    BOOST_CHECK_EQUAL(xsock::mfc::HashString("ab"), 3299u);
    BOOST_CHECK_EQUAL(xsock::mfc::HashString(L"ba"), 3331u);
}

BOOST_AUTO_TEST_CASE(PairsGoOutBucketByBucketNewestFirst) {
    CMap<int, int, WORD, WORD> map;
    map.SetAt(3, 0x0333);   // bucket 16
    map.SetAt(1, 0x0111);   // bucket 11
    map.SetAt(2, 0x0222);   // bucket 5
    map.SetAt(18, 0x1818);  // bucket 11, in front of 1
    map[127773] = 0x7777;   // bucket 11, in front of 18
    map[-5] = 0x0505;       // bucket 4
    BOOST_CHECK_EQUAL(map.GetCount(), 6);
    const std::vector<int> expected = {-5, 2, 127773, 18, 1, 3};
    BOOST_CHECK((KeysInOrder<decltype(map), int, WORD>(map) == expected));
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(map)), ToHex(Hex("06 00"
                                                              "  FB FF FF FF 05 05"
                                                              "  02 00 00 00 22 02"
                                                              "  1D F3 01 00 77 77"
                                                              "  12 00 00 00 18 18"
                                                              "  01 00 00 00 11 01"
                                                              "  03 00 00 00 33 03")));
    // Loading adds the pairs in that order, so storing again gives the same bytes.
    CMap<int, int, WORD, WORD> loaded;
    LoadCollection(StoredCollection(map), loaded);
    WORD value = 0;
    BOOST_CHECK(loaded.Lookup(127773, value));
    BOOST_CHECK_EQUAL(value, 0x7777);
    BOOST_CHECK(!loaded.Lookup(4, value));
    BOOST_CHECK_EQUAL(loaded.GetCount(), 6);
}

BOOST_AUTO_TEST_CASE(EditingKeepsMfcsChains) {
    CMap<int, int, int, int> map;
    map.SetAt(1, 10);
    map.SetAt(18, 180);
    map.SetAt(1, 11);  // replaces in place
    BOOST_CHECK_EQUAL(map.GetCount(), 2);
    BOOST_CHECK(map.RemoveKey(18));
    BOOST_CHECK(!map.RemoveKey(18));
    int value = 0;
    BOOST_REQUIRE(map.Lookup(1, value));
    BOOST_CHECK_EQUAL(value, 11);
    map.RemoveAll();
    BOOST_CHECK(map.IsEmpty());
    BOOST_CHECK(map.GetStartPosition() == nullptr);

    // A table of another size, set while the map is empty: bucket = k mod 7.
    CMap<int, int, int, int> seven;
    seven.InitHashTable(7);
    BOOST_CHECK_EQUAL(seven.GetHashTableSize(), 7u);
    seven.SetAt(1, 1);  // 16807 mod 7 = 0
    seven.SetAt(2, 2);  // 33614 mod 7 = 0, in front of 1
    const std::vector<int> expected = {2, 1};
    BOOST_CHECK((KeysInOrder<decltype(seven), int, int>(seven) == expected));
}

BOOST_AUTO_TEST_CASE(StringMapsHashTheText) {
    CMapStringToString map;
    map.SetAt("ba", "y");  // bucket 16
    map.SetAt("ab", "x");  // bucket 1
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(map)),
                      ToHex(Hex("02 00  02 61 62  01 78  02 62 61  01 79")));
    CMapStringToString loaded;
    LoadCollection(StoredCollection(map), loaded);
    CString value;
    BOOST_REQUIRE(loaded.Lookup("ba", value));
    BOOST_CHECK(value == "y");

    CMap<CString, LPCTSTR, int, int> templated;
    templated.SetAt("ba", 2);
    templated.SetAt("ab", 1);
    const std::vector<CString> expected = {"ab", "ba"};
    BOOST_CHECK((KeysInOrder<decltype(templated), CString, int>(templated) == expected));
}

BOOST_AUTO_TEST_CASE(ObjectMapsWriteEachValueAsAnObject) {
    CNote first;
    first.m_value = 1;
    CNote second;
    second.m_value = 2;
    CMapWordToOb map;
    map.SetAt(0x20, &second);  // bucket 2
    map.SetAt(0x10, &first);   // bucket 1
    // The first value is a new class (FFFF, schema, name) and object; the
    // second one a new object of a known class (0x8001).
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(map)),
                      ToHex(Hex("02 00"
                                "  10 00  FF FF 01 00 05 00 43 4E 6F 74 65"
                                "  01 00 00 00"
                                "  20 00  01 80  02 00 00 00")));
    CMapWordToOb loaded;
    LoadCollection(StoredCollection(map), loaded);
    CObject* object = nullptr;
    BOOST_REQUIRE(loaded.Lookup(0x20, object));
    std::unique_ptr<CObject> owned20(object);
    BOOST_REQUIRE(loaded.Lookup(0x10, object));
    std::unique_ptr<CObject> owned10(object);
    BOOST_CHECK_EQUAL(static_cast<CNote*>(owned20.get())->m_value, 2);
    BOOST_CHECK_EQUAL(static_cast<CNote*>(owned10.get())->m_value, 1);
    BOOST_CHECK_EQUAL(std::string(loaded.GetRuntimeClass()->m_lpszClassName), "CMapWordToOb");
}

BOOST_AUTO_TEST_CASE(AHostileCountFailsAsTheDataRunsOut) {
    CMap<int, int, int, int> map;
    try {
        LoadCollection(Hex("FF FF  FF FF FF 00  01 00 00 00 02 00 00 00"), map);
        BOOST_FAIL("a truncated map loaded");
    } catch (CArchiveException* e) {
        BOOST_CHECK_EQUAL(e->m_cause, CArchiveException::endOfFile);
        e->Delete();
    }
    BOOST_CHECK_EQUAL(map.GetCount(), 1);
}
