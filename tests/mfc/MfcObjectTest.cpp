// CObject and CRuntimeClass in MFC style: DECLARE_/IMPLEMENT_DYNAMIC,
// _DYNCREATE and _SERIAL, IsKindOf, DYNAMIC_DOWNCAST, and the rule that only
// IMPLEMENT_SERIAL classes are ever created from archive input.
#include <afx.h>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <memory>
#include <vector>

namespace {

class CShape : public CObject {
    DECLARE_DYNAMIC(CShape)
};
IMPLEMENT_DYNAMIC(CShape, CObject)

class CCircle : public CShape {
    DECLARE_DYNCREATE(CCircle)
  public:
    int m_radius = 7;
};
IMPLEMENT_DYNCREATE(CCircle, CShape)

class CSquare : public CShape {
    DECLARE_SERIAL(CSquare)
  public:
    void Serialize(CArchive& ar) override {
        if (ar.IsStoring()) {
            ar << m_side;
        } else {
            ar >> m_side;
        }
    }
    LONG m_side = 0;
};
IMPLEMENT_SERIAL(CSquare, CShape, VERSIONABLE_SCHEMA | 2)

}  // namespace

BOOST_AUTO_TEST_CASE(RuntimeClassesFollowTheDeclaredHierarchy) {
    CCircle circle;
    CSquare square;
    const CObject* object = &circle;
    BOOST_CHECK(object->IsKindOf(RUNTIME_CLASS(CCircle)));
    BOOST_CHECK(object->IsKindOf(RUNTIME_CLASS(CShape)));
    BOOST_CHECK(object->IsKindOf(RUNTIME_CLASS(CObject)));
    BOOST_CHECK(!object->IsKindOf(RUNTIME_CLASS(CSquare)));
    BOOST_CHECK_EQUAL(std::strcmp(object->GetRuntimeClass()->m_lpszClassName, "CCircle"), 0);
    BOOST_CHECK_EQUAL(RUNTIME_CLASS(CSquare)->m_wSchema, VERSIONABLE_SCHEMA | 2);
    BOOST_CHECK(!circle.IsSerializable());
    BOOST_CHECK(square.IsSerializable());
    CObject* pointer = &square;
    BOOST_CHECK(DYNAMIC_DOWNCAST(CSquare, pointer) == &square);
    BOOST_CHECK(DYNAMIC_DOWNCAST(CCircle, pointer) == nullptr);
}

BOOST_AUTO_TEST_CASE(DynCreateAndSerialClassesAreCreatedByName) {
    std::unique_ptr<CObject> circle(RUNTIME_CLASS(CCircle)->CreateObject());
    BOOST_REQUIRE(circle != nullptr);
    BOOST_CHECK(circle->IsKindOf(RUNTIME_CLASS(CCircle)));
    BOOST_CHECK_EQUAL(static_cast<CCircle*>(circle.get())->m_radius, 7);
    std::unique_ptr<CObject> square(RUNTIME_CLASS(CSquare)->CreateObject());
    BOOST_CHECK(square != nullptr && square->IsKindOf(RUNTIME_CLASS(CSquare)));
    BOOST_CHECK(RUNTIME_CLASS(CShape)->CreateObject() == nullptr);
}

// A DYNCREATE class is not serializable: input that names it creates nothing.
BOOST_AUTO_TEST_CASE(InputNeverCreatesADynCreateClass) {
    std::vector<BYTE> bytes = {0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 'C',
                               'C',  'i',  'r',  'c',  'l',  'e'};
    CMemFile file(bytes.data(), static_cast<UINT>(bytes.size()));
    CArchive ar(&file, CArchive::load);
    CShape* shape = nullptr;
    try {
        ar >> shape;
        BOOST_FAIL("a DYNCREATE class was created from input");
    } catch (CArchiveException* e) {
        BOOST_CHECK_EQUAL(e->m_cause, CArchiveException::badClass);
        e->Delete();
    }
    BOOST_CHECK(shape == nullptr);
}

BOOST_AUTO_TEST_CASE(ALoadedObjectMustBeOfTheRequestedClass) {
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        CSquare square;
        square.m_side = 4;
        ar << &square;
    }
    file.SeekToBegin();
    {
        CArchive ar(&file, CArchive::load);
        CShape* shape = nullptr;
        ar >> shape;
        std::unique_ptr<CShape> owned(shape);
        BOOST_REQUIRE(shape != nullptr);
        BOOST_CHECK_EQUAL(static_cast<CSquare*>(shape)->m_side, 4);
        BOOST_CHECK_EQUAL(ar.GetObjectSchema(), ~0u);
    }
    file.SeekToBegin();
    {
        CArchive ar(&file, CArchive::load);
        try {
            ar.ReadObject(RUNTIME_CLASS(CCircle));
            BOOST_FAIL("a CSquare was accepted as a CCircle");
        } catch (CArchiveException* e) {
            BOOST_CHECK_EQUAL(e->m_cause, CArchiveException::badClass);
            e->Delete();
        }
    }
}

// A CObject serialized by an archive that is no CArchive is a usage error.
BOOST_AUTO_TEST_CASE(OnlyACArchiveSerializesACObject) {
    xsock::MemFile file;
    xsock::Archive ar(file, xsock::Archive::store);
    CSquare square;
    BOOST_CHECK_THROW(ar << &square, std::logic_error);
    ar.Abort();
}
