// afxtempl.h's collections: POSITION walking, and MFC's Serialize layout
// (WriteCount, then each element: raw bytes by default, padding included, a
// CString as an MFC string, a CObject* as a TN002 object) byte for byte.
#include <afxtempl.h>

#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <memory>

namespace {

using xsock::test::Bytes;
using xsock::test::Hex;
using xsock::test::LoadCollection;
using xsock::test::StoredCollection;
using xsock::test::ToHex;

class CItem : public CObject {
    DECLARE_SERIAL(CItem)
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
IMPLEMENT_SERIAL(CItem, CObject, 1)

// One byte then a LONG: three bytes of padding between them, as on Windows.
struct Sample {
    BYTE tag;
    LONG value;
};
static_assert(sizeof(Sample) == 8);

}  // namespace

BOOST_AUTO_TEST_CASE(CArrayOfNumbersIsACountThenRawValues) {
    CArray<LONG, LONG> numbers;
    numbers.Add(1);
    numbers.Add(-1);
    const Bytes bytes = StoredCollection(numbers);
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("02 00  01 00 00 00  FF FF FF FF")));
    CArray<LONG, LONG> loaded;
    loaded.Add(99);
    LoadCollection(bytes, loaded);
    BOOST_REQUIRE_EQUAL(loaded.GetSize(), 2);
    BOOST_CHECK_EQUAL(loaded[0], 1);
    BOOST_CHECK_EQUAL(loaded[1], -1);
}

BOOST_AUTO_TEST_CASE(CArrayOfAStructIsItsRawBytesPaddingIncluded) {
    CArray<Sample, const Sample&> samples;
    samples.SetSize(1);
    std::memset(samples.GetData(), 0xEE, sizeof(Sample));  // marks the padding
    samples[0].tag = 7;
    samples[0].value = 42;
    const Bytes bytes = StoredCollection(samples);
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("01 00  07 EE EE EE  2A 00 00 00")));
    CArray<Sample, const Sample&> loaded;
    LoadCollection(bytes, loaded);
    BOOST_REQUIRE_EQUAL(loaded.GetSize(), 1);
    BOOST_CHECK_EQUAL(loaded[0].tag, 7);
    BOOST_CHECK_EQUAL(loaded[0].value, 42);
}

BOOST_AUTO_TEST_CASE(StringCollectionsAreACountThenMfcStrings) {
    CStringArray array;
    array.Add("a");
    array.Add("bc");
    CStringList list;
    list.AddTail("a");
    list.AddTail("bc");
    const Bytes expected = Hex("02 00  01 61  02 62 63");
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(array)), ToHex(expected));
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(list)), ToHex(expected));
    CStringArray loadedArray;
    CStringList loadedList;
    LoadCollection(expected, loadedArray);
    LoadCollection(expected, loadedList);
    BOOST_REQUIRE_EQUAL(loadedArray.GetSize(), 2);
    BOOST_CHECK(loadedArray[1] == "bc");
    BOOST_REQUIRE_EQUAL(loadedList.GetCount(), 2);
    BOOST_CHECK(loadedList.GetTail() == "bc");
}

BOOST_AUTO_TEST_CASE(ValueArraysOfAfxcollAreRawLittleEndian) {
    CByteArray bytes;
    bytes.Add(1);
    bytes.Add(2);
    CWordArray words;
    words.Add(0x1234);
    CDWordArray dwords;
    dwords.Add(0x12345678u);
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(bytes)), "02 00 01 02");
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(words)), "01 00 34 12");
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(dwords)), "01 00 78 56 34 12");
}

BOOST_AUTO_TEST_CASE(ObjectCollectionsWriteEachPointerAsAnObject) {
    CItem item;
    item.m_value = 5;
    CObArray array;
    array.Add(&item);
    array.Add(nullptr);
    array.Add(&item);
    CObList list;
    list.AddTail(&item);
    list.AddTail(nullptr);
    list.AddTail(&item);
    const Bytes expected =
        Hex("03 00  FF FF 01 00 05 00 43 49 74 65 6D  05 00 00 00  00 00  02 00");
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(array)), ToHex(expected));
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(list)), ToHex(expected));

    CObArray loaded;
    LoadCollection(expected, loaded);
    BOOST_REQUIRE_EQUAL(loaded.GetSize(), 3);
    std::unique_ptr<CObject> owned(loaded[0]);
    BOOST_CHECK(loaded[1] == nullptr);
    BOOST_CHECK(loaded[2] == loaded[0]);
    BOOST_REQUIRE(loaded[0]->IsKindOf(RUNTIME_CLASS(CItem)));
    BOOST_CHECK_EQUAL(static_cast<CItem*>(loaded[0])->m_value, 5);
}

// A collection stored through a pointer carries afxcoll's class name.
BOOST_AUTO_TEST_CASE(CollectionsAreSerializableUnderMfcNames) {
    CStringArray array;
    array.Add("x");
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        ar << static_cast<CObject*>(&array);
    }
    const Bytes bytes(file.GetData(), file.GetData() + file.GetLength());
    BOOST_CHECK_EQUAL(ToHex(bytes),
                      ToHex(Hex("FF FF 00 00 0C 00 43 53 74 72 69 6E 67 41 72 72 61 79"
                                "  01 00 01 78")));
    file.SeekToBegin();
    CArchive ar(&file, CArchive::load);
    CStringArray* loaded = nullptr;
    ar >> loaded;
    std::unique_ptr<CStringArray> owned(loaded);
    BOOST_REQUIRE(loaded != nullptr);
    BOOST_CHECK(loaded->GetAt(0) == "x");
}

// A count that claims far more than arrives ends in endOfFile, not in an
// allocation of the claimed size.
BOOST_AUTO_TEST_CASE(AHostileCountFailsAsTheDataRunsOut) {
    CArray<LONG, LONG> numbers;
    try {
        LoadCollection(Hex("FF FF  FF FF FF 00  01 00 00 00"), numbers);
        BOOST_FAIL("a truncated array loaded");
    } catch (CArchiveException* e) {
        BOOST_CHECK_EQUAL(e->m_cause, CArchiveException::endOfFile);
        e->Delete();
    }
    BOOST_CHECK_LE(numbers.GetSize(), 64 * 1024);
}

BOOST_AUTO_TEST_CASE(ListPositionsWalkBothWays) {
    CList<int, int> list;
    list.AddTail(2);
    list.AddHead(1);
    const POSITION three = list.AddTail(3);
    list.InsertBefore(three, 25);
    list.InsertAfter(list.GetHeadPosition(), 15);
    int forward[5] = {};
    int i = 0;
    for (POSITION p = list.GetHeadPosition(); p != nullptr;) {
        forward[i++] = list.GetNext(p);
    }
    BOOST_CHECK_EQUAL(i, 5);
    const int expected[5] = {1, 15, 2, 25, 3};
    BOOST_CHECK_EQUAL_COLLECTIONS(forward, forward + 5, expected, expected + 5);
    POSITION p = list.GetTailPosition();
    BOOST_CHECK_EQUAL(list.GetPrev(p), 3);
    BOOST_CHECK_EQUAL(list.GetAt(p), 25);
    list.RemoveAt(list.Find(25));
    BOOST_CHECK(list.Find(25) == nullptr);
    BOOST_CHECK_EQUAL(list.GetAt(list.FindIndex(2)), 2);
    BOOST_CHECK_EQUAL(list.RemoveHead(), 1);
    BOOST_CHECK_EQUAL(list.RemoveTail(), 3);
    BOOST_CHECK_EQUAL(list.GetCount(), 2);
    list.RemoveAll();
    BOOST_CHECK(list.IsEmpty() && list.GetHeadPosition() == nullptr);
}

BOOST_AUTO_TEST_CASE(ArrayEditing) {
    CArray<int, int> array;
    array.SetAtGrow(2, 7);
    BOOST_CHECK_EQUAL(array.GetSize(), 3);
    array.InsertAt(0, 9, 2);
    array.RemoveAt(1);
    BOOST_CHECK_EQUAL(array.GetSize(), 4);
    BOOST_CHECK_EQUAL(array[0], 9);
    BOOST_CHECK_EQUAL(array[3], 7);
    BOOST_CHECK_EQUAL(array.GetUpperBound(), 3);
    BOOST_CHECK_THROW(array.GetAt(4), std::out_of_range);
}
