// The WSAAsyncSelect firing rules of SPEC section 3, one test per row, on
// every loop backend.
#include "Fixtures.h"
#include "TestSupport.h"

#include <xsock/Descriptor.h>

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(AsyncSocketNotification)

BOOST_DATA_TEST_CASE(ConnectReportsWouldBlockThenOnConnectAndOnSend, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    unsigned port = Listen(listener);
    BOOST_REQUIRE(client.Create());
    BOOST_CHECK(!client.Connect("127.0.0.1", port));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.send > 0; }));
    BOOST_CHECK_EQUAL(client.counts.connect, 1);
    BOOST_CHECK_EQUAL(client.connectError, 0);
    BOOST_REQUIRE_EQUAL(client.order.size(), 2u);
    BOOST_CHECK_EQUAL(client.order[0], "connect");
    BOOST_CHECK_EQUAL(client.order[1], "send");
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.connect, 1);  // never re-armed
    BOOST_CHECK_EQUAL(client.counts.send, 1);     // no busy loop on "writable"
}

BOOST_DATA_TEST_CASE(OnConnectReportsRefusal, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    RefusingPort closedPort;
    unsigned port = closedPort.Port();

    Probe client;
    BOOST_REQUIRE(client.Create());
    BOOST_CHECK(!client.Connect("127.0.0.1", port));
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_CHECK_EQUAL(client.connectError, ECONNREFUSED);
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.connect, 1);
    BOOST_CHECK_EQUAL(client.counts.send, 0);
    BOOST_CHECK_EQUAL(client.counts.close, 0);
}

BOOST_DATA_TEST_CASE(OnSendFiresOnceAfterAccept, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.send > 0; }));
    BOOST_CHECK_EQUAL(server.SelectedEvents(), listener.SelectedEvents());
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.send, 1);
    BOOST_CHECK_EQUAL(server.counts.connect, 0);  // an accepted socket never gets OnConnect
}

BOOST_DATA_TEST_CASE(OnSendFiresAgainOnlyAfterWouldBlock, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client;
    unsigned port = Listen(listener);
    BOOST_REQUIRE(client.Create());
    int small = 4096;
    BOOST_REQUIRE(client.SetSockOpt(SO_SNDBUF, &small, sizeof small));
    client.Connect("127.0.0.1", port);
    Descriptor peer(AcceptRaw(loop, listener));
    BOOST_REQUIRE(::setsockopt(peer.Get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.send == 1; }));

    // Successful sends do not re-arm OnSend.
    BOOST_REQUIRE_EQUAL(client.Send("x", 1), 1);
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.send, 1);

    // Fill the peer's window until the kernel says EWOULDBLOCK.
    const std::size_t queued = 1 + FillSendBuffer(client);
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.send, 1);  // still full: nothing yet

    // Draining the peer makes room: exactly one more OnSend. The peer is
    // drained from a timer so the loop keeps turning while data moves.
    std::size_t drained = 0;
    char buffer[65536];
    auto drain = [&] {
        ssize_t n;
        while ((n = ::recv(peer.Get(), buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
            drained += static_cast<std::size_t>(n);
        }
    };
    TimerId drainer = loop.SetTimer(std::chrono::milliseconds(1), drain, true);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.send == 2 && drained == queued; }));
    loop.KillTimer(drainer);
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.send, 2);
}

BOOST_DATA_TEST_CASE(OnReceiveNotRepeatedUntilReceive, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    peer.SendAll("hello");
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);  // no storm while the data is unread

    char byte = 0;
    BOOST_REQUIRE_EQUAL(server.Receive(&byte, 1), 1);
    BOOST_CHECK_EQUAL(byte, 'h');
    // Data is still waiting, so the Receive re-armed exactly one more notification.
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 2; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.receive, 2);

    std::string rest;
    BOOST_CHECK(Drain(server, rest));
    BOOST_CHECK_EQUAL(rest, "ello");
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.receive, 2);  // nothing left: nothing to report
    BOOST_CHECK_EQUAL(server.counts.close, 0);
}

BOOST_DATA_TEST_CASE(OnAcceptRearmsOnlyAfterAccept, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    RawSocket first, second;
    first.Connect(port);
    second.Connect(port);
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(listener.counts.accept, 1);

    Probe a, b;
    BOOST_REQUIRE(listener.Accept(a));
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept == 2; }));
    BOOST_REQUIRE(listener.Accept(b));
    Spin(loop);
    BOOST_CHECK_EQUAL(listener.counts.accept, 2);
    Probe none;
    BOOST_CHECK(!listener.Accept(none));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
}

BOOST_DATA_TEST_CASE(OnCloseOnlyAfterPendingDataWasRead, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    peer.SendAll("last words");
    peer.Close();

    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.close, 0);  // data not read yet: no OnClose

    std::string got;
    char buffer[4];  // read in pieces: OnClose must wait for the last one
    int n = server.Receive(buffer, sizeof buffer);
    BOOST_REQUIRE_EQUAL(n, 4);
    got.append(buffer, 4);
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.close, 0);
    BOOST_CHECK_EQUAL(server.counts.receive, 2);
    Drain(server, got);
    BOOST_CHECK_EQUAL(got, "last words");

    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    BOOST_CHECK_EQUAL(server.closeError, 0);
    BOOST_CHECK_EQUAL(server.order.back(), "close");
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.close, 1);
    BOOST_CHECK_EQUAL(server.Receive(buffer, sizeof buffer), 0);  // the end, not an error
}

BOOST_DATA_TEST_CASE(OnCloseWithoutDataFiresAlone, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    BOOST_REQUIRE(client.ShutDown(AsyncSocket::sends));
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    BOOST_CHECK_EQUAL(server.closeError, 0);
    BOOST_CHECK_EQUAL(server.counts.receive, 0);
    // A half-closed connection still carries data the other way.
    BOOST_REQUIRE_EQUAL(server.Send("ok", 2), 2);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 1; }));
    char buffer[2];
    BOOST_CHECK_EQUAL(client.Receive(buffer, 2), 2);
}

BOOST_DATA_TEST_CASE(OnCloseReportsResetAfterAbortiveClose, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    peer.Reset();
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    BOOST_CHECK_EQUAL(server.closeError, ECONNRESET);
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.close, 1);
}

BOOST_DATA_TEST_CASE(ResetSeenByReceiveIsStillReportedByOnClose, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    // Wait for the reset without running the loop (and without reading, which
    // would consume the error).
    BOOST_REQUIRE_EQUAL(client.Send("data", 4), 4);
    linger abortive{1, 0};
    BOOST_REQUIRE(client.SetSockOpt(SO_LINGER, &abortive, sizeof abortive));
    client.Close();
    pollfd watch{server.Handle(), POLLIN, 0};
    BOOST_REQUIRE(::poll(&watch, 1, static_cast<int>(kDeadline.count())) == 1);
    // The application reads on and meets the reset in Receive, which consumes it...
    std::string got;
    BOOST_CHECK(Drain(server, got));  // stopped by an error, not by an orderly end
    BOOST_CHECK(got.empty() || got == "data");
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ECONNRESET);
    // ...and OnClose still says the close was abortive.
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    BOOST_CHECK_EQUAL(server.closeError, ECONNRESET);
}

BOOST_DATA_TEST_CASE(OnOutOfBandDataUntilItIsRead, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    peer.SendAll("!", MSG_OOB);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.oob == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.oob, 1);
    char urgent = 0;
    BOOST_REQUIRE_EQUAL(server.Receive(&urgent, 1, MSG_OOB), 1);
    BOOST_CHECK_EQUAL(urgent, '!');
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.oob, 1);  // read: nothing more to report
}

BOOST_DATA_TEST_CASE(NoOnCloseAfterLocalClose, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    client.Close();
    BOOST_CHECK_EQUAL(client.Handle(), INVALID_SOCKET);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.close, 0);
    BOOST_CHECK_EQUAL(client.Send("x", 1), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
}

BOOST_DATA_TEST_CASE(AsyncSelectZeroStopsAndReselectReportsPendingEvents, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.send == 1; }));
    BOOST_REQUIRE(server.AsyncSelect(0));
    BOOST_REQUIRE_EQUAL(client.Send("ping", 4), 4);
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.receive, 0);

    // Data that arrived meanwhile is reported as soon as FD_READ is selected,
    // and a connected socket gets FD_WRITE again.
    BOOST_REQUIRE(server.AsyncSelect(FD_READ | FD_WRITE | FD_CLOSE));
    BOOST_REQUIRE(
        RunUntil(loop, [&] { return server.counts.receive == 1 && server.counts.send == 2; }));
}

BOOST_DATA_TEST_CASE(EventsOutsideTheMaskAreNotDelivered, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    Probe client;
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_READ | FD_CLOSE));
    client.Connect("127.0.0.1", port);
    Probe server;
    AcceptNext(loop, listener, server);
    BOOST_REQUIRE_EQUAL(server.Send("hi", 2), 2);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 1; }));
    BOOST_CHECK_EQUAL(client.counts.connect, 0);
    BOOST_CHECK_EQUAL(client.counts.send, 0);
}

BOOST_DATA_TEST_CASE(StreamOverIpv6, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server, "::1");
    std::string address;
    unsigned port = 0;
    BOOST_REQUIRE(server.GetPeerName(address, port));
    BOOST_CHECK_EQUAL(address, "::1");
    BOOST_REQUIRE_EQUAL(client.Send("six", 3), 3);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    std::string got;
    Drain(server, got);
    BOOST_CHECK_EQUAL(got, "six");
}

BOOST_DATA_TEST_CASE(ConnectByHostName, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    Probe client;
    BOOST_REQUIRE(client.Create());
    client.Connect("localhost", port);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect == 1; }));
    BOOST_CHECK_EQUAL(client.connectError, 0);
}

BOOST_AUTO_TEST_CASE(UnknownHostFailsWithAClearError) {
    SocketLoop loop;
    Probe client;
    BOOST_REQUIRE(client.Create());
    BOOST_CHECK(!client.Connect("no-such-host.invalid", 80));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EHOSTUNREACH);
    BOOST_CHECK_EQUAL(std::string(AsyncSocket::GetLastErrorCode().category().name()), "resolver");
    BOOST_CHECK(!AsyncSocket::GetLastErrorCode().message().empty());
}

BOOST_AUTO_TEST_SUITE_END()
