// SocketAddress name resolution: Resolve for either family or both, resolver
// errors, and Lookup, which takes numeric text as it is and sends only names
// to the resolver.
#include "AddressSupport.h"
#include "TestSupport.h"

#include <string>
#include <system_error>
#include <vector>

using namespace xsock;
using namespace xsock::test;

BOOST_AUTO_TEST_SUITE(SocketAddressResolve)

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

BOOST_AUTO_TEST_SUITE_END()
