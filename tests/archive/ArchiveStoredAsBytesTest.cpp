// kStoredAsBytes: a vector of an opted-in plain struct moves in one copy, and
// the bytes are exactly those its own operators write element by element, in
// either byte order; truncated and hostile input fail as for any vector.
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

using namespace xsock;
using namespace xsock::test;

namespace stored_as_bytes_test {

// Two structs with one layout and the same operators; only Packed opts in.
template <int Tag>
struct Sample {
    float x = 0;
    std::int32_t id = 0;
    double weight = 0;
    bool operator==(const Sample&) const = default;
};
using Packed = Sample<0>;
using Plain = Sample<1>;

// How often the element operators ran: the one-copy path skips them.
inline int elementCalls = 0;

template <int Tag>
Archive& operator<<(Archive& ar, const Sample<Tag>& s) {
    ++elementCalls;
    return ar << s.x << s.id << s.weight;
}
template <int Tag>
Archive& operator>>(Archive& ar, Sample<Tag>& s) {
    ++elementCalls;
    return ar >> s.x >> s.id >> s.weight;
}

}  // namespace stored_as_bytes_test

template <>
inline constexpr bool xsock::kStoredAsBytes<stored_as_bytes_test::Packed> = true;

using namespace stored_as_bytes_test;

namespace {

static_assert(sizeof(Packed) == 16, "the test needs a struct without padding");

template <class T>
std::vector<T> Samples(int count) {
    std::vector<T> samples;
    for (int i = 0; i < count; ++i) {
        samples.push_back({static_cast<float>(i) / 3, -i * 1000, 1.0 / (i + 1)});
    }
    return samples;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveStoredAsBytesTest)

BOOST_AUTO_TEST_CASE(TheBytesAreThoseOfTheElementwiseOperatorsInBothByteOrders) {
    for (std::endian order : {std::endian::little, std::endian::big}) {
        Bytes packed = Store([](Archive& ar) { ar << Samples<Packed>(300); }, order);
        Bytes plain = Store([](Archive& ar) { ar << Samples<Plain>(300); }, order);
        BOOST_TEST(packed.size() == 2 + 300 * 16u);
        BOOST_TEST(packed == plain);
    }
}

BOOST_AUTO_TEST_CASE(OnlyAForeignByteOrderRunsTheElementOperators) {
    const std::endian native = std::endian::native;
    const std::endian foreign =
        native == std::endian::little ? std::endian::big : std::endian::little;
    std::vector<Packed> samples = Samples<Packed>(300), loaded;
    elementCalls = 0;
    Bytes bytes = Store([&](Archive& ar) { ar << samples; }, native);
    Load(
        bytes, [&](Archive& ar) { ar >> loaded; }, native);
    BOOST_TEST(elementCalls == 0);
    bytes = Store([&](Archive& ar) { ar << samples; }, foreign);
    Load(
        bytes, [&](Archive& ar) { ar >> loaded; }, foreign);
    BOOST_TEST(elementCalls == 600);
    BOOST_TEST((loaded == samples));
}

BOOST_AUTO_TEST_CASE(VectorsComeBackInBothByteOrdersAndReplaceTheOldContents) {
    for (std::endian order : {std::endian::little, std::endian::big}) {
        for (int count : {0, 1, 100, 5000}) {
            Bytes bytes = Store([&](Archive& ar) { ar << Samples<Packed>(count); }, order);
            std::vector<Packed> loaded = Samples<Packed>(7);
            Load(
                bytes, [&](Archive& ar) { ar >> loaded; }, order);
            BOOST_TEST((loaded == Samples<Packed>(count)));
            // And across: what a plain struct wrote, the packed one reads.
            std::vector<Packed> across;
            Bytes plain = Store([&](Archive& ar) { ar << Samples<Plain>(count); }, order);
            Load(
                plain, [&](Archive& ar) { ar >> across; }, order);
            BOOST_TEST((across == Samples<Packed>(count)));
        }
    }
}

BOOST_AUTO_TEST_CASE(TruncatedAtEveryByteIsEndOfFile) {
    Bytes bytes = Store([](Archive& ar) { ar << Samples<Packed>(4); });
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        std::vector<Packed> loaded;
        BOOST_TEST(CauseOf([&] { Load(prefix, [&](Archive& ar) { ar >> loaded; }); }) ==
                       ArchiveException::endOfFile,
                   "cut at " << cut);
    }
}

BOOST_AUTO_TEST_CASE(AHostileCountCostsOnlyTheBytesThatArrive) {
    // A count of 0xF00000 elements (240 MiB, under the count limit) followed
    // by one element.
    Bytes bytes = Concat({Hex("FFFF 0000F000"), Store([](Archive& ar) { ar << Packed{}; })});
    std::vector<Packed> loaded;
    BOOST_TEST(CauseOf([&] { Load(bytes, [&](Archive& ar) { ar >> loaded; }); }) ==
               ArchiveException::endOfFile);
    BOOST_TEST(loaded.capacity() < 1'000'000u);
}

BOOST_AUTO_TEST_SUITE_END()
