// Hostile and broken input: every failure is a clean ArchiveException with a
// cause, nothing leaks, and lengths cost memory only as their bytes arrive.
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

namespace {

using namespace xsock;
using xsock::test::Bytes;
using xsock::test::CauseOf;
using xsock::test::Concat;
using xsock::test::Hex;
using xsock::test::Load;
using xsock::test::Store;

int gLive = 0;  // live Leaf, Branch and Fragile objects

class Leaf : public Object {
    XSOCK_DECLARE_SERIAL(Leaf)
  public:
    Leaf() { ++gLive; }
    Leaf(const Leaf&) = delete;
    ~Leaf() override { --gLive; }
    void Serialize(Archive& ar) override { ar.Exchange(tag, samples); }
    std::string tag;
    std::vector<std::int16_t> samples;
};
XSOCK_IMPLEMENT_SERIAL(Leaf, Object, 1)

class Branch : public Object {
    XSOCK_DECLARE_SERIAL(Branch)
  public:
    Branch() { ++gLive; }
    Branch(const Branch&) = delete;
    ~Branch() override { --gLive; }
    void Serialize(Archive& ar) override {
        ar.Exchange(title, attributes, children, leaf, Unowned(parent), weight);
    }
    std::u16string title;
    std::map<std::string, std::uint32_t> attributes;
    std::vector<std::unique_ptr<Branch>> children;
    std::shared_ptr<Leaf> leaf;
    Branch* parent = nullptr;  // not owned
    std::optional<double> weight;
};
XSOCK_IMPLEMENT_SERIAL(Branch, Object, 3)

// Refuses a negative value from inside Serialize, as application checks do.
class Fragile : public Object {
    XSOCK_DECLARE_SERIAL(Fragile)
  public:
    Fragile() { ++gLive; }
    Fragile(const Fragile&) = delete;
    ~Fragile() override { --gLive; }
    void Serialize(Archive& ar) override {
        std::int32_t value = 0;
        ar >> value;
        if (value < 0) {
            throw std::invalid_argument("negative");
        }
    }
};
XSOCK_IMPLEMENT_SERIAL(Fragile, Object, 1)

class Link : public Object {
    XSOCK_DECLARE_SERIAL(Link)
  public:
    void Serialize(Archive& ar) override { ar.Exchange(next); }
    std::unique_ptr<Link> next;
};
XSOCK_IMPLEMENT_SERIAL(Link, Object, 1)

// Records the largest single allocation made through it.
std::size_t gLargestAllocation = 0;

// The standard allocator interface fixes these member names.
// NOLINTBEGIN(readability-identifier-naming)
template <class T>
struct Tracking {
    using value_type = T;
    Tracking() = default;
    template <class U>
    Tracking(const Tracking<U>&) {}
    T* allocate(std::size_t n) {
        gLargestAllocation = std::max(gLargestAllocation, n * sizeof(T));
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const Tracking<U>&) const {
        return true;
    }
};
// NOLINTEND(readability-identifier-naming)

using TrackedString = std::basic_string<char, std::char_traits<char>, Tracking<char>>;
using TrackedWide = std::basic_string<char16_t, std::char_traits<char16_t>, Tracking<char16_t>>;

std::unique_ptr<Branch> MakeTree() {
    auto shared = std::make_shared<Leaf>();
    shared->tag = "shared";
    shared->samples = {1, -2, 3};
    auto root = std::make_unique<Branch>();
    root->title = u"root \u00E9";
    root->attributes = {{"depth", 0}, {"kind", 7}};
    root->weight = 1.5;
    root->leaf = shared;
    for (int i = 0; i < 2; ++i) {
        auto child = std::make_unique<Branch>();
        child->title = u"child";
        child->parent = root.get();
        child->leaf = i == 0 ? shared : std::make_shared<Leaf>();
        auto grandchild = std::make_unique<Branch>();
        grandchild->parent = child.get();
        grandchild->leaf = shared;
        child->children.push_back(std::move(grandchild));
        root->children.push_back(std::move(child));
    }
    return root;
}

const Bytes& RealisticArchive() {
    static const Bytes bytes = [] {
        const auto tree = MakeTree();
        return Store([&](Archive& ar) {
            ar << tree << std::wstring(L"note") << std::vector<std::uint64_t>{1, 2, 3};
        });
    }();
    return bytes;
}

void LoadRealistic(Archive& ar) {
    std::unique_ptr<Branch> tree;
    std::wstring note;
    std::vector<std::uint64_t> numbers;
    ar >> tree >> note >> numbers;
}

ArchiveException::Cause LoadCause(const Bytes& bytes, void (*read)(Archive&),
                                  const Archive::Limits& limits = {}) {
    return CauseOf([&] {
        Load(bytes, [&](Archive& ar) {
            ar.SetLimits(limits);
            read(ar);
        });
    });
}

Archive::Limits Unlimited() {
    Archive::Limits limits;
    limits.maxStringLength = ~std::uint64_t{0};
    limits.maxCount = ~std::uint64_t{0};
    return limits;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveHostileInput)

BOOST_AUTO_TEST_CASE(TheRealisticArchiveLoadsWhole) {
    BOOST_TEST(LoadCause(RealisticArchive(), &LoadRealistic) == ArchiveException::none);
    BOOST_TEST(gLive == 0);
}

BOOST_AUTO_TEST_CASE(TruncationAtEveryBytePositionThrowsEndOfFileAndLeaksNothing) {
    const Bytes& full = RealisticArchive();
    for (std::size_t size = 0; size < full.size(); ++size) {
        const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
        BOOST_TEST_CONTEXT("truncated to " << size << " of " << full.size()) {
            BOOST_TEST(LoadCause(prefix, &LoadRealistic) == ArchiveException::endOfFile);
            BOOST_TEST(gLive == 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(CorruptingAnyByteGivesAnArchiveExceptionOrAValueNeverACrashOrLeak) {
    const Bytes& full = RealisticArchive();
    for (std::size_t i = 0; i < full.size(); ++i) {
        for (std::uint8_t replacement :
             {std::uint8_t{0x00}, std::uint8_t{0xFF}, std::uint8_t{0x7F}, std::uint8_t{0x80},
              static_cast<std::uint8_t>(full[i] ^ 0x01), static_cast<std::uint8_t>(full[i] + 2)}) {
            Bytes corrupt = full;
            corrupt[i] = replacement;
            BOOST_TEST_CONTEXT("byte " << i << " set to " << int(replacement)) {
                Archive::Limits limits;
                limits.maxCount = 1 << 16;
                BOOST_CHECK_NO_THROW(LoadCause(corrupt, &LoadRealistic, limits));
                BOOST_TEST(gLive == 0);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(AGigabyteStringLengthAllocatesOnlyWhatArrives) {
    // 0x3FFFFFF0 characters claimed, ten delivered.
    const Bytes narrow = Concat({Hex("FF FFFF F0FFFF3F"), Bytes(10, 'x')});
    const Bytes wide = Concat({Hex("FF FEFF FF FFFF F0FFFF3F"), Bytes(10, 'x')});
    gLargestAllocation = 0;
    BOOST_TEST(CauseOf([&] {
                   Load(narrow, [](Archive& ar) {
                       ar.SetLimits(Unlimited());
                       TrackedString text;
                       ar >> text;
                   });
               }) == ArchiveException::endOfFile);
    BOOST_TEST(CauseOf([&] {
                   Load(wide, [](Archive& ar) {
                       ar.SetLimits(Unlimited());
                       TrackedWide text;
                       ar >> text;
                   });
               }) == ArchiveException::endOfFile);
    BOOST_TEST(gLargestAllocation <= 256u * 1024);
}

BOOST_AUTO_TEST_CASE(AGigabyteCountAllocatesOnlyWhatArrives) {
    const Bytes claim = Concat({Hex("FFFF 00000040"), Bytes(100, 1)});  // 0x40000000 elements
    gLargestAllocation = 0;
    BOOST_TEST(CauseOf([&] {
                   Load(claim, [](Archive& ar) {
                       ar.SetLimits(Unlimited());
                       std::vector<std::uint8_t, Tracking<std::uint8_t>> bytes;
                       ar >> bytes;
                   });
               }) == ArchiveException::endOfFile);
    BOOST_TEST(CauseOf([&] {
                   Load(claim, [](Archive& ar) {
                       ar.SetLimits(Unlimited());
                       std::vector<double, Tracking<double>> reals;
                       ar >> reals;
                   });
               }) == ArchiveException::endOfFile);
    BOOST_TEST(CauseOf([&] {
                   Load(claim, [](Archive& ar) {
                       ar.SetLimits(Unlimited());
                       std::vector<TrackedString, Tracking<TrackedString>> words;
                       ar >> words;
                   });
               }) == ArchiveException::endOfFile);
    BOOST_TEST(gLargestAllocation <= 256u * 1024);
}

BOOST_AUTO_TEST_CASE(AGigabyteLengthInsideATransactionWaitsWithoutAllocatingIt) {
    MemFile inbox;
    Archive ar(inbox, Archive::load);
    ar.SetLimits(Unlimited());
    const Bytes claim = Concat({Hex("FF FFFF F0FFFF3F"), Bytes(5000, 'x')});
    inbox.Append(claim.data(), claim.size());
    gLargestAllocation = 0;
    TrackedString text;
    BOOST_TEST(!ar.TryLoad([&] { ar >> text; }));
    BOOST_TEST(gLargestAllocation <= 256u * 1024);
}

BOOST_AUTO_TEST_CASE(LimitsRefuseLongStringsLargeCountsManyObjectsAndLongLines) {
    Archive::Limits limits;
    limits.maxStringLength = 4;
    limits.maxCount = 3;
    limits.maxObjects = 2;
    auto tree = MakeTree();
    BOOST_TEST(LoadCause(
                   Store([](Archive& ar) { ar << std::string("12345"); }),
                   [](Archive& ar) {
                       std::string s;
                       ar >> s;
                   },
                   limits) == ArchiveException::limitExceeded);
    BOOST_TEST(LoadCause(
                   Store([](Archive& ar) { ar << std::u16string(u"12345"); }),
                   [](Archive& ar) {
                       std::u16string s;
                       ar >> s;
                   },
                   limits) == ArchiveException::limitExceeded);
    BOOST_TEST(LoadCause(
                   Store([](Archive& ar) { ar << std::vector<std::int8_t>(4); }),
                   [](Archive& ar) {
                       std::vector<std::int8_t> v;
                       ar >> v;
                   },
                   limits) == ArchiveException::limitExceeded);
    BOOST_TEST(LoadCause(Store([&](Archive& ar) { ar << tree; }), &LoadRealistic, limits) ==
               ArchiveException::limitExceeded);
    BOOST_TEST(LoadCause(
                   Store([](Archive& ar) { ar.WriteString("123456\n"); }),
                   [](Archive& ar) {
                       std::string line;
                       ar.ReadString(line);
                   },
                   limits) == ArchiveException::limitExceeded);
    tree.reset();
    BOOST_TEST(gLive == 0);
}

BOOST_AUTO_TEST_CASE(DefaultLimitsRefuseAClaimedHalfGigabyteString) {
    BOOST_TEST(LoadCause(Hex("FF FFFF 00000020 61"), [](Archive& ar) {
                   std::string s;
                   ar >> s;
               }) == ArchiveException::limitExceeded);
}

BOOST_AUTO_TEST_CASE(UnknownOrMalformedClassNamesAreBadClass) {
    auto readBranch = [](Archive& ar) {
        std::unique_ptr<Branch> b;
        ar >> b;
    };
    BOOST_TEST(LoadCause(Hex("FFFF 0100 0400 4E6F7065"), readBranch) == ArchiveException::badClass);
    BOOST_TEST(LoadCause(Hex("FFFF 0100 0000"), readBranch) == ArchiveException::badClass);
    BOOST_TEST(LoadCause(Concat({Hex("FFFF 0100 4000"), Bytes(64, 'A')}), readBranch) ==
               ArchiveException::badClass);
    BOOST_TEST(LoadCause(Hex("FFFF 0100 FFFF"), readBranch) == ArchiveException::badClass);
}

BOOST_AUTO_TEST_CASE(AnObjectOfAnotherClassThanRequestedIsBadClass) {
    Leaf leaf;
    BOOST_TEST(LoadCause(Store([&](Archive& ar) { ar << &leaf; }), [](Archive& ar) {
                   Branch* b = nullptr;
                   ar >> b;
               }) == ArchiveException::badClass);
    BOOST_TEST(gLive == 1);
}

BOOST_AUTO_TEST_CASE(ASchemaMismatchWithoutVersionableSchemaIsBadSchema) {
    BOOST_TEST(LoadCause(Hex("FFFF 0200 0600 4272616E6368"), [](Archive& ar) {
                   std::unique_ptr<Branch> b;
                   ar >> b;
               }) == ArchiveException::badSchema);
}

BOOST_AUTO_TEST_CASE(IndicesThatNameNothingAreBadIndex) {
    auto readLeaf = [](Archive& ar) {
        std::shared_ptr<Leaf> leaf;
        ar >> leaf;
    };
    BOOST_TEST(LoadCause(Hex("0900"), readLeaf) == ArchiveException::badIndex);
    BOOST_TEST(LoadCause(Hex("0980"), readLeaf) == ArchiveException::badIndex);
    BOOST_TEST(LoadCause(Hex("0080"), readLeaf) == ArchiveException::badIndex);
    BOOST_TEST(LoadCause(Hex("FF7F 09000000"), readLeaf) == ArchiveException::badIndex);
    BOOST_TEST(LoadCause(Hex("FF7F FFFFFFFF"), readLeaf) == ArchiveException::badIndex);
}

BOOST_AUTO_TEST_CASE(AClassIndexWhereAnObjectIsExpectedIsBadIndex) {
    // Index 1 is Leaf's class descriptor, not an object.
    const Bytes bytes = Hex("FFFF 0100 0400 4C656166 00 0000  0100");
    BOOST_TEST(LoadCause(bytes, [](Archive& ar) {
                   std::shared_ptr<Leaf> first;
                   std::shared_ptr<Leaf> second;
                   ar >> first >> second;
               }) == ArchiveException::badIndex);
    // And an object reference where a class is expected.
    BOOST_TEST(LoadCause(Hex("FFFF 0100 0400 4C656166 00 0000  0200"), [](Archive& ar) {
                   std::shared_ptr<Leaf> leaf;
                   ar >> leaf;
                   ar.ReadClass();
               }) == ArchiveException::badIndex);
    BOOST_TEST(gLive == 0);
}

BOOST_AUTO_TEST_CASE(SmartPointersRefuseObjectsTheyCannotOwn) {
    Leaf leaf;
    const Bytes twice = Store([&](Archive& ar) { ar << &leaf << &leaf; });
    BOOST_TEST(LoadCause(twice, [](Archive& ar) {
                   Leaf* raw = nullptr;
                   std::shared_ptr<Leaf> shared;
                   ar >> raw;
                   std::unique_ptr<Leaf> owner(raw);
                   ar >> shared;
               }) == ArchiveException::badIndex);
    BOOST_TEST(LoadCause(twice, [](Archive& ar) {
                   std::shared_ptr<Leaf> shared;
                   std::unique_ptr<Leaf> unique;
                   ar >> shared >> unique;
               }) == ArchiveException::badIndex);
    BOOST_TEST(gLive == 1);
}

// A sender that reuses an address (a stack message sent in a loop) writes a
// back-reference, by MFC's rules; a reader that owns each message through a
// unique_ptr has already destroyed the first one. The reference must be
// refused without touching the destroyed object.
BOOST_AUTO_TEST_CASE(AReferenceToAnObjectAUniquePtrOwnedIsRefusedWithoutTouchingIt) {
    Leaf leaf;
    const Bytes twice = Store([&](Archive& ar) { ar << &leaf << &leaf; });
    BOOST_TEST(LoadCause(twice, [](Archive& ar) {
                   for (int i = 0; i < 2; ++i) {
                       std::unique_ptr<Leaf> message;
                       ar >> message;  // destroyed at the end of each round
                   }
               }) == ArchiveException::badIndex);
    BOOST_TEST(gLive == 1);
}

BOOST_AUTO_TEST_CASE(AnObjectWhoseLoadFailedCanNeverBeReferencedAgain) {
    // A Fragile that refuses its data (index 2), then a reference to it.
    const Bytes bytes = Hex("FFFF 0100 0700 46726167696C65 FFFFFFFF  0200");
    Load(bytes, [](Archive& ar) {
        Object* object = nullptr;
        BOOST_CHECK_THROW(ar >> object, std::invalid_argument);
        BOOST_TEST(gLive == 0);
        BOOST_TEST(CauseOf([&] { ar >> object; }) == ArchiveException::badIndex);
    });
}

BOOST_AUTO_TEST_CASE(NestingDeeperThanTheLimitIsRefused) {
    Link head;
    Link* tail = &head;
    for (int i = 0; i < 1500; ++i) {
        tail->next = std::make_unique<Link>();
        tail = tail->next.get();
    }
    const Bytes bytes = Store([&](Archive& ar) { ar << &head; });
    auto read = [](Archive& ar) {
        std::unique_ptr<Link> chain;
        ar >> chain;
    };
    BOOST_TEST(LoadCause(bytes, read) == ArchiveException::limitExceeded);
    Archive::Limits deeper;
    deeper.maxDepth = 2000;
    BOOST_TEST(LoadCause(bytes, read, deeper) == ArchiveException::none);
    // Unlink iteratively; a 1500-deep destructor chain is fine, but do not rely on it.
    while (head.next) {
        head.next = std::move(head.next->next);
    }
}

BOOST_AUTO_TEST_CASE(AVariantIndexOutOfRangeIsBadIndex) {
    BOOST_TEST(LoadCause(Hex("0300"), [](Archive& ar) {
                   std::variant<std::int8_t, std::string> v;
                   ar >> v;
               }) == ArchiveException::badIndex);
}

BOOST_AUTO_TEST_SUITE_END()
