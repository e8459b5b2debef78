// Connect to a list of candidates whatever their family (docs/design.md,
// "The loop", addresses): the walk reopens an unbound socket in the next candidate's family under
// the same handle, keeps the options the user set, reports only the last failure, and a bound
// socket keeps its family. Also Create(SocketAddress) for every family.
#include <xsock/Socket.h>

#include "Fixtures.h"
#include "TestSupport.h"

#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

SocketAddress NameOf(AsyncSocket& socket) {
    SocketAddress name;
    BOOST_REQUIRE(socket.GetSockName(name));
    return name;
}

int IntOption(AsyncSocket& socket, int level, int option) {
    int value = 0;
    int length = sizeof value;
    BOOST_REQUIRE(socket.GetSockOpt(option, &value, &length, level));
    return value;
}

}  // namespace

BOOST_DATA_TEST_CASE(WalksToCandidatesOfAnotherFamily, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    Listen(listener, "127.0.0.1");
    RefusingPort refusing("::1");

    Probe client;
    BOOST_REQUIRE(client.Create());  // AF_INET, as MFC's Create makes it
    const SOCKET handle = client.Handle();
    // IPv6 first: the socket is reopened as IPv6, refused, then reopened as IPv4.
    BOOST_CHECK(!client.Connect({refusing.Address(), NameOf(listener)}));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_CHECK_EQUAL(client.connectError, 0);
    BOOST_CHECK_EQUAL(client.Handle(), handle);
    BOOST_CHECK(AsyncSocket::FromHandle(handle) == &client);
    SocketAddress peer;
    BOOST_REQUIRE(client.GetPeerName(peer));
    BOOST_CHECK_EQUAL(peer.ToString(), NameOf(listener).ToString());

    // The reopened socket is watched like any other: data and OnReceive flow.
    Probe server;
    AcceptNext(loop, listener, server);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.send > 0; }));
    BOOST_REQUIRE_EQUAL(client.Send("ping", 4), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive > 0; }));
    std::string got;
    Drain(server, got);
    BOOST_CHECK_EQUAL(got, "ping");
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.connect, 1);
}

BOOST_DATA_TEST_CASE(ReopenKeepsTheOptionsTheUserSet, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    Listen(listener, "::1");

    Probe client;
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(client.SetReceiveBufferSize(16384));
    BOOST_REQUIRE(client.SetNoDelay(true));
    BOOST_REQUIRE(client.SetKeepAlive(true));
    const int receiveBuffer = IntOption(client, SOL_SOCKET, SO_RCVBUF);
    BOOST_CHECK(!client.Connect(std::vector<SocketAddress>{NameOf(listener)}));
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_REQUIRE_EQUAL(client.connectError, 0);
    BOOST_CHECK_EQUAL(NameOf(client).Family(), AF_INET6);
    BOOST_CHECK_EQUAL(IntOption(client, SOL_SOCKET, SO_RCVBUF), receiveBuffer);
    BOOST_CHECK_NE(IntOption(client, IPPROTO_TCP, TCP_NODELAY), 0);
    BOOST_CHECK_NE(IntOption(client, SOL_SOCKET, SO_KEEPALIVE), 0);
}

BOOST_DATA_TEST_CASE(ReportsOnlyTheLastFailure, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    RefusingPort v6("::1");
    RefusingPort v4("127.0.0.1");

    Probe client;
    BOOST_REQUIRE(client.Create());
    BOOST_CHECK(!client.Connect({v6.Address(), v4.Address()}));
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_CHECK_EQUAL(client.connectError, ECONNREFUSED);
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.connect, 1);
    BOOST_CHECK_EQUAL(client.counts.send, 0);
}

BOOST_DATA_TEST_CASE(ABoundSocketKeepsItsFamily, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    Listen(listener, "::1");

    Probe client;
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    const SocketAddress local = NameOf(client);
    BOOST_CHECK(!client.Connect(std::vector<SocketAddress>{NameOf(listener)}));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EAFNOSUPPORT);
    BOOST_CHECK_EQUAL(NameOf(client).ToString(), local.ToString());
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.connect, 0);
}

BOOST_DATA_TEST_CASE(BlockingConnectWalksFamiliesToo, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    Listen(listener, "127.0.0.1");
    RefusingPort refusing("::1");

    Socket client;
    BOOST_REQUIRE(client.Create());
    client.SetTimeout(kDeadline);
    BOOST_REQUIRE_MESSAGE(client.Connect({refusing.Address(), NameOf(listener)}),
                          AsyncSocket::GetLastErrorCode().message());
    SocketAddress peer;
    BOOST_REQUIRE(client.GetPeerName(peer));
    BOOST_CHECK_EQUAL(peer.ToString(), NameOf(listener).ToString());
}

BOOST_DATA_TEST_CASE(CreateFromAnAddressOfEveryFamily, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    std::error_code error;
    const auto path = std::filesystem::temp_directory_path() /
                      ("xsock-create-" + std::to_string(::getpid()) + ".sock");
    std::filesystem::remove(path);
    const std::vector<SocketAddress> locals = {SocketAddress::Loopback(AF_INET, 0),
                                               SocketAddress::Loopback(AF_INET6, 0),
                                               SocketAddress::Unix(path.string(), error)};
    BOOST_REQUIRE(!error);
    for (const SocketAddress& local : locals) {
        BOOST_TEST_CONTEXT(local.ToString()) {
            Probe listener;
            BOOST_REQUIRE(listener.Create(local));
            BOOST_CHECK_EQUAL(NameOf(listener).Family(), local.Family());
            BOOST_REQUIRE(listener.Listen());

            // An AF_INET socket reaches a listener of any family.
            Probe client;
            BOOST_REQUIRE(client.Socket(SOCK_STREAM, FD_ALL, 0, AF_INET));
            BOOST_CHECK(!client.Connect(std::vector<SocketAddress>{NameOf(listener)}));
            BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
            BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
            BOOST_CHECK_EQUAL(client.connectError, 0);
            Probe server;
            AcceptNext(loop, listener, server);
        }
    }
    std::filesystem::remove(path);
}
