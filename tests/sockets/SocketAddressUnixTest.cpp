// Unix-domain addresses: paths, Linux's abstract names, and hashing.
#include "TestSupport.h"

#include <sys/un.h>

#include <cstddef>
#include <functional>
#include <string>
#include <system_error>
#include <unordered_set>
#include <vector>

using namespace xsock;

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
