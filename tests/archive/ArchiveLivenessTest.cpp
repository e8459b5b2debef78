// Object liveness: a load never returns or touches an object that may have
// been destroyed. References to objects the application deleted, to values a
// container dropped and to objects of a failed load are badIndex, for every
// kind of pointer; references to objects still alive keep resolving across
// messages on one archive, as MFC programs expect.
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace {

using namespace xsock;
using xsock::test::ArchiveSession;
using xsock::test::CauseOf;

// Live Leaf objects; atomic, since one test destroys them on another thread.
std::atomic<int> gLive{0};

class Leaf : public Object {
    XSOCK_DECLARE_SERIAL(Leaf)
  public:
    Leaf() { ++gLive; }
    Leaf(const Leaf&) = delete;
    ~Leaf() override { --gLive; }
    void Serialize(Archive& ar) override { ar.Exchange(value); }
    std::int32_t value = 0;
};
XSOCK_IMPLEMENT_SERIAL(Leaf, Object, 1)

// Refuses a negative value from inside Serialize, as application checks do.
class Fragile : public Object {
    XSOCK_DECLARE_SERIAL(Fragile)
  public:
    void Serialize(Archive& ar) override {
        ar.Exchange(value);
        if (ar.IsLoading() && value < 0) {
            throw std::invalid_argument("negative");
        }
    }
    std::int32_t value = 0;
};
XSOCK_IMPLEMENT_SERIAL(Fragile, Object, 1)

// Each kind of pointer, reading message 2's reference to message 1's object.
ArchiveException::Cause RawCause(Archive& ar) {
    return CauseOf([&] {
        Leaf* leaf = nullptr;
        ar >> leaf;
    });
}
ArchiveException::Cause UnownedCause(Archive& ar) {
    return CauseOf([&] {
        Leaf* leaf = nullptr;
        ar >> Unowned(leaf);
    });
}
ArchiveException::Cause SharedCause(Archive& ar) {
    return CauseOf([&] {
        std::shared_ptr<Leaf> leaf;
        ar >> leaf;
    });
}

using CauseReader = ArchiveException::Cause (*)(Archive&);
const CauseReader kReaders[] = {&RawCause, &UnownedCause, &SharedCause};

// Message 1 carries a new Leaf, message 2 a reference to it (the sender sends
// the same object twice).
void SendTwice(ArchiveSession& session, Leaf& leaf) {
    session.Send([&](Archive& ar) { ar << &leaf; });
    session.Send([&](Archive& ar) { ar << &leaf; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveLiveness)

BOOST_AUTO_TEST_CASE(AReferenceToAnObjectTheApplicationDeletedIsBadIndexForEveryPointerKind) {
    for (CauseReader read : kReaders) {
        Leaf leaf;
        ArchiveSession session;
        SendTwice(session, leaf);
        Leaf* first = nullptr;
        session.In() >> first;
        BOOST_REQUIRE(first != nullptr);
        delete first;  // the application is done with message 1
        BOOST_TEST(read(session.In()) == ArchiveException::badIndex);
    }
    BOOST_TEST(gLive.load() == 0);
}

BOOST_AUTO_TEST_CASE(AReferenceToAnObjectAUniquePtrOrSharedPtrReleasedIsBadIndex) {
    for (CauseReader read : kReaders) {
        Leaf leaf;
        ArchiveSession session;
        SendTwice(session, leaf);
        session.In() >> std::make_unique<std::unique_ptr<Leaf>>().operator*();
        BOOST_TEST(read(session.In()) == ArchiveException::badIndex);
    }
    for (CauseReader read : kReaders) {
        Leaf leaf;
        ArchiveSession session;
        SendTwice(session, leaf);
        {
            std::shared_ptr<Leaf> first;
            session.In() >> first;
            BOOST_REQUIRE(first);
        }
        BOOST_TEST(read(session.In()) == ArchiveException::badIndex);
    }
    BOOST_TEST(gLive.load() == 0);
}

BOOST_AUTO_TEST_CASE(ABackReferenceToALiveObjectResolvesAcrossMessages) {
    Leaf leaf;
    leaf.value = 7;
    {
        ArchiveSession session;
        SendTwice(session, leaf);
        std::unique_ptr<Leaf> owner;
        session.In() >> owner;
        Leaf* again = nullptr;
        session.In() >> again;
        BOOST_TEST(again == owner.get());
    }
    {
        ArchiveSession session;
        SendTwice(session, leaf);
        std::shared_ptr<Leaf> owner;
        session.In() >> owner;
        std::shared_ptr<Leaf> again;
        session.In() >> again;
        BOOST_TEST(again == owner);
        BOOST_TEST(again->value == 7);
    }
    {
        ArchiveSession session;
        SendTwice(session, leaf);
        std::unique_ptr<Leaf> owner;
        session.In() >> owner;
        Leaf* parent = nullptr;
        session.In() >> Unowned(parent);
        BOOST_TEST(parent == owner.get());
    }
}

BOOST_AUTO_TEST_CASE(ADuplicateMapKeyReplacesTheValueAndItsObjectCannotBeReferenced) {
    Leaf first;
    first.value = 1;
    Leaf second;
    second.value = 2;
    ArchiveSession session;
    session.Send([&](Archive& ar) {
        // A map with the key 5 twice, written by hand, then a reference to the
        // first value's object.
        ar.WriteCount(2);
        ar << std::int32_t{5} << &first << std::int32_t{5} << &second << &first;
    });
    std::map<std::int32_t, std::unique_ptr<Leaf>> map;
    session.In() >> map;
    BOOST_REQUIRE(map.size() == 1u);
    BOOST_TEST(map.at(5)->value == 2);  // the later one wins, as CMap::SetAt
    BOOST_TEST(RawCause(session.In()) == ArchiveException::badIndex);
}

BOOST_AUTO_TEST_CASE(ADuplicateSetKeyReplacesTheEarlierElement) {
    ArchiveSession session;
    session.Send([&](Archive& ar) {
        ar.WriteCount(3);
        ar << std::string("a") << std::string("b") << std::string("a");
    });
    std::set<std::string> set;
    session.In() >> set;
    BOOST_TEST(set == (std::set<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(ObjectsOfAReplacedOptionalOrVariantOrAShrunkVectorCannotBeReferenced) {
    Leaf a;
    Leaf b;
    Leaf c;
    {
        ArchiveSession session;
        session.Send(
            [&](Archive& ar) { ar << std::optional<Leaf*>(&a) << std::optional<Leaf*>(&b) << &a; });
        std::optional<std::unique_ptr<Leaf>> optional;
        session.In() >> optional >> optional;  // loading in place replaces the first
        BOOST_TEST(RawCause(session.In()) == ArchiveException::badIndex);
    }
    {
        ArchiveSession session;
        session.Send([&](Archive& ar) {
            ar.WriteCount(1);
            ar << &a;
            ar.WriteCount(1);
            ar << &b << &a;
        });
        std::variant<std::monostate, std::unique_ptr<Leaf>> variant;
        session.In() >> variant >> variant;
        BOOST_TEST(RawCause(session.In()) == ArchiveException::badIndex);
    }
    {
        ArchiveSession session;
        session.Send([&](Archive& ar) {
            ar << std::vector<Leaf*>{&a, &b} << std::vector<Leaf*>{&c} << &b;
        });
        std::vector<std::unique_ptr<Leaf>> vector;
        session.In() >> vector >> vector;  // the second load drops b
        BOOST_TEST(RawCause(session.In()) == ArchiveException::badIndex);
    }
    BOOST_TEST(gLive.load() == 3);
}

BOOST_AUTO_TEST_CASE(ObjectsOfAFailedLoadCannotBeReferencedEvenIfTheyAreStillHeld) {
    Leaf leaf;
    ArchiveSession session;
    session.Send([&](Archive& ar) {
        Fragile fragile;
        fragile.value = -1;  // refused when loaded
        ar.WriteCount(2);
        ar << &leaf << &fragile << &leaf;
    });
    std::vector<std::unique_ptr<Object>> kept;
    BOOST_CHECK_THROW(session.In() >> kept, std::invalid_argument);
    BOOST_REQUIRE(!kept.empty());
    BOOST_TEST(kept.front() != nullptr);  // the application still holds the Leaf
    Object* again = nullptr;
    BOOST_TEST(CauseOf([&] { session.In() >> again; }) == ArchiveException::badIndex);
}

BOOST_AUTO_TEST_CASE(AnObjectDestroyedOnAnotherThreadCannotBeReferenced) {
    Leaf leaf;
    ArchiveSession session;
    SendTwice(session, leaf);
    std::unique_ptr<Leaf> first;
    session.In() >> first;
    std::thread([owned = std::move(first)]() mutable { owned.reset(); }).join();
    BOOST_TEST(RawCause(session.In()) == ArchiveException::badIndex);
}

// Another thread destroys the objects of earlier messages while this one keeps
// loading new objects and references into the same table: the table and the
// withdrawals share a lock (ThreadSanitizer checks this in CI).
BOOST_AUTO_TEST_CASE(ObjectsDestroyedOnAnotherThreadWhileLoadingContinuesAreWithdrawnSafely) {
    constexpr int kMessages = 200;
    std::vector<Leaf> leaves(kMessages);
    ArchiveSession session;
    for (Leaf& leaf : leaves) {
        session.Send([&](Archive& ar) { ar << &leaf << &leaf; });
    }
    std::vector<std::unique_ptr<Leaf>> handed(kMessages);
    std::atomic<int> ready{0};
    std::thread destroyer([&] {
        for (int i = 0; i < kMessages; ++i) {
            while (ready.load(std::memory_order_acquire) <= i) {
                std::this_thread::yield();
            }
            handed[static_cast<std::size_t>(i)].reset();
        }
    });
    int resolved = 0;
    for (int i = 0; i < kMessages; ++i) {
        std::unique_ptr<Leaf> loaded;
        session.In() >> loaded;
        Leaf* again = nullptr;
        session.In() >> again;  // the destroyer has not been given it yet
        resolved += again == loaded.get() ? 1 : 0;
        handed[static_cast<std::size_t>(i)] = std::move(loaded);
        ready.store(i + 1, std::memory_order_release);
    }
    destroyer.join();
    BOOST_TEST(resolved == kMessages);
    BOOST_TEST(gLive.load() == kMessages);  // only `leaves` remain
}

BOOST_AUTO_TEST_SUITE_END()
