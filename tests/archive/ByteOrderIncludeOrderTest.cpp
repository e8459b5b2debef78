// ByteOrder.h first, the C library's header after it: the later header must not
// bring back the htons & co. macros that would break qualified xsock:: calls.
#include <xsock/ByteOrder.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/test/unit_test.hpp>

#if defined(htons) || defined(htonl) || defined(ntohs) || defined(ntohl)
#error "a C library header included after ByteOrder.h brought back a byte-order macro"
#endif

BOOST_AUTO_TEST_SUITE(ByteOrderIncludeOrder)

BOOST_AUTO_TEST_CASE(QualifiedAndCLibraryCallsCompileAndAgreeWhenTheCHeaderComesLast) {
    constexpr std::uint16_t kPort = xsock::htons(8080);
    BOOST_TEST(kPort == ::htons(8080));
    BOOST_TEST(xsock::ntohl(::htonl(0xA1B2C3D4u)) == 0xA1B2C3D4u);
    BOOST_TEST(::ntohs(xsock::htons(443)) == 443);
}

BOOST_AUTO_TEST_SUITE_END()
