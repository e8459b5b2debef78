// SocketAddress from and to numeric text: Parse and ToString round trips for
// IPv4 and IPv6 (zones included), what Parse refuses, and FromHostAndPort
// with a numeric host.
#include "TestSupport.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <string>
#include <system_error>
#include <vector>

using namespace xsock;
namespace data = boost::unit_test::data;

namespace {

const std::vector<std::string> kMalformed = {
    "1.2.3",                           // no port, and not an address
    "1.2.3.4",                         // no port
    "[::1",                            // unclosed bracket
    "[::1]",                           // no port
    "[::1]:",                          // empty port
    "[::1]80",                         // no colon after the bracket
    "::1:80",                          // IPv6 without brackets
    "[127.0.0.1]:80",                  // brackets are for IPv6
    "[]:80",                           // empty host
    "127.0.0.1:70000",                 // port out of range
    "127.0.0.1:99999999999999999999",  // too large for any integer
    "127.0.0.1:",                      // empty port
    "127.0.0.1:8x",                    // trailing garbage
    "127.0.0.1:-1",                    // sign
    "127.0.0.1:+80",                   // sign
    ":80",                             // empty host
    "",                                // nothing
    "host:80",                         // Parse is numeric-only
    "localhost:80",                    // likewise
    " 127.0.0.1:80",                   // stray blank
    "256.0.0.1:80",                    // octet out of range
};

}  // namespace

BOOST_AUTO_TEST_SUITE(SocketAddressParse)

BOOST_AUTO_TEST_CASE(EmptyAddressHasNoFamilyAndPrintsAsNothing) {
    SocketAddress empty;
    BOOST_CHECK(empty.IsEmpty());
    BOOST_CHECK_EQUAL(empty.Family(), AF_UNSPEC);
    BOOST_CHECK_EQUAL(empty.Port(), 0u);
    BOOST_CHECK_EQUAL(empty.Host(), "");
    BOOST_CHECK_EQUAL(empty.ToString(), "");
    BOOST_CHECK_EQUAL(empty.NativeLength(), 0u);
}

BOOST_AUTO_TEST_CASE(ParseRoundTripsIpv4) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse("127.0.0.1:7000", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(address.Family(), AF_INET);
    BOOST_CHECK_EQUAL(address.Host(), "127.0.0.1");
    BOOST_CHECK_EQUAL(address.Port(), 7000u);
    BOOST_CHECK_EQUAL(address.ToString(), "127.0.0.1:7000");
    BOOST_CHECK_EQUAL(address.NativeLength(), sizeof(sockaddr_in));
    const auto* in = reinterpret_cast<const sockaddr_in*>(address.Native());
    BOOST_CHECK_EQUAL(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
    BOOST_CHECK_EQUAL(ntohs(in->sin_port), 7000);

    SocketAddress again = SocketAddress::Parse(address.ToString(), error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK(again == address);
}

BOOST_AUTO_TEST_CASE(ParseRoundTripsIpv6) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse("[::1]:7000", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(address.Family(), AF_INET6);
    BOOST_CHECK_EQUAL(address.Host(), "::1");
    BOOST_CHECK_EQUAL(address.Port(), 7000u);
    BOOST_CHECK_EQUAL(address.ToString(), "[::1]:7000");
    BOOST_CHECK_EQUAL(address.NativeLength(), sizeof(sockaddr_in6));
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.Native());
    BOOST_CHECK(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));

    SocketAddress again = SocketAddress::Parse(address.ToString(), error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK(again == address);
}

BOOST_AUTO_TEST_CASE(ParseTakesAnIpv6ZoneByNameOrIndexAndPrintsItBack) {
    const unsigned loopback = ::if_nametoindex("lo");
    BOOST_REQUIRE(loopback != 0);
    char name[IF_NAMESIZE];
    BOOST_REQUIRE(::if_indextoname(loopback, name) != nullptr);
    const std::string expected = std::string("[fe80::1%") + name + "]:7000";
    for (const std::string& text :
         {std::string("[fe80::1%lo]:7000"), "[fe80::1%" + std::to_string(loopback) + "]:7000"}) {
        std::error_code error;
        SocketAddress address = SocketAddress::Parse(text, error);
        BOOST_REQUIRE_MESSAGE(!error, text);
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.Native());
        BOOST_CHECK_EQUAL(in6->sin6_scope_id, loopback);
        BOOST_CHECK_EQUAL(address.Port(), 7000u);
        BOOST_CHECK_EQUAL(address.ToString(), expected);
        SocketAddress again = SocketAddress::Parse(address.ToString(), error);
        BOOST_REQUIRE(!error);
        BOOST_CHECK(again == address);
        // The zone is part of the address.
        BOOST_CHECK(!(address == SocketAddress::Parse("[fe80::1]:7000", error)));
    }
    // A zone no interface has, by index, still prints as its number.
    std::error_code error;
    SocketAddress unknownIndex = SocketAddress::Parse("[fe80::1%4000000000]:1", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(unknownIndex.ToString(), "[fe80::1%4000000000]:1");
}

BOOST_AUTO_TEST_CASE(ParseRefusesBadZones) {
    std::error_code error;
    SocketAddress::Parse("[fe80::1%no-such-if0]:1", error);
    BOOST_CHECK(error == std::errc::no_such_device);
    SocketAddress::Parse("[fe80::1%an-interface-name-too-long]:1", error);
    BOOST_CHECK(error == std::errc::no_such_device);
    for (const char* text : {"[fe80::1%]:1", "127.0.0.1%lo:80"}) {
        SocketAddress::Parse(text, error);
        BOOST_CHECK_MESSAGE(error == std::errc::invalid_argument, text);
    }
    SocketAddress::FromHostAndPort("127.0.0.1%lo", 80, error);
    BOOST_CHECK(error == std::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(ParseRoundTripsTheWildcardWithPortZero) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse("0.0.0.0:0", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK(!address.IsEmpty());
    BOOST_CHECK_EQUAL(address.Family(), AF_INET);
    BOOST_CHECK_EQUAL(address.Host(), "0.0.0.0");
    BOOST_CHECK_EQUAL(address.Port(), 0u);
    BOOST_CHECK_EQUAL(address.ToString(), "0.0.0.0:0");
    BOOST_CHECK(address == SocketAddress::Any(AF_INET, 0));
}

BOOST_AUTO_TEST_CASE(ParseRoundTripsAnIpv4MappedIpv6Address) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse("[::ffff:1.2.3.4]:80", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(address.Family(), AF_INET6);
    BOOST_CHECK_EQUAL(address.Host(), "::ffff:1.2.3.4");
    BOOST_CHECK_EQUAL(address.Port(), 80u);
    BOOST_CHECK_EQUAL(address.ToString(), "[::ffff:1.2.3.4]:80");
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.Native());
    BOOST_CHECK(IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr));
    // Not the same address as plain IPv4 1.2.3.4:80.
    SocketAddress ipv4 = SocketAddress::Parse("1.2.3.4:80", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK(!(address == ipv4));
}

BOOST_AUTO_TEST_CASE(ParseAcceptsTheLargestPort) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse("10.1.2.3:65535", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(address.Port(), 65535u);
    BOOST_CHECK_EQUAL(address.ToString(), "10.1.2.3:65535");
}

BOOST_DATA_TEST_CASE(ParseRejectsMalformedInput, data::make(kMalformed), text) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse(text, error);
    BOOST_CHECK(error);
    BOOST_CHECK(address.IsEmpty());
    BOOST_CHECK_EQUAL(address.ToString(), "");
}

BOOST_AUTO_TEST_CASE(ParseClearsAnEarlierError) {
    std::error_code error = std::make_error_code(std::errc::io_error);
    SocketAddress address = SocketAddress::Parse("192.168.0.1:1", error);
    BOOST_CHECK(!error);
    BOOST_CHECK_EQUAL(address.ToString(), "192.168.0.1:1");
}

BOOST_AUTO_TEST_CASE(FromHostAndPortTakesANumericHostOfEitherFamily) {
    std::error_code error;
    SocketAddress ipv4 = SocketAddress::FromHostAndPort("10.0.0.1", 80, error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(ipv4.Family(), AF_INET);
    BOOST_CHECK_EQUAL(ipv4.ToString(), "10.0.0.1:80");

    SocketAddress ipv6 = SocketAddress::FromHostAndPort("fe80::1", 443, error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(ipv6.Family(), AF_INET6);
    BOOST_CHECK_EQUAL(ipv6.Host(), "fe80::1");
    BOOST_CHECK_EQUAL(ipv6.ToString(), "[fe80::1]:443");

    SocketAddress parsed = SocketAddress::Parse("[fe80::1]:443", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK(parsed == ipv6);
}

BOOST_AUTO_TEST_CASE(FromHostAndPortRejectsBadHostsAndPorts) {
    for (const char* host : {"", "10.0.0", "[::1]", "10.0.0.1:80", "localhost", "::1::2"}) {
        BOOST_TEST_CONTEXT("host \"" << host << "\"") {
            std::error_code error;
            SocketAddress address = SocketAddress::FromHostAndPort(host, 80, error);
            BOOST_CHECK(error);
            BOOST_CHECK(address.IsEmpty());
        }
    }
    std::error_code error;
    BOOST_CHECK(SocketAddress::FromHostAndPort("10.0.0.1", 65536, error).IsEmpty());
    BOOST_CHECK(error);
}

BOOST_AUTO_TEST_SUITE_END()
