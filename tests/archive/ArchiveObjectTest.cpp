// Serializable objects: run-time classes, the registry, pointer tracking,
// ownership through raw and smart pointers, schemas and class references.
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

namespace {

using namespace xsock;
using xsock::test::Bytes;
using xsock::test::CauseOf;
using xsock::test::Hex;
using xsock::test::Load;
using xsock::test::Store;

// Counts live shapes so a test can prove nothing leaked or was freed twice.
int gLiveShapes = 0;
int gSquareLoads = 0;

class Shape : public Object {
    XSOCK_DECLARE_DYNAMIC(Shape)
  public:
    Shape() { ++gLiveShapes; }
    Shape(const Shape&) = delete;
    ~Shape() override { --gLiveShapes; }
    void Serialize(Archive& ar) override { ar.Exchange(name); }
    std::string name;
};
XSOCK_IMPLEMENT_DYNAMIC(Shape, Object)

class Circle : public Shape {
    XSOCK_DECLARE_SERIAL(Circle)
  public:
    void Serialize(Archive& ar) override {
        Shape::Serialize(ar);
        ar.Exchange(radius);
    }
    double radius = 0;
};
XSOCK_IMPLEMENT_SERIAL(Circle, Shape, 1)

class Square : public Shape {
    XSOCK_DECLARE_SERIAL(Square)
  public:
    std::int32_t side = 0;
    void Serialize(Archive& ar) override {
        Shape::Serialize(ar);
        if (ar.IsStoring()) {
            ar << side;
        } else {
            ++gSquareLoads;
            ar >> side;
        }
    }
};
XSOCK_IMPLEMENT_SERIAL(Square, Shape, 1)

// Derives from Square without declaring itself: writing one would slice it.
class Undeclared : public Square {};

// A scene owns shapes through smart pointers and points at one without owning it.
class Scene : public Object {
    XSOCK_DECLARE_SERIAL(Scene)
  public:
    void Serialize(Archive& ar) override { ar.Exchange(owned, shared, Unowned(favourite)); }
    std::vector<std::unique_ptr<Shape>> owned;
    std::vector<std::shared_ptr<Shape>> shared;
    Shape* favourite = nullptr;
};
XSOCK_IMPLEMENT_SERIAL(Scene, Object, 1)

// A versionable class reads older schemas; it records the one it saw.
class Versioned : public Object {
    XSOCK_DECLARE_SERIAL(Versioned)
  public:
    void Serialize(Archive& ar) override {
        if (ar.IsStoring()) {
            ar << a << b;
            return;
        }
        seenSchema = ar.GetObjectSchema();
        ar >> a;
        if (seenSchema >= 2) {
            ar >> b;
        }
    }
    std::int32_t a = 0;
    std::int32_t b = -1;
    unsigned seenSchema = 0;
};
XSOCK_IMPLEMENT_SERIAL(Versioned, Object, VERSIONABLE_SCHEMA | 2)

class Node : public Object {
    XSOCK_DECLARE_SERIAL(Node)
  public:
    void Serialize(Archive& ar) override { ar.Exchange(next); }
    std::shared_ptr<Node> next;
};
XSOCK_IMPLEMENT_SERIAL_NAMED(Node, Object, 1, "CNode")

class Document : public Object {
    XSOCK_DECLARE_SERIAL(Document)
};
XSOCK_IMPLEMENT_SERIAL(Document, Object, 1)

class Item : public Object {
    XSOCK_DECLARE_SERIAL(Item)
  public:
    void Serialize(Archive& ar) override { ar.Exchange(owner); }
    Document* owner = nullptr;
};
XSOCK_IMPLEMENT_SERIAL(Item, Object, 1)

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveObject)

BOOST_AUTO_TEST_CASE(RuntimeClassesKnowTheirNameSchemaAndBases) {
    Circle circle;
    BOOST_TEST(std::string(circle.GetRuntimeClass()->Name()) == "Circle");
    BOOST_TEST(circle.GetRuntimeClass()->Schema() == 1u);
    BOOST_TEST(circle.IsKindOf(XSOCK_RUNTIME_CLASS(Shape)));
    BOOST_TEST(circle.IsKindOf(XSOCK_RUNTIME_CLASS(Object)));
    BOOST_TEST(!circle.IsKindOf(XSOCK_RUNTIME_CLASS(Square)));
    BOOST_TEST(circle.IsSerializable());
    BOOST_TEST(!XSOCK_RUNTIME_CLASS(Shape)->IsSerializable());
    BOOST_TEST(XSOCK_RUNTIME_CLASS(Versioned)->Schema() == (VERSIONABLE_SCHEMA | 2));
}

BOOST_AUTO_TEST_CASE(TheRegistryFindsSerializableClassesByWireNameOnly) {
    BOOST_TEST(RuntimeClass::FromName("Circle") == XSOCK_RUNTIME_CLASS(Circle));
    BOOST_TEST(RuntimeClass::FromName("CNode") == XSOCK_RUNTIME_CLASS(Node));
    BOOST_TEST(RuntimeClass::FromName("Node") == nullptr);
    BOOST_TEST(RuntimeClass::FromName("Shape") == nullptr);  // not creatable
    BOOST_TEST(RuntimeClass::FromName("Nothing") == nullptr);
    auto created = RuntimeClass::FromName("Square")->CreateObject();
    BOOST_TEST(dynamic_cast<Square*>(created.get()) != nullptr);
}

BOOST_AUTO_TEST_CASE(AClassRegisteredTwiceUnderOneNameIsRefused) {
    {
        const RuntimeClass impostor("Circle", 1, XSOCK_RUNTIME_CLASS(Object), &Circle::CreateObject,
                                    typeid(Circle));
        BOOST_TEST(RuntimeClass::FromName("Circle") == nullptr);
    }
    BOOST_TEST(RuntimeClass::FromName("Circle") == XSOCK_RUNTIME_CLASS(Circle));
}

BOOST_AUTO_TEST_CASE(RawPointerLoadsHandOwnershipToTheCallerAndKeepIdentity) {
    Circle circle;
    circle.name = "c";
    circle.radius = 2.5;
    const Bytes bytes = Store([&](Archive& ar) { ar << &circle << &circle; });
    const int before = gLiveShapes;
    Load(bytes, [](Archive& ar) {
        Shape* first = nullptr;
        const Shape* second = nullptr;
        ar >> first >> second;
        BOOST_TEST(first == second);
        auto* loaded = dynamic_cast<Circle*>(first);
        BOOST_REQUIRE(loaded != nullptr);
        BOOST_TEST(loaded->radius == 2.5);
        BOOST_TEST(loaded->name == "c");
        delete first;
    });
    BOOST_TEST(gLiveShapes == before);
}

BOOST_AUTO_TEST_CASE(ReadObjectChecksTheRequestedClass) {
    Square square;
    const Bytes bytes = Store([&](Archive& ar) { ar.WriteObject(&square); });
    Load(bytes, [](Archive& ar) {
        std::unique_ptr<Object> object(ar.ReadObject(XSOCK_RUNTIME_CLASS(Shape)));
        BOOST_TEST(object->IsKindOf(XSOCK_RUNTIME_CLASS(Square)));
    });
    Load(bytes, [](Archive& ar) {
        BOOST_TEST(CauseOf([&] { ar.ReadObject(XSOCK_RUNTIME_CLASS(Circle)); }) ==
                   ArchiveException::badClass);
    });
}

BOOST_AUTO_TEST_CASE(SmartPointerGraphsComeBackWithSharingIntact) {
    const int before = gLiveShapes;
    {
        Scene scene;
        auto circle = std::make_unique<Circle>();
        circle->radius = 1;
        scene.favourite = circle.get();
        scene.owned.push_back(std::move(circle));
        scene.owned.push_back(std::make_unique<Square>());
        auto shared = std::make_shared<Square>();
        shared->side = 9;
        scene.shared = {shared, shared, nullptr};
        const Bytes bytes = Store([&](Archive& ar) { ar << &scene; });

        std::unique_ptr<Scene> back;
        Load(bytes, [&](Archive& ar) { ar >> back; });
        BOOST_REQUIRE(back);
        BOOST_TEST(back->owned.size() == 2u);
        BOOST_TEST(back->favourite == back->owned[0].get());
        BOOST_TEST(dynamic_cast<Square*>(back->owned[1].get()) != nullptr);
        BOOST_TEST(back->shared.size() == 3u);
        BOOST_TEST(back->shared[0] == back->shared[1]);
        BOOST_TEST(back->shared[0].use_count() == 2);  // the archive let go of its reference
        BOOST_TEST(back->shared[2] == nullptr);
        BOOST_TEST(std::static_pointer_cast<Square>(back->shared[0])->side == 9);
    }
    BOOST_TEST(gLiveShapes == before);
}

BOOST_AUTO_TEST_CASE(SharedPointerCyclesAreWrittenOnceAndComeBackAsOneObject) {
    auto a = std::make_shared<Node>();
    auto b = std::make_shared<Node>();
    a->next = b;
    b->next = a;
    const Bytes bytes = Store([&](Archive& ar) { ar << a; });
    BOOST_TEST(xsock::test::ToHex(bytes) ==
               xsock::test::ToHex(Hex("FFFF 0100 0500 434E6F6465  0180  0200")));
    std::shared_ptr<Node> back;
    Load(bytes, [&](Archive& ar) { ar >> back; });
    BOOST_TEST(back->next->next == back);
    back->next->next.reset();  // break the cycle so the test does not leak
    a->next.reset();
}

BOOST_AUTO_TEST_CASE(AUniquePointerRefusesAnObjectThatIsAlreadyOwned) {
    Circle circle;
    const Bytes bytes = Store([&](Archive& ar) { ar << &circle << &circle; });
    const int before = gLiveShapes;
    Load(bytes, [](Archive& ar) {
        std::unique_ptr<Shape> first;
        std::unique_ptr<Shape> second;
        ar >> first;
        BOOST_TEST(CauseOf([&] { ar >> second; }) == ArchiveException::badIndex);
        BOOST_TEST(second == nullptr);
    });
    BOOST_TEST(gLiveShapes == before);
}

BOOST_AUTO_TEST_CASE(AnUnownedPointerOnlyEverResolvesToAnObjectAlreadyLoaded) {
    Scene scene;
    Circle stray;
    scene.favourite = &stray;  // not part of the scene: nothing to refer to
    BOOST_TEST(CauseOf([&] { Store([&](Archive& ar) { ar << &scene; }); }) ==
               ArchiveException::badIndex);
    // Bytes that put a new Circle where the reference belongs.
    const Bytes hostile =
        Hex("FFFF 0100 0500 5363656E65"                          // Scene -> 1, the scene -> 2
            "0000 0000"                                          // no owned, no shared shapes
            "FFFF 0100 0600 436972636C65 00 0000000000000000");  // a new Circle
    const int before = gLiveShapes;
    BOOST_TEST(CauseOf([&] {
                   Load(hostile, [](Archive& ar) {
                       std::unique_ptr<Scene> loaded;
                       ar >> loaded;
                   });
               }) == ArchiveException::badIndex);
    BOOST_TEST(gLiveShapes == before);
}

BOOST_AUTO_TEST_CASE(MapObjectLetsSubobjectsReferToAnObjectThatIsNotWritten) {
    Document document;
    Item item;
    item.owner = &document;
    const Bytes bytes = Store([&](Archive& ar) {
        ar.MapObject(&document);
        ar << &item;
    });
    // The document took index 1 without a byte; the class is 2, the item 3.
    BOOST_TEST(xsock::test::ToHex(bytes) ==
               xsock::test::ToHex(Hex("FFFF 0100 0400 4974656D 0100")));
    Document other;
    Load(bytes, [&](Archive& ar) {
        ar.MapObject(&other);
        std::unique_ptr<Item> loaded;
        ar >> loaded;
        BOOST_TEST(loaded->owner == &other);
    });
}

BOOST_AUTO_TEST_CASE(VersionableSchemaLoadsAnOlderSchemaAndReportsIt) {
    // Written by an older program: Versioned at schema 1 had only `a`.
    const Bytes old = Hex("FFFF 0100 0900 56657273696F6E6564 2A000000");
    std::unique_ptr<Versioned> loaded;
    Load(old, [&](Archive& ar) { ar >> loaded; });
    BOOST_TEST(loaded->seenSchema == 1u);
    BOOST_TEST(loaded->a == 42);
    BOOST_TEST(loaded->b == -1);

    Versioned current;
    current.b = 5;
    Load(Store([&](Archive& ar) { ar << &current; }), [&](Archive& ar) { ar >> loaded; });
    BOOST_TEST(loaded->seenSchema == 2u);
    BOOST_TEST(loaded->b == 5);
}

BOOST_AUTO_TEST_CASE(GetObjectSchemaAnswersOnceThenReadsAsUnknown) {
    Load(Hex("FFFF 0100 0600 436972636C65"), [](Archive& ar) {
        BOOST_TEST(ar.ReadClass(XSOCK_RUNTIME_CLASS(Shape)) == XSOCK_RUNTIME_CLASS(Circle));
        BOOST_TEST(ar.GetObjectSchema() == 1u);
        BOOST_TEST(ar.GetObjectSchema() == ~0u);
    });
}

BOOST_AUTO_TEST_CASE(SerializeClassReadsBackWhatItWrote) {
    unsigned schema = 0;
    const Bytes bytes = Store([](Archive& ar) {
        ar.SerializeClass(XSOCK_RUNTIME_CLASS(Circle));
        ar.WriteClass(XSOCK_RUNTIME_CLASS(Square));
        ar.WriteClass(XSOCK_RUNTIME_CLASS(Circle));
    });
    Load(bytes, [&](Archive& ar) {
        ar.SerializeClass(XSOCK_RUNTIME_CLASS(Circle));
        BOOST_TEST(ar.GetObjectSchema() == 1u);
        BOOST_TEST(ar.ReadClass(nullptr, &schema) == XSOCK_RUNTIME_CLASS(Square));
        BOOST_TEST(schema == 1u);
        BOOST_TEST(CauseOf([&] { ar.ReadClass(XSOCK_RUNTIME_CLASS(Square)); }) ==
                   ArchiveException::badClass);
    });
}

BOOST_AUTO_TEST_CASE(WritingAClassWithoutItsOwnDeclarationIsRefusedInsteadOfSliced) {
    Undeclared object;
    BOOST_TEST(CauseOf([&] { Store([&](Archive& ar) { ar << &object; }); }) ==
               ArchiveException::badClass);
    BOOST_TEST(CauseOf([&] {
                   Store([&](Archive& ar) { ar.WriteClass(XSOCK_RUNTIME_CLASS(Shape)); });
               }) == ArchiveException::badClass);
}

BOOST_AUTO_TEST_CASE(LoadingIntoAnUndeclaredSubclassChecksTheCppTypeBeforeSerialize) {
    Circle circle;
    Square square;
    const Bytes bytes = Store([&](Archive& ar) { ar << &circle; });
    const int before = gLiveShapes;
    Load(bytes, [](Archive& ar) {
        // Undeclared's run-time class is Square's, which a Circle is not...
        std::unique_ptr<Undeclared> wrong;
        BOOST_TEST(CauseOf([&] { ar >> wrong; }) == ArchiveException::badClass);
    });
    const int loads = gSquareLoads;
    Load(Store([&](Archive& ar) { ar << &square; }), [](Archive& ar) {
        // ...and a Square passes that check but is not an Undeclared.
        std::unique_ptr<Undeclared> wrong;
        BOOST_TEST(CauseOf([&] { ar >> wrong; }) == ArchiveException::badClass);
    });
    BOOST_TEST(gSquareLoads == loads);
    BOOST_TEST(gLiveShapes == before);
}

BOOST_AUTO_TEST_SUITE_END()
