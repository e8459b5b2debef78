// The C library's header first: under optimisation it defines htons & co. as
// macros, which ByteOrder.h must survive and remove.
#include <arpa/inet.h>

// glibc defines the macros only when optimising; define them the way it does so
// every build type covers the case.
#ifndef htons
#define htons(x) __bswap_16(x)
#define ntohs(x) __bswap_16(x)
#define htonl(x) __bswap_32(x)
#define ntohl(x) __bswap_32(x)
#endif

#include <xsock/ByteOrder.h>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <limits>

#if defined(htons) || defined(htonl) || defined(ntohs) || defined(ntohl)
#error "ByteOrder.h must leave no htons/htonl/ntohs/ntohl macro behind"
#endif

namespace {

constexpr bool kLittle = std::endian::native == std::endian::little;

// Compile-time checks against this machine's byte order.
static_assert(xsock::ByteSwap(std::uint16_t{0x1234}) == 0x3412);
static_assert(xsock::ByteSwap(std::uint32_t{0x12345678}) == 0x78563412);
static_assert(xsock::ByteSwap(std::uint64_t{0x0102030405060708}) == 0x0807060504030201);
static_assert(xsock::ByteSwap(std::int16_t{-2}) == std::int16_t(0xFEFF));
static_assert(xsock::ByteSwap(std::int32_t{1}) == 0x01000000);
static_assert(xsock::ByteSwap(std::int64_t{-1}) == -1);
static_assert(xsock::ByteSwap(std::uint8_t{0xAB}) == 0xAB);
static_assert(xsock::ByteSwap(std::int8_t{-5}) == -5);

static_assert(xsock::HostToNetwork(std::uint16_t{0x1234}) == (kLittle ? 0x3412 : 0x1234));
static_assert(xsock::HostToNetwork(std::uint32_t{0x12345678}) ==
              (kLittle ? 0x78563412u : 0x12345678u));
static_assert(xsock::HostToLittle(std::uint32_t{0x12345678}) ==
              (kLittle ? 0x12345678u : 0x78563412u));
static_assert(xsock::htons(0x1234) == xsock::HostToNetwork(std::uint16_t{0x1234}));
static_assert(xsock::htonl(0x12345678) == xsock::HostToNetwork(std::uint32_t{0x12345678}));
static_assert(xsock::ntohs(xsock::htons(0xBEEF)) == 0xBEEF);
static_assert(xsock::ntohl(xsock::htonl(0xDEADBEEF)) == 0xDEADBEEF);
static_assert(xsock::ntohll(xsock::htonll(0x0123456789ABCDEF)) == 0x0123456789ABCDEF);

template <class T>
constexpr bool RoundTrips(T value) {
    return xsock::NetworkToHost(xsock::HostToNetwork(value)) == value &&
           xsock::LittleToHost(xsock::HostToLittle(value)) == value &&
           xsock::ByteSwap(xsock::ByteSwap(value)) == value;
}
static_assert(RoundTrips(std::int8_t{-100}) && RoundTrips(std::uint8_t{200}));
static_assert(RoundTrips(std::int16_t{-12345}) && RoundTrips(std::uint16_t{54321}));
static_assert(RoundTrips(std::int32_t{-123456789}) && RoundTrips(std::uint32_t{3456789012u}));
static_assert(RoundTrips(std::numeric_limits<std::int64_t>::min()) &&
              RoundTrips(std::numeric_limits<std::uint64_t>::max() - 7));
static_assert(RoundTrips(1.5f) && RoundTrips(-2.25) && RoundTrips(1e300));
static_assert(std::bit_cast<std::uint32_t>(xsock::ByteSwap(1.0f)) == 0x0000803F);
static_assert(std::bit_cast<std::uint64_t>(xsock::HostToNetwork(1.0)) ==
              (kLittle ? 0x000000000000F03Full : 0x3FF0000000000000ull));

template <class T>
std::vector<unsigned char> MemoryOf(T value) {
    std::vector<unsigned char> bytes(sizeof(T));
    std::memcpy(bytes.data(), &value, sizeof(T));
    return bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ByteOrder)

BOOST_AUTO_TEST_CASE(HostToNetworkPutsTheMostSignificantByteFirstInMemory) {
    const std::vector<unsigned char> expected{0x01, 0x02, 0x03, 0x04};
    BOOST_TEST(MemoryOf(xsock::HostToNetwork(std::uint32_t{0x01020304})) == expected);
    BOOST_TEST(MemoryOf(xsock::htonl(0x01020304)) == expected);
    const std::vector<unsigned char> little{0x04, 0x03, 0x02, 0x01};
    BOOST_TEST(MemoryOf(xsock::HostToLittle(std::uint32_t{0x01020304})) == little);
}

BOOST_AUTO_TEST_CASE(DoubleInNetworkOrderHasTheSignAndExponentByteFirst) {
    const auto bytes = MemoryOf(xsock::HostToNetwork(-2.0));
    BOOST_TEST(bytes.front() == 0xC0);
    BOOST_TEST(bytes.back() == 0x00);
}

BOOST_AUTO_TEST_CASE(ClassicSpellingsAgreeWithTheCLibrary) {
    for (std::uint32_t value : {0u, 1u, 0x1234u, 0xFFFFu, 0x12345678u, 0xFFFFFFFFu}) {
        const auto shortValue = static_cast<std::uint16_t>(value);
        BOOST_TEST(xsock::htons(shortValue) == ::htons(shortValue));
        BOOST_TEST(xsock::ntohs(shortValue) == ::ntohs(shortValue));
        BOOST_TEST(xsock::htonl(value) == ::htonl(value));
        BOOST_TEST(xsock::ntohl(value) == ::ntohl(value));
    }
}

BOOST_AUTO_TEST_SUITE_END()
