// AsyncSocket::IOCtl with the three commands MFC code uses: FIONREAD (bytes
// waiting), SIOCATMARK (the platform's urgent-mark answer) and FIONBIO
// (refused while events are selected, as in Winsock); on every backend.
#include "Fixtures.h"
#include "TestSupport.h"

#include <fcntl.h>
#include <sys/ioctl.h>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(AsyncSocketIoctl)

BOOST_DATA_TEST_CASE(FionreadCountsTheBytesWaiting, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    unsigned long waiting = 99;
    BOOST_REQUIRE(server.IOCtl(FIONREAD, &waiting));
    BOOST_CHECK_EQUAL(waiting, 0u);
    BOOST_REQUIRE_EQUAL(client.Send("hello", 5), 5);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    BOOST_REQUIRE(server.IOCtl(FIONREAD, &waiting));
    BOOST_CHECK_EQUAL(waiting, 5u);
}

BOOST_DATA_TEST_CASE(SiocatmarkTurnsTrueOnceTheDataBeforeTheMarkIsRead, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    peer.SendAll("ab");
    peer.SendAll("!", MSG_OOB);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.oob == 1; }));
    unsigned long atMark = 99;
    BOOST_REQUIRE(server.IOCtl(SIOCATMARK, &atMark));
    BOOST_CHECK_EQUAL(atMark, 0u);
    std::string before;
    char buffer[8];
    while (before.size() < 2) {
        int n = server.Receive(buffer, sizeof buffer);
        BOOST_REQUIRE(n > 0);
        before.append(buffer, static_cast<std::size_t>(n));
    }
    BOOST_CHECK_EQUAL(before, "ab");
    BOOST_REQUIRE(server.IOCtl(SIOCATMARK, &atMark));
    BOOST_CHECK_NE(atMark, 0u);
}

BOOST_DATA_TEST_CASE(FionbioRefusesBlockingWhileEventsAreSelected, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    unsigned long blocking = 0;
    BOOST_CHECK(!server.IOCtl(FIONBIO, &blocking));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);
    BOOST_CHECK(::fcntl(server.Handle(), F_GETFL) & O_NONBLOCK);

    BOOST_REQUIRE(server.AsyncSelect(0));
    BOOST_REQUIRE(server.IOCtl(FIONBIO, &blocking));
    BOOST_CHECK(!(::fcntl(server.Handle(), F_GETFL) & O_NONBLOCK));
    // Selecting events makes the socket non-blocking again.
    BOOST_REQUIRE(server.AsyncSelect(FD_ALL));
    BOOST_CHECK(::fcntl(server.Handle(), F_GETFL) & O_NONBLOCK);
}

BOOST_AUTO_TEST_CASE(UnknownCommandsAndMissingArgumentsFailClearly) {
    SocketLoop loop;
    Probe socket;
    BOOST_REQUIRE(socket.Create());
    unsigned long value = 0;
    BOOST_CHECK(!socket.IOCtl(0x12345, &value));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);
    BOOST_CHECK(!socket.IOCtl(FIONREAD, nullptr));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EFAULT);
    Probe closed;
    BOOST_CHECK(!closed.IOCtl(FIONREAD, &value));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
}

BOOST_AUTO_TEST_SUITE_END()
