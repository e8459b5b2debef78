// Datagram sockets (SPEC section 3): SendTo and ReceiveFrom in MFC's
// host-and-port form and in SocketAddress form, the notification rules on a
// socket without a connection, Connect as the default destination, EMSGSIZE
// and the typed options; on every loop backend. Broadcast and multicast are in
// MulticastTest.cpp.
//
#include "DatagramSupport.h"
#include "TestSupport.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// Sends a request in MFC's form and answers it in SocketAddress form, checking
// that each side learns exactly who sent what it received.
void RoundTrip(SocketLoop& loop, const char* host) {
    Probe server, client;
    unsigned serverPort = BindDatagram(server, host);
    unsigned clientPort = BindDatagram(client, host);

    const std::string request = std::string("request over ") + host;
    BOOST_REQUIRE_EQUAL(Send(client, request, serverPort, host), static_cast<int>(request.size()));
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    char buffer[256];
    std::string address;
    unsigned port = 0;
    int n = server.ReceiveFrom(buffer, sizeof buffer, address, port);
    BOOST_REQUIRE_EQUAL(n, static_cast<int>(request.size()));
    BOOST_CHECK_EQUAL(std::string(buffer, static_cast<std::size_t>(n)), request);
    BOOST_CHECK_EQUAL(address, host);
    BOOST_CHECK_EQUAL(port, clientPort);

    std::error_code error;
    SocketAddress sender = SocketAddress::FromHostAndPort(address, port, error);
    BOOST_REQUIRE(!error);
    const std::string reply = "reply to " + sender.ToString();
    BOOST_REQUIRE_EQUAL(server.SendTo(reply.data(), static_cast<int>(reply.size()), sender),
                        static_cast<int>(reply.size()));
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 1; }));
    SocketAddress from;
    BOOST_CHECK_EQUAL(TakeDatagram(client, from), reply);
    SocketAddress serverAddress;
    BOOST_REQUIRE(server.GetSockName(serverAddress));
    BOOST_CHECK(from == serverAddress);
    BOOST_CHECK_EQUAL(from.Port(), serverPort);
    BOOST_CHECK(NothingWaiting(server));
    BOOST_CHECK(NothingWaiting(client));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Datagram)

BOOST_DATA_TEST_CASE(RoundTripOverIpv4ReportsTheSender, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    RoundTrip(loop, "127.0.0.1");
}

BOOST_DATA_TEST_CASE(RoundTripOverIpv6ReportsTheSender, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    RoundTrip(loop, "::1");
}

BOOST_DATA_TEST_CASE(OnSendFiresOnceAfterCreate, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe socket;
    unsigned port = BindDatagram(socket, "127.0.0.1");
    BOOST_REQUIRE(RunUntil(loop, [&] { return socket.counts.send == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(socket.counts.send, 1);  // no busy loop on "writable"

    // A successful SendTo does not re-arm it either.
    BOOST_REQUIRE_EQUAL(Send(socket, "to myself", port, "127.0.0.1"), 9);
    BOOST_REQUIRE(RunUntil(loop, [&] { return socket.counts.receive == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(socket.counts.send, 1);
    BOOST_CHECK_EQUAL(socket.counts.connect, 0);
    BOOST_CHECK_EQUAL(socket.order.front(), "send");
}

BOOST_DATA_TEST_CASE(OnReceiveNotRepeatedUntilReceiveFrom, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe receiver, sender;
    unsigned port = BindDatagram(receiver, "127.0.0.1");
    BindDatagram(sender, "127.0.0.1");
    BOOST_REQUIRE_EQUAL(Send(sender, "first", port, "127.0.0.1"), 5);
    BOOST_REQUIRE_EQUAL(Send(sender, "second", port, "127.0.0.1"), 6);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(receiver.counts.receive, 1);  // no storm while nothing is read

    SocketAddress from;
    BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "first");
    // Another datagram is waiting, so that ReceiveFrom re-armed one more notification.
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 2; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(receiver.counts.receive, 2);
    BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "second");
    CheckSettled(loop, receiver, 2);
}

BOOST_DATA_TEST_CASE(ConnectSetsTheDefaultDestinationAndFiltersOtherSenders,
                     data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe server, client, stranger;
    unsigned serverPort = BindDatagram(server, "127.0.0.1");
    unsigned clientPort = BindDatagram(client, "127.0.0.1");
    BindDatagram(stranger, "127.0.0.1");

    BOOST_CHECK_EQUAL(client.Send("nowhere", 7), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EDESTADDRREQ);

    // A datagram socket connects at once: nothing goes on the wire.
    BOOST_REQUIRE(client.Connect("127.0.0.1", serverPort));
    SocketAddress peer;
    BOOST_REQUIRE(client.GetPeerName(peer));
    BOOST_CHECK(peer == SocketAddress::Loopback(AF_INET, serverPort));
    BOOST_REQUIRE_EQUAL(client.Send("via the default", 15), 15);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    SocketAddress from;
    BOOST_CHECK_EQUAL(TakeDatagram(server, from), "via the default");
    BOOST_CHECK_EQUAL(from.Port(), clientPort);

    // The kernel drops what anyone but the connected peer sends to the client.
    BOOST_REQUIRE_EQUAL(Send(stranger, "from a stranger", clientPort, "127.0.0.1"), 15);
    BOOST_REQUIRE_EQUAL(Send(server, "from the peer", clientPort, "127.0.0.1"), 13);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 1; }));
    char buffer[64];
    int n = client.Receive(buffer, sizeof buffer);
    BOOST_REQUIRE_EQUAL(n, 13);
    BOOST_CHECK_EQUAL(std::string(buffer, 13), "from the peer");
    BOOST_CHECK(NothingWaiting(client));
}

BOOST_DATA_TEST_CASE(ConnectedSocketHearsOfARefusalThroughReceive, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    unsigned closedPort = 0;
    {
        Probe gone;
        closedPort = BindDatagram(gone, "127.0.0.1");
    }
    Probe client;
    BindDatagram(client, "127.0.0.1");
    BOOST_REQUIRE(client.Connect("127.0.0.1", closedPort));
    BOOST_REQUIRE_EQUAL(client.Send("anyone?", 7), 7);
    // The ICMP port-unreachable comes back as an error that OnReceive
    // announces and Receive reports (Winsock calls it WSAECONNRESET).
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 1; }));
    char buffer[16];
    BOOST_CHECK_EQUAL(client.Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ECONNREFUSED);
    CheckSettled(loop, client, 1);
}

BOOST_DATA_TEST_CASE(OversizeDatagramFailsWithMsgSizeAndKeepsItsStart, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe receiver, sender;
    unsigned port = BindDatagram(receiver, "127.0.0.1");
    unsigned senderPort = BindDatagram(sender, "127.0.0.1");
    std::string big(1000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<char>('a' + i % 26);
    }
    const std::string exact(100, 'x');
    BOOST_REQUIRE_EQUAL(Send(sender, big, port, "127.0.0.1"), 1000);
    BOOST_REQUIRE_EQUAL(Send(sender, exact, port, "127.0.0.1"), 100);
    BOOST_REQUIRE_EQUAL(Send(sender, big, port, "127.0.0.1"), 1000);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 1; }));

    char buffer[100];
    std::string address;
    unsigned from = 0;
    BOOST_CHECK_EQUAL(receiver.ReceiveFrom(buffer, sizeof buffer, address, from), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EMSGSIZE);
    BOOST_CHECK_EQUAL(std::string(buffer, sizeof buffer), big.substr(0, sizeof buffer));
    BOOST_CHECK_EQUAL(address, "127.0.0.1");  // the sender is still reported
    BOOST_CHECK_EQUAL(from, senderPort);

    // The rest of the datagram is gone; one that fits exactly is no error.
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 2; }));
    BOOST_CHECK_EQUAL(receiver.Receive(buffer, sizeof buffer), 100);
    BOOST_CHECK_EQUAL(std::string(buffer, sizeof buffer), exact);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 3; }));
    BOOST_CHECK_EQUAL(receiver.Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EMSGSIZE);
    BOOST_CHECK(NothingWaiting(receiver));
}

BOOST_DATA_TEST_CASE(ZeroLengthDatagramArrivesAndIsNoClose, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe receiver, sender;
    unsigned port = BindDatagram(receiver, "127.0.0.1");
    unsigned senderPort = BindDatagram(sender, "127.0.0.1");
    BOOST_REQUIRE_EQUAL(sender.SendTo(nullptr, 0, port, "127.0.0.1"), 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 1; }));
    char buffer[16];
    SocketAddress from;
    BOOST_CHECK_EQUAL(receiver.ReceiveFrom(buffer, sizeof buffer, from), 0);
    BOOST_CHECK_EQUAL(from.Port(), senderPort);
    CheckSettled(loop, receiver, 1);  // one empty datagram, not an endless end of stream
}

BOOST_AUTO_TEST_CASE(TypedOptionsReadBackWithGetSockOpt) {
    SocketLoop loop;
    Probe udp;
    BindDatagram(udp, "127.0.0.1");
    BOOST_REQUIRE(udp.SetReuseAddress(true));
    BOOST_CHECK_EQUAL(IntOption(udp, SO_REUSEADDR), 1);
    BOOST_REQUIRE(udp.SetReuseAddress(false));
    BOOST_CHECK_EQUAL(IntOption(udp, SO_REUSEADDR), 0);
    BOOST_REQUIRE(udp.SetBroadcast(true));
    BOOST_CHECK_EQUAL(IntOption(udp, SO_BROADCAST), 1);
    BOOST_REQUIRE(udp.SetBroadcast(false));
    BOOST_CHECK_EQUAL(IntOption(udp, SO_BROADCAST), 0);

    // Linux doubles the size asked for, to leave room for its bookkeeping.
    int bytes = 0;
    BOOST_REQUIRE(udp.SetReceiveBufferSize(65536));
    BOOST_REQUIRE(udp.GetReceiveBufferSize(bytes));
    BOOST_CHECK_GE(bytes, 65536);
    BOOST_CHECK_EQUAL(bytes, IntOption(udp, SO_RCVBUF));
    BOOST_REQUIRE(udp.SetSendBufferSize(32768));
    BOOST_REQUIRE(udp.GetSendBufferSize(bytes));
    BOOST_CHECK_GE(bytes, 32768);
    BOOST_CHECK_EQUAL(bytes, IntOption(udp, SO_SNDBUF));

    BOOST_REQUIRE(udp.SetMulticastHops(7));
    BOOST_CHECK_EQUAL(IntOption(udp, IP_MULTICAST_TTL, IPPROTO_IP), 7);
    BOOST_REQUIRE(udp.SetMulticastLoopback(false));
    BOOST_CHECK_EQUAL(IntOption(udp, IP_MULTICAST_LOOP, IPPROTO_IP), 0);
    BOOST_REQUIRE(udp.SetMulticastInterface("127.0.0.1"));
    in_addr multicastInterface{};
    int length = sizeof multicastInterface;
    BOOST_REQUIRE(udp.GetSockOpt(IP_MULTICAST_IF, &multicastInterface, &length, IPPROTO_IP));
    BOOST_CHECK_EQUAL(ntohl(multicastInterface.s_addr), INADDR_LOOPBACK);

    Probe tcp;
    BOOST_REQUIRE(tcp.Create());
    BOOST_REQUIRE(tcp.SetKeepAlive(true));
    BOOST_CHECK_EQUAL(IntOption(tcp, SO_KEEPALIVE), 1);
    BOOST_REQUIRE(tcp.SetNoDelay(true));
    BOOST_CHECK_EQUAL(IntOption(tcp, TCP_NODELAY, IPPROTO_TCP), 1);
    BOOST_REQUIRE(tcp.SetLinger(true, 5));
    linger lingering{};
    length = sizeof lingering;
    BOOST_REQUIRE(tcp.GetSockOpt(SO_LINGER, &lingering, &length));
    BOOST_CHECK_EQUAL(lingering.l_onoff, 1);
    BOOST_CHECK_EQUAL(lingering.l_linger, 5);

    Probe udp6;
    BOOST_REQUIRE(udp6.Socket(SOCK_DGRAM, FD_ALL, 0, AF_INET6));
    BOOST_REQUIRE(udp6.SetV6Only(true));
    BOOST_CHECK_EQUAL(IntOption(udp6, IPV6_V6ONLY, IPPROTO_IPV6), 1);
    BOOST_REQUIRE(udp6.SetMulticastHops(5));
    BOOST_CHECK_EQUAL(IntOption(udp6, IPV6_MULTICAST_HOPS, IPPROTO_IPV6), 5);
    BOOST_REQUIRE(udp6.SetMulticastLoopback(false));
    BOOST_CHECK_EQUAL(IntOption(udp6, IPV6_MULTICAST_LOOP, IPPROTO_IPV6), 0);
    BOOST_REQUIRE(udp6.SetMulticastInterface("lo"));
    BOOST_CHECK_EQUAL(IntOption(udp6, IPV6_MULTICAST_IF, IPPROTO_IPV6),
                      static_cast<int>(::if_nametoindex("lo")));
}

BOOST_DATA_TEST_CASE(V6OnlyDecidesWhetherIpv4SharesThePort, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    // Dual stack: IPv4 senders arrive as IPv4-mapped addresses, and the IPv4
    // port is taken too.
    Probe dual;
    BOOST_REQUIRE(dual.Socket(SOCK_DGRAM, FD_ALL, 0, AF_INET6));
    BOOST_REQUIRE(dual.SetV6Only(false));
    BOOST_REQUIRE(dual.Bind(SocketAddress::Any(AF_INET6, 0)));
    SocketAddress local;
    BOOST_REQUIRE(dual.GetSockName(local));
    Probe ipv4;
    unsigned ipv4Port = BindDatagram(ipv4, "127.0.0.1");
    BOOST_REQUIRE_EQUAL(Send(ipv4, "mapped", local.Port(), "127.0.0.1"), 6);
    BOOST_REQUIRE(RunUntil(loop, [&] { return dual.counts.receive == 1; }));
    SocketAddress from;
    BOOST_CHECK_EQUAL(TakeDatagram(dual, from), "mapped");
    BOOST_CHECK_EQUAL(from.Host(), "::ffff:127.0.0.1");
    BOOST_CHECK_EQUAL(from.Port(), ipv4Port);
    Probe clash;
    BOOST_CHECK(!clash.Create(local.Port(), SOCK_DGRAM, FD_ALL, "127.0.0.1"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRINUSE);

    // IPv6 only: a port that IPv4 already uses is still free for IPv6.
    Probe ipv4Owner;
    unsigned taken = BindDatagram(ipv4Owner, "127.0.0.1");
    Probe dualClash;
    BOOST_REQUIRE(dualClash.Socket(SOCK_DGRAM, FD_ALL, 0, AF_INET6));
    BOOST_REQUIRE(dualClash.SetV6Only(false));
    BOOST_CHECK(!dualClash.Bind(SocketAddress::Any(AF_INET6, taken)));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRINUSE);
    Probe only;
    BOOST_REQUIRE(only.Socket(SOCK_DGRAM, FD_ALL, 0, AF_INET6));
    BOOST_REQUIRE(only.SetV6Only(true));
    BOOST_CHECK(only.Bind(SocketAddress::Any(AF_INET6, taken)));
}

BOOST_AUTO_TEST_CASE(ReuseAddressLetsDatagramSocketsShareAPort) {
    SocketLoop loop;
    Probe first;
    BOOST_REQUIRE(first.Socket(SOCK_DGRAM));
    BOOST_REQUIRE(first.SetReuseAddress(true));
    BOOST_REQUIRE(first.Bind(0, "127.0.0.1"));
    SocketAddress local;
    BOOST_REQUIRE(first.GetSockName(local));

    Probe without;
    BOOST_REQUIRE(without.Socket(SOCK_DGRAM));
    BOOST_CHECK(!without.Bind(local));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRINUSE);

    Probe with;
    BOOST_REQUIRE(with.Socket(SOCK_DGRAM));
    BOOST_REQUIRE(with.SetReuseAddress(true));
    BOOST_CHECK(with.Bind(local));
}

BOOST_AUTO_TEST_SUITE_END()
