// Stack safety: a chain of objects nested deeper than the default limit is
// refused (limitExceeded) on a thread with a 256 KiB stack, and a chain exactly
// at the limit loads there, in whichever build this suite is compiled
// (Release, Debug, AddressSanitizer + UndefinedBehaviorSanitizer). It also
// measures the stack one nesting level takes, the figure the README gives.
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

#include <pthread.h>

#include <functional>
#include <memory>

namespace {

using namespace xsock;
using xsock::test::Bytes;
using xsock::test::CauseOf;
using xsock::test::Store;

constexpr std::size_t kSmallStack = 256 * 1024;

// One level through a unique_ptr member.
class Link : public Object {
    XSOCK_DECLARE_SERIAL(Link)
  public:
    ~Link() override {
        // Unlink iteratively, so that destroying a long chain needs no stack.
        while (next) {
            next = std::move(next->next);
        }
    }
    void Serialize(Archive& ar) override { ar.Exchange(next); }
    std::unique_ptr<Link> next;
};
XSOCK_IMPLEMENT_SERIAL(Link, Object, 1)

// One level through a vector of objects, with a shared_ptr and a back pointer
// beside it: the heavier path an object tree takes.
class Node : public Object {
    XSOCK_DECLARE_SERIAL(Node)
  public:
    ~Node() override {
        while (!children.empty()) {
            auto child = std::move(children.back());
            children.pop_back();
            if (!child) {
                continue;  // the slot a failed load left empty
            }
            for (auto& grandchild : child->children) {
                children.push_back(std::move(grandchild));
            }
            child->children.clear();
        }
    }
    void Serialize(Archive& ar) override {
        ar.Exchange(name, children, extra, Unowned(parent), weight);
    }
    std::string name;
    std::vector<std::unique_ptr<Node>> children;
    std::shared_ptr<Node> extra;
    Node* parent = nullptr;
    std::optional<double> weight;
};
XSOCK_IMPLEMENT_SERIAL(Node, Object, 1)

Bytes LinkChain(std::uint32_t depth) {
    Link head;
    Link* tail = &head;
    for (std::uint32_t i = 1; i < depth; ++i) {
        tail->next = std::make_unique<Link>();
        tail = tail->next.get();
    }
    return Store([&](Archive& ar) { ar << &head; });
}

Bytes NodeChain(std::uint32_t depth) {
    Node root;
    Node* tail = &root;
    for (std::uint32_t i = 1; i < depth; ++i) {
        auto child = std::make_unique<Node>();
        child->name.push_back('n');
        child->parent = tail;
        Node* next = child.get();
        tail->children.push_back(std::move(child));
        tail = next;
    }
    return Store([&](Archive& ar) { ar << &root; });
}

template <class T>
ArchiveException::Cause LoadChain(const Bytes& bytes) {
    return CauseOf([&] {
        xsock::test::Load(bytes, [](Archive& ar) {
            std::unique_ptr<T> chain;
            ar >> chain;
        });
    });
}

// Runs work on a new thread whose stack is `size` bytes (a guard page below
// it, as for any thread), or on `stack` when given, and waits for it.
void OnThread(std::size_t size, const std::function<void()>& work, void* stack = nullptr) {
    pthread_attr_t attributes;
    BOOST_REQUIRE(::pthread_attr_init(&attributes) == 0);
    if (stack != nullptr) {
        BOOST_REQUIRE(::pthread_attr_setstack(&attributes, stack, size) == 0);
    } else {
        BOOST_REQUIRE(::pthread_attr_setstacksize(&attributes, size) == 0);
    }
    pthread_t thread;
    auto run = [](void* argument) -> void* {
        (*static_cast<const std::function<void()>*>(argument))();
        return nullptr;
    };
    BOOST_REQUIRE(::pthread_create(&thread, &attributes, run,
                                   const_cast<std::function<void()>*>(&work)) == 0);
    ::pthread_join(thread, nullptr);
    ::pthread_attr_destroy(&attributes);
}

// The stack bytes work touched: it runs on a painted stack of its own.
std::size_t StackUsed(const std::function<void()>& work) {
    constexpr std::size_t kSize = std::size_t{16} << 20;
    constexpr unsigned char kPaint = 0xA5;
    auto stack = std::make_unique<unsigned char[]>(kSize);
    std::fill_n(stack.get(), kSize, kPaint);
    OnThread(kSize, work, stack.get());
    std::size_t untouched = 0;
    while (untouched < kSize && stack[untouched] == kPaint) {
        ++untouched;
    }
    return kSize - untouched;
}

template <class T>
void CheckSafeOnASmallStack(Bytes (*chain)(std::uint32_t)) {
    const std::uint32_t limit = Archive::Limits{}.maxDepth;
    const Bytes deeper = chain(limit + 50);
    const Bytes atLimit = chain(limit);
    ArchiveException::Cause deeperCause = ArchiveException::genericException;
    ArchiveException::Cause atLimitCause = ArchiveException::genericException;
    OnThread(kSmallStack, [&] {
        deeperCause = LoadChain<T>(deeper);
        atLimitCause = LoadChain<T>(atLimit);
    });
    BOOST_TEST(deeperCause == ArchiveException::limitExceeded);
    BOOST_TEST(atLimitCause == ArchiveException::none);
}

template <class T>
std::size_t StackPerLevel(Bytes (*chain)(std::uint32_t)) {
    const Bytes shallow = chain(20);
    const Bytes deep = chain(120);
    // Boost.Test's checks belong to the main thread: the causes come back.
    auto shallowCause = ArchiveException::genericException;
    auto deepCause = ArchiveException::genericException;
    const std::size_t few = StackUsed([&] { shallowCause = LoadChain<T>(shallow); });
    const std::size_t many = StackUsed([&] { deepCause = LoadChain<T>(deep); });
    BOOST_TEST(shallowCause == ArchiveException::none);
    BOOST_TEST(deepCause == ArchiveException::none);
    return (many - few) / 100;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveStack)

BOOST_AUTO_TEST_CASE(AUniquePtrChainDeeperThanTheDefaultLimitIsRefusedOnA256KiBStack) {
    CheckSafeOnASmallStack<Link>(&LinkChain);
}

BOOST_AUTO_TEST_CASE(AnObjectTreeDeeperThanTheDefaultLimitIsRefusedOnA256KiBStack) {
    CheckSafeOnASmallStack<Node>(&NodeChain);
}

BOOST_AUTO_TEST_CASE(OneNestingLevelFitsTheStackTheDefaultLimitAssumes) {
    const std::size_t link = StackPerLevel<Link>(&LinkChain);
    const std::size_t node = StackPerLevel<Node>(&NodeChain);
    BOOST_TEST_MESSAGE("stack per nesting level: " << link << " bytes through a unique_ptr, "
                                                   << node << " through a vector of them");
    // Room for the levels, and a quarter of the stack for the caller and for
    // unwinding the exception.
    BOOST_TEST(std::max(link, node) * Archive::Limits{}.maxDepth <= kSmallStack * 3 / 4);
}

BOOST_AUTO_TEST_SUITE_END()
