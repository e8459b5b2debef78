// CTypedPtrList, CTypedPtrArray and CTypedPtrMap: typed access over the
// pointer collections, and Serialize through the base exactly as MFC's do.
// Expected bytes by hand from TN002 and afxcoll's layouts: WriteCount, then
// each pointer as an object. A new class is FF FF, schema (2 bytes), name
// length (2 bytes), name; the class then has index 1 and the object 2, so a
// second object of the class is tagged 0x8001 (01 80) and the first object
// again is a reference, 02 00.
#include <afxtempl.h>

#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <type_traits>

namespace {

using xsock::test::Bytes;
using xsock::test::Concat;
using xsock::test::Hex;
using xsock::test::LoadCollection;
using xsock::test::StoredCollection;
using xsock::test::ToHex;

class CShape : public CObject {
    DECLARE_SERIAL(CShape)
  public:
    CShape() = default;
    explicit CShape(LONG sides) : m_sides(sides) {}
    void Serialize(CArchive& ar) override {
        if (ar.IsStoring()) {
            ar << m_sides;
        } else {
            ar >> m_sides;
        }
    }
    LONG m_sides = 0;
};
IMPLEMENT_SERIAL(CShape, CObject, 1)

// "CShape" as TN002 writes a new class of schema 1.
const Bytes kShapeClass = Hex("FF FF 01 00 06 00 43 53 68 61 70 65");

using CShapeList = CTypedPtrList<CObList, CShape*>;
using CShapeArray = CTypedPtrArray<CObArray, CShape*>;
using CShapeMap = CTypedPtrMap<CMapStringToOb, CString, CShape*>;

// A typed list with a class of its own, as MFC documents declare theirs.
class CShapes : public CShapeList {
    DECLARE_SERIAL(CShapes)
};
IMPLEMENT_SERIAL(CShapes, CObList, 0)

}  // namespace

BOOST_AUTO_TEST_CASE(TypedListHandsOutTheTypeItHolds) {
    CShape triangle(3), square(4), pentagon(5);
    CShapeList list;
    list.AddTail(&square);
    list.AddHead(&triangle);
    list.AddTail(&pentagon);
    static_assert(std::is_same_v<decltype(list.GetHead()), CShape*&>);
    BOOST_CHECK_EQUAL(list.GetHead()->m_sides, 3);
    BOOST_CHECK_EQUAL(list.GetTail()->m_sides, 5);
    LONG sum = 0;
    for (POSITION at = list.GetHeadPosition(); at != nullptr;) {
        sum = sum * 10 + list.GetNext(at)->m_sides;
    }
    BOOST_CHECK_EQUAL(sum, 345);
    const CShapeList& view = list;
    POSITION back = view.GetTailPosition();
    BOOST_CHECK_EQUAL(view.GetPrev(back)->m_sides, 5);
    BOOST_CHECK_EQUAL(view.GetAt(back)->m_sides, 4);
    list.GetAt(back) = &pentagon;  // through the reference, as MFC code does
    BOOST_CHECK(list.Find(&square) == nullptr);
    BOOST_CHECK(list.RemoveTail() == &pentagon);

    CShapeList more;
    more.AddTail(&square);
    list.AddTail(&more);
    list.AddHead(&more);
    BOOST_CHECK_EQUAL(list.GetCount(), 4);
    BOOST_CHECK(list.GetHead() == &square && list.GetTail() == &square);
}

BOOST_AUTO_TEST_CASE(TypedListSerializesAsACObList) {
    CShape triangle(3), square(4);
    CShapeList list;
    list.AddTail(&triangle);
    list.AddTail(&square);
    const Bytes expected =
        Concat({Hex("02 00"), kShapeClass, Hex("03 00 00 00  01 80 04 00 00 00")});
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(list)), ToHex(expected));

    CObList plain;
    plain.AddTail(&triangle);
    plain.AddTail(&square);
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(plain)), ToHex(expected));

    CShapeList loaded;
    LoadCollection(expected, loaded);
    BOOST_REQUIRE_EQUAL(loaded.GetCount(), 2);
    std::unique_ptr<CShape> first(loaded.RemoveHead());
    std::unique_ptr<CShape> second(loaded.RemoveHead());
    BOOST_CHECK_EQUAL(first->m_sides, 3);
    BOOST_CHECK_EQUAL(second->m_sides, 4);
}

// MFC would write a bare typed list through a pointer under its base's name
// and load it back as a plain CObList; the core refuses to write an object
// under a class it is not (badClass) rather than load back something else.
// Declaring the typed list serial, as MFC programs do, writes it by its name.
BOOST_AUTO_TEST_CASE(TypedListStoredThroughAPointerNeedsItsOwnClass) {
    CShape triangle(3);
    CShapeList bare;
    bare.AddTail(&triangle);
    CMemFile scratch;
    CArchive refusing(&scratch, CArchive::store);
    int cause = -1;
    try {
        refusing << static_cast<CObject*>(&bare);
    } catch (CArchiveException* e) {
        cause = e->m_cause;
        e->Delete();
    }
    BOOST_CHECK_EQUAL(cause, CArchiveException::badClass);
    refusing.Abort();

    CShapes shapes;
    shapes.AddTail(&triangle);
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        ar << static_cast<CObject*>(&shapes);
        ar.Close();
    }
    const Bytes bytes(file.GetData(), file.GetData() + file.GetLength());
    // CShapes is index 1, the list 2, CShape 3.
    BOOST_CHECK_EQUAL(ToHex(bytes),
                      ToHex(Concat({Hex("FF FF 00 00 07 00 43 53 68 61 70 65 73  01 00"),
                                    kShapeClass, Hex("03 00 00 00")})));
    Bytes copy = bytes;
    CMemFile in(copy.data(), static_cast<UINT>(copy.size()));
    CArchive loading(&in, CArchive::load);
    CObject* loaded = nullptr;
    loading >> loaded;
    std::unique_ptr<CObject> list(loaded);
    auto* typed = DYNAMIC_DOWNCAST(CShapes, loaded);
    BOOST_REQUIRE(typed != nullptr);
    std::unique_ptr<CShape> shape(typed->RemoveHead());
    BOOST_CHECK_EQUAL(shape->m_sides, 3);
}

BOOST_AUTO_TEST_CASE(TypedArrayHandsOutTheTypeItHolds) {
    CShape triangle(3), square(4);
    CShapeArray array;
    BOOST_CHECK_EQUAL(array.Add(&triangle), 0);
    array.SetAtGrow(2, &square);
    BOOST_CHECK(array[1] == nullptr);
    array[1] = &square;
    array.ElementAt(0)->m_sides = 7;
    BOOST_CHECK_EQUAL(triangle.m_sides, 7);
    const CShapeArray& view = array;
    BOOST_CHECK_EQUAL(view[1]->m_sides, 4);
    BOOST_CHECK_EQUAL(view.GetAt(2)->m_sides, 4);

    CShapeArray other;
    other.Add(&triangle);
    other.Add(&triangle);
    array.InsertAt(1, &other);
    BOOST_CHECK_EQUAL(array.GetSize(), 5);
    BOOST_CHECK(array[1] == &triangle && array[2] == &triangle && array[3] == &square);

    CTypedPtrArray<CPtrArray, int*> numbers;
    int value = 1;
    numbers.Add(&value);
    *numbers[0] = 2;
    BOOST_CHECK_EQUAL(value, 2);
}

BOOST_AUTO_TEST_CASE(TypedArraySerializesAsACObArray) {
    CShape pentagon(5);
    CShapeArray array;
    array.Add(&pentagon);
    array.Add(&pentagon);
    const Bytes expected = Concat({Hex("02 00"), kShapeClass, Hex("05 00 00 00  02 00")});
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(array)), ToHex(expected));

    CShapeArray loaded;
    LoadCollection(expected, loaded);
    BOOST_REQUIRE_EQUAL(loaded.GetSize(), 2);
    std::unique_ptr<CShape> owned(loaded[0]);
    BOOST_CHECK(loaded[1] == loaded[0]);
    BOOST_CHECK_EQUAL(loaded[0]->m_sides, 5);
}

BOOST_AUTO_TEST_CASE(TypedMapLooksUpAndWalksTheTypeItHolds) {
    CShape triangle(3), square(4);
    CShapeMap map;
    map.SetAt(CString("tri"), &triangle);
    map["sq"] = &square;
    CShape* found = nullptr;
    BOOST_REQUIRE(map.Lookup("tri", found));
    BOOST_CHECK_EQUAL(found->m_sides, 3);
    BOOST_CHECK(!map.Lookup("hex", found));
    map["sq"]->m_sides = 40;
    BOOST_CHECK_EQUAL(square.m_sides, 40);
    LONG sum = 0;
    for (POSITION at = map.GetStartPosition(); at != nullptr;) {
        CString key;
        CShape* shape = nullptr;
        map.GetNextAssoc(at, key, shape);
        sum += shape->m_sides;
    }
    BOOST_CHECK_EQUAL(sum, 43);
    BOOST_CHECK(map.RemoveKey(CString("tri")));
    BOOST_CHECK_EQUAL(map.GetCount(), 1);

    CTypedPtrMap<CMapWordToPtr, WORD, int*> numbers;
    int value = 9;
    numbers.SetAt(7, &value);
    int* pointer = nullptr;
    BOOST_REQUIRE(numbers.Lookup(7, pointer));
    BOOST_CHECK_EQUAL(*pointer, 9);
}

BOOST_AUTO_TEST_CASE(TypedMapSerializesAsACMapStringToOb) {
    CShape triangle(3);
    CShapeMap map;
    map.SetAt(CString("ab"), &triangle);
    const Bytes expected = Concat({Hex("01 00  02 61 62"), kShapeClass, Hex("03 00 00 00")});
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(map)), ToHex(expected));

    CShapeMap loaded;
    LoadCollection(expected, loaded);
    CShape* shape = nullptr;
    BOOST_REQUIRE(loaded.Lookup("ab", shape));
    std::unique_ptr<CShape> owned(shape);
    BOOST_CHECK_EQUAL(shape->m_sides, 3);
}
