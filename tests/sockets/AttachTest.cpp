// AsyncSocket::Attach (SPEC section 3): an attached connection, listener or
// datagram socket gets the notifications its state and event mask call for,
// and what Attach cannot take (no socket, another object's handle, a second
// handle for an open object) is refused.
#include "Fixtures.h"
#include "TestSupport.h"

#include <xsock/Descriptor.h>

#include <fcntl.h>

#include <cerrno>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

bool IsNonBlocking(int fd) {
    return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

// A connection from `peer` to a new listener, accepted as a plain blocking
// descriptor that no AsyncSocket has seen.
int AcceptedDescriptor(SocketLoop& loop, Probe& listener, RawSocket& peer) {
    peer.Connect(Listen(listener));
    return AcceptRaw(loop, listener);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Attach)

BOOST_DATA_TEST_CASE(AttachedConnectionGetsOnSendThenOnReceive, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    RawSocket peer;
    int fd = AcceptedDescriptor(loop, listener, peer);
    BOOST_REQUIRE(!IsNonBlocking(fd));

    Probe attached;
    BOOST_REQUIRE(attached.Attach(fd));
    BOOST_CHECK(IsNonBlocking(fd));
    BOOST_CHECK(attached.Loop() == &loop);
    SocketAddress remote;
    BOOST_REQUIRE(attached.GetPeerName(remote));
    BOOST_CHECK_EQUAL(remote.Host(), "127.0.0.1");
    BOOST_REQUIRE(RunUntil(loop, [&] { return attached.counts.send == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(attached.counts.send, 1);
    BOOST_CHECK_EQUAL(attached.counts.receive, 0);
    BOOST_CHECK_EQUAL(attached.counts.connect, 0);

    peer.SendAll("hello");
    BOOST_REQUIRE(RunUntil(loop, [&] { return attached.counts.receive == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(attached.counts.receive, 1);  // not again until Receive
    char byte = 0;
    BOOST_REQUIRE_EQUAL(attached.Receive(&byte, 1), 1);
    BOOST_REQUIRE(RunUntil(loop, [&] { return attached.counts.receive == 2; }));
    std::string rest;
    Drain(attached, rest);
    BOOST_CHECK_EQUAL(byte + rest, "hello");

    peer.Close();
    BOOST_REQUIRE(RunUntil(loop, [&] { return attached.counts.close == 1; }));
    BOOST_CHECK_EQUAL(attached.closeError, 0);
    const std::vector<std::string> expected = {"send", "receive", "receive", "close"};
    BOOST_CHECK_EQUAL_COLLECTIONS(attached.order.begin(), attached.order.end(), expected.begin(),
                                  expected.end());
}

BOOST_DATA_TEST_CASE(AttachHonoursTheEventMask, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    RawSocket peer;
    Probe attached;
    BOOST_REQUIRE(attached.Attach(AcceptedDescriptor(loop, listener, peer), FD_READ));
    BOOST_CHECK_EQUAL(attached.SelectedEvents(), FD_READ);
    peer.SendAll("data");
    BOOST_REQUIRE(RunUntil(loop, [&] { return attached.counts.receive == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(attached.counts.send, 0);  // FD_WRITE was not asked for
}

BOOST_DATA_TEST_CASE(AttachedListenerGetsOnAccept, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd >= 0);
    SocketAddress local = SocketAddress::Loopback(AF_INET, 0);
    BOOST_REQUIRE(::bind(fd, local.Native(), local.NativeLength()) == 0);
    BOOST_REQUIRE(::listen(fd, SOMAXCONN) == 0);

    Probe listener;
    BOOST_REQUIRE(listener.Attach(fd));
    BOOST_REQUIRE(listener.GetSockName(local));
    RawSocket peer;
    peer.Connect(local.Port());
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(listener.counts.accept, 1);
    BOOST_CHECK_EQUAL(listener.counts.send, 0);
    Probe server;
    BOOST_REQUIRE(listener.Accept(server));
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.send == 1; }));
    peer.SendAll("through an attached listener");
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
}

BOOST_DATA_TEST_CASE(AttachedDatagramSocketGetsOnSendAndOnReceive, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd >= 0);
    SocketAddress local = SocketAddress::Loopback(AF_INET, 0);
    BOOST_REQUIRE(::bind(fd, local.Native(), local.NativeLength()) == 0);
    Probe attached;
    BOOST_REQUIRE(attached.Attach(fd));
    BOOST_REQUIRE(attached.GetSockName(local));
    BOOST_REQUIRE(RunUntil(loop, [&] { return attached.counts.send == 1; }));
    BOOST_REQUIRE_EQUAL(attached.SendTo("loop", 4, local), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return attached.counts.receive == 1; }));
    char buffer[8];
    SocketAddress from;
    BOOST_CHECK_EQUAL(attached.ReceiveFrom(buffer, sizeof buffer, from), 4);
    BOOST_CHECK(from == local);
}

BOOST_AUTO_TEST_CASE(AttachRefusesWhatItCannotTake) {
    SocketLoop loop;
    Probe socket;
    BOOST_CHECK(!socket.Attach(INVALID_SOCKET));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);

    Descriptor file(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    BOOST_REQUIRE(file.IsOpen());
    const int number = file.Get();
    BOOST_CHECK(!socket.Attach(number));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
    BOOST_CHECK(IsOpen(number));
    BOOST_CHECK(!IsNonBlocking(number));  // left as it was
    file.Reset();
    BOOST_CHECK(!socket.Attach(number));  // a number that is no descriptor at all
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
    BOOST_CHECK_EQUAL(socket.Handle(), INVALID_SOCKET);
    BOOST_CHECK_EQUAL(loop.SocketCount(), 0u);

    // A handle another object on this thread holds stays with that object.
    Probe owner;
    BOOST_REQUIRE(owner.Create(0, SOCK_DGRAM, FD_ALL, "127.0.0.1"));
    Probe second;
    BOOST_CHECK(!second.Attach(owner.Handle()));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EALREADY);
    BOOST_CHECK(AsyncSocket::FromHandle(owner.Handle()) == &owner);
    SocketAddress self;
    BOOST_REQUIRE(owner.GetSockName(self));
    BOOST_REQUIRE_EQUAL(owner.SendTo("mine", 4, self), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return owner.counts.receive == 1; }));
    BOOST_CHECK_EQUAL(second.counts.receive, 0);

    // An object that is open already takes nothing more.
    RawSocket spare;
    BOOST_CHECK(!owner.Attach(spare.Fd()));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);
    BOOST_CHECK(AsyncSocket::FromHandle(spare.Fd()) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
