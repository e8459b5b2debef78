// SocketAddress as a value: the wildcard and loopback addresses of both
// families, equality of family, host and port, and conversion from a native
// sockaddr.
#include "AddressSupport.h"
#include "TestSupport.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

using namespace xsock;
using namespace xsock::test;

BOOST_AUTO_TEST_SUITE(SocketAddressValue)

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
