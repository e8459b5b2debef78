// SocketAddress: numeric parsing and printing, the well-known addresses,
// equality, name resolution and native conversion, for IPv4 and IPv6.
#include "TestSupport.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <system_error>
#include <vector>

using namespace xsock;
namespace data = boost::unit_test::data;

namespace {

bool IsLoopback(const SocketAddress& address) {
    if (address.Family() == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(address.Native());
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (address.Family() == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.Native());
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
            return true;
        }
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

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

BOOST_AUTO_TEST_SUITE(SocketAddressSuite)

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

BOOST_AUTO_TEST_CASE(AnyAndLoopbackForBothFamilies) {
    SocketAddress any4 = SocketAddress::Any(AF_INET, 80);
    BOOST_CHECK_EQUAL(any4.Family(), AF_INET);
    BOOST_CHECK_EQUAL(any4.ToString(), "0.0.0.0:80");
    BOOST_CHECK_EQUAL(any4.NativeLength(), sizeof(sockaddr_in));

    SocketAddress any6 = SocketAddress::Any(AF_INET6, 80);
    BOOST_CHECK_EQUAL(any6.Family(), AF_INET6);
    BOOST_CHECK_EQUAL(any6.ToString(), "[::]:80");
    BOOST_CHECK_EQUAL(any6.NativeLength(), sizeof(sockaddr_in6));

    SocketAddress loop4 = SocketAddress::Loopback(AF_INET, 7);
    BOOST_CHECK_EQUAL(loop4.Family(), AF_INET);
    BOOST_CHECK_EQUAL(loop4.ToString(), "127.0.0.1:7");
    BOOST_CHECK(IsLoopback(loop4));

    SocketAddress loop6 = SocketAddress::Loopback(AF_INET6, 7);
    BOOST_CHECK_EQUAL(loop6.Family(), AF_INET6);
    BOOST_CHECK_EQUAL(loop6.ToString(), "[::1]:7");
    BOOST_CHECK(IsLoopback(loop6));

    std::error_code error;
    BOOST_CHECK(SocketAddress::Parse("127.0.0.1:7", error) == loop4);
    BOOST_CHECK(SocketAddress::Parse("[::1]:7", error) == loop6);
    BOOST_CHECK(SocketAddress::Parse("[::]:80", error) == any6);
}

BOOST_AUTO_TEST_CASE(EqualityComparesFamilyHostAndPort) {
    std::error_code error;
    SocketAddress a = SocketAddress::Parse("127.0.0.1:80", error);
    SocketAddress copy = a;
    BOOST_CHECK(a == copy);
    BOOST_CHECK(a == SocketAddress::Loopback(AF_INET, 80));
    BOOST_CHECK(!(a == SocketAddress::Loopback(AF_INET, 81)));
    BOOST_CHECK(!(a == SocketAddress::Parse("127.0.0.2:80", error)));
    BOOST_CHECK(!(a == SocketAddress::Parse("[::ffff:127.0.0.1]:80", error)));
    BOOST_CHECK(!(SocketAddress::Loopback(AF_INET6, 80) == SocketAddress::Any(AF_INET6, 80)));
    BOOST_CHECK(SocketAddress() == SocketAddress());
    BOOST_CHECK(!(SocketAddress() == SocketAddress::Any(AF_INET, 0)));

    copy.SetPort(81);
    BOOST_CHECK_EQUAL(copy.Port(), 81u);
    BOOST_CHECK_EQUAL(copy.ToString(), "127.0.0.1:81");
    BOOST_CHECK(!(a == copy));
    copy.SetPort(80);
    BOOST_CHECK(a == copy);
}

BOOST_AUTO_TEST_CASE(ResolveLocalhostGivesALoopbackAddress) {
    std::error_code error;
    std::vector<SocketAddress> found =
        SocketAddress::Resolve("localhost", 8080, AF_UNSPEC, SOCK_STREAM, error);
    BOOST_REQUIRE_MESSAGE(!error, error.message());
    BOOST_REQUIRE(!found.empty());
    bool anyLoopback = false;
    for (const SocketAddress& address : found) {
        BOOST_TEST_CONTEXT(address.ToString()) {
            BOOST_CHECK(address.Family() == AF_INET || address.Family() == AF_INET6);
            BOOST_CHECK_EQUAL(address.Port(), 8080u);
            anyLoopback = anyLoopback || IsLoopback(address);
        }
    }
    BOOST_CHECK(anyLoopback);
}

BOOST_AUTO_TEST_CASE(ResolveForIpv6MapsIpv4Answers) {
    std::error_code error;
    std::vector<SocketAddress> found =
        SocketAddress::Resolve("127.0.0.1", 80, AF_INET6, SOCK_STREAM, error);
    BOOST_REQUIRE_MESSAGE(!error, error.message());
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found.front().Family(), AF_INET6);
    BOOST_CHECK_EQUAL(found.front().ToString(), "[::ffff:127.0.0.1]:80");

    // A name works the same way: every answer is IPv6, one of them loopback.
    found = SocketAddress::Resolve("localhost", 80, AF_INET6, SOCK_STREAM, error);
    BOOST_REQUIRE_MESSAGE(!error, error.message());
    BOOST_REQUIRE(!found.empty());
    bool anyLoopback = false;
    for (const SocketAddress& address : found) {
        BOOST_CHECK_EQUAL(address.Family(), AF_INET6);
        anyLoopback = anyLoopback || IsLoopback(address);
    }
    BOOST_CHECK(anyLoopback);
}

BOOST_AUTO_TEST_CASE(ResolveOfANumericAddressAndOfNoHost) {
    std::error_code error;
    std::vector<SocketAddress> found =
        SocketAddress::Resolve("::1", 9, AF_UNSPEC, SOCK_STREAM, error);
    BOOST_REQUIRE(!error);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK(found.front() == SocketAddress::Loopback(AF_INET6, 9));

    found = SocketAddress::Resolve(nullptr, 9, AF_INET, SOCK_STREAM, error);  // the wildcard
    BOOST_REQUIRE(!error);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK(found.front() == SocketAddress::Any(AF_INET, 9));
}

BOOST_AUTO_TEST_CASE(ResolveOfAnInvalidNameReportsAResolverError) {
    std::error_code error;
    std::vector<SocketAddress> found =
        SocketAddress::Resolve("no-such-host.invalid", 80, AF_UNSPEC, SOCK_STREAM, error);
    BOOST_CHECK(found.empty());
    BOOST_REQUIRE(error);
    BOOST_CHECK_EQUAL(std::string(error.category().name()), "resolver");
    BOOST_CHECK(!error.message().empty());
}

BOOST_AUTO_TEST_CASE(ResolveRejectsAPortOutOfRange) {
    std::error_code error;
    std::vector<SocketAddress> found =
        SocketAddress::Resolve("127.0.0.1", 65536, AF_INET, SOCK_STREAM, error);
    BOOST_CHECK(found.empty());
    BOOST_CHECK(error);
}

BOOST_AUTO_TEST_CASE(LookupTakesNumericTextAsItIsAndResolvesNames) {
    std::error_code error;
    std::vector<SocketAddress> found = SocketAddress::Lookup("[::1]:7007", SOCK_STREAM, error);
    BOOST_REQUIRE_MESSAGE(!error, error.message());
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found[0].ToString(), "[::1]:7007");

    found = SocketAddress::Lookup("unix:@xsock-lookup", SOCK_STREAM, error);
    BOOST_REQUIRE(!error);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found[0].ToString(), "unix:@xsock-lookup");

    found = SocketAddress::Lookup("localhost:7007", SOCK_STREAM, error);
    BOOST_REQUIRE_MESSAGE(!error, error.message());
    BOOST_REQUIRE(!found.empty());
    for (const SocketAddress& address : found) {
        BOOST_CHECK(IsLoopback(address));
        BOOST_CHECK_EQUAL(address.Port(), 7007u);
    }
}

BOOST_AUTO_TEST_CASE(LookupKeepsParsesVerdictOnNumericForms) {
    // Bracketed and unix: text is never sent to the resolver.
    std::error_code error;
    BOOST_CHECK(SocketAddress::Lookup("[fe80::1%no-such-if0]:80", SOCK_STREAM, error).empty());
    BOOST_CHECK(error == std::errc::no_such_device);
    for (const char* text : {"[localhost]:80", "[::1]:", "unix:"}) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_CHECK(SocketAddress::Lookup(text, SOCK_STREAM, error).empty());
            BOOST_CHECK(error == std::errc::invalid_argument);
        }
    }
}

BOOST_AUTO_TEST_CASE(LookupRefusesAMissingOrBadPortWithEinval) {
    for (const char* text : {"localhost", "localhost:", "localhost:70000", "localhost:7x", ":80"}) {
        std::error_code error;
        BOOST_TEST_CONTEXT(text) {
            BOOST_CHECK(SocketAddress::Lookup(text, SOCK_STREAM, error).empty());
            BOOST_CHECK(error == std::errc::invalid_argument);
        }
    }
}

BOOST_AUTO_TEST_CASE(FromNativeCopiesAWholeAddress) {
    SocketAddress original = SocketAddress::Loopback(AF_INET6, 443);
    SocketAddress copy = SocketAddress::FromNative(original.Native(), original.NativeLength());
    BOOST_CHECK(copy == original);
    BOOST_CHECK_EQUAL(copy.ToString(), "[::1]:443");

    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(5000);
    in.sin_addr.s_addr = htonl(0x0a000001);
    SocketAddress fromIn =
        SocketAddress::FromNative(reinterpret_cast<const sockaddr*>(&in), sizeof in);
    BOOST_CHECK_EQUAL(fromIn.ToString(), "10.0.0.1:5000");
}

BOOST_AUTO_TEST_CASE(FromNativeRejectsATooShortLength) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(80);
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto* native = reinterpret_cast<const sockaddr*>(&in);
    BOOST_CHECK(SocketAddress::FromNative(native, sizeof in - 1).IsEmpty());
    BOOST_CHECK(SocketAddress::FromNative(native, 0).IsEmpty());
    BOOST_CHECK(!SocketAddress::FromNative(native, sizeof in).IsEmpty());

    SocketAddress ipv6 = SocketAddress::Loopback(AF_INET6, 80);
    BOOST_CHECK(SocketAddress::FromNative(ipv6.Native(), sizeof(sockaddr_in6) - 1).IsEmpty());
    BOOST_CHECK(SocketAddress::FromNative(ipv6.Native(), sizeof(sockaddr_in)).IsEmpty());

    BOOST_CHECK(SocketAddress::FromNative(nullptr, sizeof in).IsEmpty());
    sockaddr_storage big{};
    std::memcpy(&big, &in, sizeof in);
    BOOST_CHECK(SocketAddress::FromNative(reinterpret_cast<const sockaddr*>(&big),
                                          SocketAddress::Capacity() + 1)
                    .IsEmpty());
}

BOOST_AUTO_TEST_SUITE_END()

// Unix-domain addresses: paths, Linux's abstract names, and hashing.
#include <sys/un.h>

#include <unordered_set>

BOOST_AUTO_TEST_SUITE(SocketAddressUnix)

BOOST_AUTO_TEST_CASE(PathRoundTripsThroughParseToStringAndHost) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse("unix:/run/xsock/echo.sock", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(address.Family(), AF_UNIX);
    BOOST_CHECK(address.IsUnixPath());
    BOOST_CHECK_EQUAL(address.Host(), "/run/xsock/echo.sock");
    BOOST_CHECK_EQUAL(address.ToString(), "unix:/run/xsock/echo.sock");
    BOOST_CHECK_EQUAL(address.Port(), 0u);
    // The path and its terminator, as getsockname reports a bound path.
    BOOST_CHECK_EQUAL(address.NativeLength(), offsetof(sockaddr_un, sun_path) + 21);
    BOOST_CHECK(SocketAddress::Parse(address.ToString(), error) == address);
    BOOST_CHECK(SocketAddress::Unix(address.Host(), error) == address);
    BOOST_CHECK(SocketAddress::FromNative(address.Native(), address.NativeLength()) == address);
}

BOOST_AUTO_TEST_CASE(AbstractNameRoundTripsThroughParseToStringAndHost) {
    std::error_code error;
    SocketAddress address = SocketAddress::Parse("unix:@xsock/abstract", error);
    BOOST_REQUIRE(!error);
    BOOST_CHECK_EQUAL(address.Family(), AF_UNIX);
    BOOST_CHECK(!address.IsUnixPath());
    BOOST_CHECK_EQUAL(address.Host(), "@xsock/abstract");
    BOOST_CHECK_EQUAL(address.ToString(), "unix:@xsock/abstract");
    // A leading NUL and exactly the name's bytes, with no terminator.
    const auto* native = reinterpret_cast<const sockaddr_un*>(address.Native());
    BOOST_CHECK_EQUAL(native->sun_path[0], '\0');
    BOOST_CHECK_EQUAL(std::string(native->sun_path + 1, 14), "xsock/abstract");
    BOOST_CHECK_EQUAL(address.NativeLength(), offsetof(sockaddr_un, sun_path) + 15);
    BOOST_CHECK(SocketAddress::Parse(address.ToString(), error) == address);
    BOOST_CHECK(SocketAddress::FromNative(address.Native(), address.NativeLength()) == address);
    // The same letters as a path are another address.
    BOOST_CHECK(!(SocketAddress::Parse("unix:/xsock/abstract", error) == address));
}

BOOST_AUTO_TEST_CASE(PathThatDoesNotFitGivesNameTooLong) {
    constexpr std::size_t kRoom = sizeof(sockaddr_un{}.sun_path);
    std::error_code error;
    // A path needs room for its terminator; an abstract name does not.
    std::string longest = "/" + std::string(kRoom - 2, 'p');
    BOOST_CHECK(!SocketAddress::Unix(longest, error).IsEmpty());
    BOOST_CHECK(!error);
    BOOST_CHECK(SocketAddress::Unix(longest + "p", error).IsEmpty());
    BOOST_CHECK(error == std::errc::filename_too_long);
    BOOST_CHECK(SocketAddress::Parse("unix:" + longest + "p", error).IsEmpty());
    BOOST_CHECK(error == std::errc::filename_too_long);

    std::string longestName = "@" + std::string(kRoom - 1, 'n');
    BOOST_CHECK(!SocketAddress::Unix(longestName, error).IsEmpty());
    BOOST_CHECK(!error);
    BOOST_CHECK(SocketAddress::Unix(longestName + "n", error).IsEmpty());
    BOOST_CHECK(error == std::errc::filename_too_long);
}

BOOST_AUTO_TEST_CASE(UnixPrefixAloneIsRejected) {
    std::error_code error;
    BOOST_CHECK(SocketAddress::Parse("unix:", error).IsEmpty());
    BOOST_CHECK(error == std::errc::invalid_argument);
    BOOST_CHECK(SocketAddress::Unix("", error).IsEmpty());
    BOOST_CHECK(error == std::errc::invalid_argument);
    std::vector<SocketAddress> found =
        SocketAddress::Resolve("unix:", 0, AF_UNIX, SOCK_STREAM, error);
    BOOST_CHECK(found.empty());
    BOOST_CHECK(error == std::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(ResolveTakesUnixNamesWithOrWithoutThePrefix) {
    std::error_code error;
    std::vector<SocketAddress> found =
        SocketAddress::Resolve("unix:/tmp/x.sock", 0, AF_INET, SOCK_STREAM, error);
    BOOST_REQUIRE(!error);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found.front().ToString(), "unix:/tmp/x.sock");
    // What ReceiveFrom and GetPeerName report as the host works for an AF_UNIX socket.
    found = SocketAddress::Resolve("/tmp/x.sock", 0, AF_UNIX, SOCK_DGRAM, error);
    BOOST_REQUIRE(!error);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found.front().ToString(), "unix:/tmp/x.sock");
    found = SocketAddress::Resolve("@x", 0, AF_UNIX, SOCK_DGRAM, error);
    BOOST_REQUIRE(!error);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    BOOST_CHECK_EQUAL(found.front().ToString(), "unix:@x");
}

BOOST_AUTO_TEST_CASE(EqualAddressesHashAlikeAndFillAnUnorderedSet) {
    std::error_code error;
    auto parse = [&error](const char* text) {
        SocketAddress address = SocketAddress::Parse(text, error);
        BOOST_REQUIRE_MESSAGE(!error, text);
        return address;
    };
    const char* const texts[] = {"unix:/tmp/a.sock", "unix:@a.sock", "unix:/tmp/b.sock",
                                 "127.0.0.1:80",     "127.0.0.1:81", "[::1]:80"};
    std::unordered_set<SocketAddress> set;
    for (const char* text : texts) {
        BOOST_CHECK(set.insert(parse(text)).second);
    }
    for (const char* text : texts) {
        SocketAddress again = parse(text);
        BOOST_CHECK_EQUAL(again.Hash(), std::hash<SocketAddress>{}(parse(text)));
        BOOST_CHECK(!set.insert(again).second);  // already there
        BOOST_CHECK(set.count(again) == 1);
    }
    BOOST_CHECK_EQUAL(set.size(), std::size(texts));
    BOOST_CHECK(set.count(parse("unix:/tmp/c.sock")) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
