// The memory budget: what a load builds is counted at its in-memory size and
// capped (Limits::maxMemory, and kMemoryPerByte times the bytes read plus
// kMemoryBase), going past it is limitExceeded, and std::bad_alloc never leaves
// a load. The hostile shapes are loaded in a child process whose peak resident
// memory is measured, so a shape that slips past the accounting shows up as
// memory, not as a guess.
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <list>
#include <new>
#include <variant>

#if defined(__SANITIZE_ADDRESS__)
// Freed blocks would otherwise stay resident in AddressSanitizer's quarantine
// and count as the load's peak.
extern "C" const char* __asan_default_options() {  // NOLINT(readability-identifier-naming)
    return "quarantine_size_mb=0";
}
#endif

namespace {

using namespace xsock;
using xsock::test::ArchiveSession;
using xsock::test::Bytes;
using xsock::test::CauseOf;
using xsock::test::Store;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

class Leaf : public Object {
    XSOCK_DECLARE_SERIAL(Leaf)
  public:
    void Serialize(Archive& ar) override { ar.Exchange(value); }
    std::int32_t value = 0;
};
XSOCK_IMPLEMENT_SERIAL(Leaf, Object, 1)

// A count followed by `count` copies of one element's bytes.
Bytes Repeated(std::uint64_t count, const Bytes& element) {
    Bytes bytes = Store([&](Archive& ar) { ar.WriteCount(count); });
    bytes.reserve(bytes.size() + count * element.size());
    for (std::uint64_t i = 0; i < count; ++i) {
        bytes.insert(bytes.end(), element.begin(), element.end());
    }
    return bytes;
}

struct Outcome {
    int cause = -1;  // an ArchiveException::Cause, or -1: another exception or none reported
    long peakGrowthMiB = 0;
};

// Builds the input and loads it in a child process with the default limits;
// reports how the load ended and how far the child's peak resident memory grew
// during it.
Outcome LoadInChild(const std::function<Bytes()>& input,
                    const std::function<void(Archive&)>& load) {
    int channel[2];
    BOOST_REQUIRE(::pipe(channel) == 0);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        ::close(channel[0]);
        Outcome outcome;
        {
            const Bytes bytes = input();
#if !defined(__SANITIZE_ADDRESS__)
            // Should the accounting fail, the load meets bad_alloc here rather
            // than taking the machine's memory.
            const rlimit space{std::uint64_t{3} << 30, std::uint64_t{3} << 30};
            ::setrlimit(RLIMIT_AS, &space);
#endif
            rusage before{};
            ::getrusage(RUSAGE_SELF, &before);
            try {
                xsock::test::Load(bytes, load);
                outcome.cause = ArchiveException::none;
            } catch (const ArchiveException& e) {
                outcome.cause = e.m_cause;
            } catch (...) {
                outcome.cause = -1;
            }
            rusage after{};
            ::getrusage(RUSAGE_SELF, &after);
            outcome.peakGrowthMiB = (after.ru_maxrss - before.ru_maxrss) / 1024;
        }
        const bool sent = ::write(channel[1], &outcome, sizeof outcome) == sizeof outcome;
        ::_exit(sent ? 0 : 1);
    }
    ::close(channel[1]);
    Outcome outcome;
    const bool received = ::read(channel[0], &outcome, sizeof outcome) == sizeof outcome;
    ::close(channel[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_TEST(received, "the child process died (status " << status << ")");
    BOOST_TEST_MESSAGE("cause " << outcome.cause << ", peak growth " << outcome.peakGrowthMiB
                                << " MiB");
    return outcome;
}

// The default budget, and what the allocator's bookkeeping may add on top.
constexpr long kBudgetMiB = 256;
constexpr long kSlackMiB = 48;

void CheckRefusedWithinBudget(const Outcome& outcome) {
    BOOST_TEST(outcome.cause == ArchiveException::limitExceeded);
    BOOST_TEST(outcome.peakGrowthMiB <= kBudgetMiB + kSlackMiB);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveMemoryBudget)

BOOST_AUTO_TEST_CASE(SixteenMiEmptyStringsFromSixteenMegabytesStayWithinTheBudget) {
    CheckRefusedWithinBudget(LoadInChild([] { return Repeated(std::uint64_t{16} << 20, {0}); },
                                         [](Archive& ar) {
                                             std::vector<std::string> strings;
                                             ar >> strings;
                                         }));
}

BOOST_AUTO_TEST_CASE(OneMiEmptyVariantsOfFourKilobytesFromTwoMegabytesStayWithinTheBudget) {
    using Big = std::variant<std::monostate, std::array<char, 4096>>;
    CheckRefusedWithinBudget(LoadInChild(
        [] {
            return Repeated(std::uint64_t{1} << 20, {0, 0});
        },
        [](Archive& ar) {
            std::vector<Big> values;
            ar >> values;
        }));
}

BOOST_AUTO_TEST_CASE(EmptyStringsInAListStayWithinTheBudget) {
    CheckRefusedWithinBudget(LoadInChild([] { return Repeated(std::uint64_t{8} << 20, {0}); },
                                         [](Archive& ar) {
                                             std::list<std::string> strings;
                                             ar >> strings;
                                         }));
}

BOOST_AUTO_TEST_CASE(NestedEmptyVectorsStayWithinTheBudget) {
    // Each inner vector is a 2-byte count; 4 Mi of them hold 8 Mi strings' worth
    // of vectors in the middle level.
    const Outcome outcome = LoadInChild(
        [] {
            return Repeated(std::uint64_t{4} << 20, {2, 0, 0, 0, 0, 0});
        },
        [](Archive& ar) {
            std::vector<std::vector<std::vector<std::uint8_t>>> nested;
            ar >> nested;
        });
    BOOST_TEST((outcome.cause == ArchiveException::limitExceeded ||
                outcome.cause == ArchiveException::none));
    BOOST_TEST(outcome.peakGrowthMiB <= kBudgetMiB + kSlackMiB);
}

BOOST_AUTO_TEST_CASE(ManySmallObjectsStayWithinTheBudget) {
    // One new class and object, then 1 Mi - 2 more objects of that class.
    const Outcome outcome = LoadInChild(
        [] {
            Leaf leaf;
            Bytes bytes = Store([&](Archive& ar) {
                ar.WriteCount((std::uint64_t{1} << 20) - 2);
                ar << &leaf;
            });
            const Bytes more = {0x01, 0x80, 0, 0, 0, 0};  // class index 1, value 0
            for (std::uint64_t i = 1; i < (std::uint64_t{1} << 20) - 2; ++i) {
                bytes.insert(bytes.end(), more.begin(), more.end());
            }
            return bytes;
        },
        [](Archive& ar) {
            std::vector<std::unique_ptr<Leaf>> leaves;
            ar >> leaves;
        });
    BOOST_TEST((outcome.cause == ArchiveException::limitExceeded ||
                outcome.cause == ArchiveException::none));
    BOOST_TEST(outcome.peakGrowthMiB <= kBudgetMiB + kSlackMiB);
}

BOOST_AUTO_TEST_CASE(ASmallInputCannotClaimMoreThanItsMultipleOfTheBytesRead) {
    using Big = std::variant<std::monostate, std::array<char, 4096>>;
    Archive::Limits generous;
    generous.maxMemory = std::uint64_t{1} << 30;
    auto load = [&](std::uint64_t count) {
        const Bytes bytes = Repeated(count, {0, 0});
        return CauseOf([&] {
            xsock::test::Load(bytes, [&](Archive& ar) {
                ar.SetLimits(generous);
                std::vector<Big> values;
                ar >> values;
                BOOST_TEST(values.size() == count);
            });
        });
    };
    // 2 KiB of input may build 8 MiB (within kMemoryBase); 16 KiB may not build 32 MiB.
    BOOST_TEST(load(1024) == ArchiveException::none);
    BOOST_TEST(load(8192) == ArchiveException::limitExceeded);
}

BOOST_AUTO_TEST_CASE(LargeWellFormedValuesLoadWithTheDefaultBudget) {
    const std::string big(40 * kMiB, 'x');
    std::vector<std::string> names(100000, "a name");
    std::vector<std::int32_t> numbers(std::size_t{4} << 20, 7);
    const Bytes bytes = Store([&](Archive& ar) { ar << big << names << numbers; });
    xsock::test::Load(bytes, [&](Archive& ar) {
        std::string text;
        std::vector<std::string> strings;
        std::vector<std::int32_t> values;
        ar >> text >> strings >> values;
        BOOST_TEST((text == big));
        BOOST_TEST((strings == names));
        BOOST_TEST((values == numbers));
    });
}

BOOST_AUTO_TEST_CASE(EachLoadOnALongLivedArchiveHasABudgetOfItsOwn) {
    Archive::Limits small;
    small.maxMemory = kMiB;
    const std::vector<std::uint8_t> message(600 * 1024, 1);
    ArchiveSession session;
    session.In().SetLimits(small);
    for (int i = 0; i < 8; ++i) {
        session.Send([&](Archive& ar) { ar << message; });
    }
    for (int i = 0; i < 4; ++i) {
        std::vector<std::uint8_t> got;
        session.In() >> got;
        BOOST_TEST((got == message));
    }
    for (int i = 0; i < 4; ++i) {
        std::vector<std::uint8_t> got;
        BOOST_TEST(session.In().TryLoad([&] { session.In() >> got; }));
        BOOST_TEST((got == message));
    }
    session.Send([&](Archive& ar) { ar << std::vector<std::uint8_t>(3 * kMiB / 2, 1); });
    std::vector<std::uint8_t> tooBig;
    BOOST_TEST(CauseOf([&] { session.In() >> tooBig; }) == ArchiveException::limitExceeded);
}

// An element whose construction runs out of memory, as a large allocation
// inside an application's own type would.
struct Greedy {
    Greedy() {
        if (++made > 3) {
            throw std::bad_alloc();
        }
    }
    static inline int made = 0;
};
Archive& operator>>(Archive& ar, Greedy&) {
    return ar;
}

BOOST_AUTO_TEST_CASE(BadAllocInsideALoadBecomesLimitExceeded) {
    const Bytes bytes = Repeated(10, {});
    BOOST_TEST(CauseOf([&] {
                   xsock::test::Load(bytes, [](Archive& ar) {
                       std::vector<Greedy> values;
                       ar >> values;
                   });
               }) == ArchiveException::limitExceeded);
}

// An object that runs out of memory when made, or while reading its data.
class Hungry : public Object {
    XSOCK_DECLARE_SERIAL(Hungry)
  public:
    Hungry() {
        if (starving) {
            throw std::bad_alloc();
        }
    }
    void Serialize(Archive& ar) override {
        ar.Exchange(value);
        if (ar.IsLoading() && value < 0) {
            throw std::bad_alloc();
        }
    }
    std::int32_t value = 0;
    static inline bool starving = false;
};
XSOCK_IMPLEMENT_SERIAL(Hungry, Object, 1)

BOOST_AUTO_TEST_CASE(BadAllocWhileMakingOrLoadingAnObjectBecomesLimitExceeded) {
    Hungry fed;
    const Bytes made = Store([&](Archive& ar) { ar << &fed; });
    fed.value = -1;
    const Bytes loaded = Store([&](Archive& ar) { ar << &fed; });
    auto cause = [](const Bytes& bytes) {
        return CauseOf([&] {
            xsock::test::Load(bytes, [](Archive& ar) {
                std::unique_ptr<Hungry> hungry;
                ar >> hungry;
            });
        });
    };
    BOOST_TEST(cause(loaded) == ArchiveException::limitExceeded);
    Hungry::starving = true;
    const ArchiveException::Cause whenMade = cause(made);
    Hungry::starving = false;
    BOOST_TEST(whenMade == ArchiveException::limitExceeded);
}

BOOST_AUTO_TEST_SUITE_END()
