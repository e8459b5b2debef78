// The lifetime rules of SPEC sections 3 and 7, on every loop backend: a socket
// deleted or closed inside a notification (its own or another socket's) gets
// nothing afterwards, a descriptor number reused during dispatch carries no
// stale readiness, and an exception from a notification leaves the loop usable.
#include "Fixtures.h"
#include "TestSupport.h"

#include <xsock/Descriptor.h>

#include <poll.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// What the deletion tests share: a listener to connect to, and a witness, an
// accepted socket made readable in the same iteration as the socket under
// test, to show that delivery goes on around a socket deleted mid-dispatch.
struct Bench {
    explicit Bench(SocketLoop& l) : loop(l) {
        port = Listen(listener);
        Accept(witnessPeer, witness);
    }

    // A connection from `peer`, accepted into `server`, which has had the
    // OnSend an accepted socket gets first.
    void Accept(RawSocket& peer, Probe& server) {
        AcceptRawPeer(loop, listener, port, peer, server);
        BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.send == 1; }));
    }

    // Runs exactly one iteration in which both the socket under test (made
    // ready for `events` by the caller) and the witness are ready.
    void RunIterationWith(int fd, short events) {
        AwaitReady(fd, events);
        witnessPeer.SendAll("w");
        AwaitReady(witness.Handle(), POLLIN);
        loop.RunOnce(std::chrono::milliseconds(0));
    }

    // The witness was served in that same iteration, and is served again later.
    void CheckDeliveryGoesOn() {
        BOOST_CHECK_EQUAL(witness.counts.receive, 1);
        std::string got;
        Drain(witness, got);
        BOOST_CHECK_EQUAL(got, "w");
        Spin(loop);
        witnessPeer.SendAll("v");
        BOOST_CHECK(RunUntil(loop, [&] { return witness.counts.receive == 2; }));
    }

    SocketLoop& loop;
    Probe listener;
    unsigned port = 0;
    RawSocket witnessPeer;
    Probe witness;
};

struct NotificationFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(AsyncSocketLifetime)

BOOST_DATA_TEST_CASE(DeleteInsideOwnOnReceive, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    RawSocket peer;
    auto victim = std::make_unique<Probe>();
    bench.Accept(peer, *victim);
    victim->onReceive = DeleteSelf(victim);
    std::size_t sockets = loop.SocketCount();

    peer.SendAll("unread");
    bench.RunIterationWith(victim->Handle(), POLLIN);
    BOOST_CHECK(!victim);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    ExpectConnectionEnded(peer);
    bench.CheckDeliveryGoesOn();
}

BOOST_DATA_TEST_CASE(DeleteInsideOwnOnSend, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    RawSocket peer;
    auto victim = std::make_unique<Probe>();
    victim->onSend = DeleteSelf(victim);
    AcceptRawPeer(loop, bench.listener, bench.port, peer, *victim);  // OnSend is owed from here on
    std::size_t sockets = loop.SocketCount();

    bench.RunIterationWith(victim->Handle(), POLLOUT);
    BOOST_CHECK(!victim);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    ExpectConnectionEnded(peer);
    bench.CheckDeliveryGoesOn();
}

BOOST_DATA_TEST_CASE(DeleteInsideOwnOnAccept, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    auto victim = std::make_unique<Probe>();
    unsigned port = Listen(*victim);
    victim->onAccept = DeleteSelf(victim);
    std::size_t sockets = loop.SocketCount();

    RawSocket pending;  // still in the backlog when its listener goes
    pending.Connect(port);
    bench.RunIterationWith(victim->Handle(), POLLIN);
    BOOST_CHECK(!victim);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    ExpectConnectionEnded(pending);
    bench.CheckDeliveryGoesOn();
}

BOOST_DATA_TEST_CASE(DeleteInsideOwnOnConnectAfterSuccess, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    auto victim = std::make_unique<Probe>();
    int connectError = -1;
    victim->onConnect = [&](Probe& self) {
        connectError = self.connectError;
        delete victim.release();
    };
    BOOST_REQUIRE(victim->Create());
    BOOST_CHECK(!victim->Connect(SocketAddress::Loopback(AF_INET, bench.port)));
    BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    std::size_t sockets = loop.SocketCount();

    // The hook returns before OnSend would follow OnConnect: OnSend must not
    // reach the deleted socket.
    bench.RunIterationWith(victim->Handle(), POLLOUT);
    BOOST_CHECK(!victim);
    BOOST_CHECK_EQUAL(connectError, 0);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);

    Probe server;  // the far end of the deleted client sees it close
    AcceptNext(loop, bench.listener, server);
    BOOST_CHECK(RunUntil(loop, [&] { return server.counts.close == 1; }));
    bench.CheckDeliveryGoesOn();
}

BOOST_DATA_TEST_CASE(DeleteInsideOwnOnConnectAfterRefusal, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    RefusingPort closedPort;
    unsigned port = closedPort.Port();

    auto victim = std::make_unique<Probe>();
    int connectError = -1;
    victim->onConnect = [&](Probe& self) {
        connectError = self.connectError;
        delete victim.release();
    };
    BOOST_REQUIRE(victim->Create());
    BOOST_CHECK(!victim->Connect(SocketAddress::Loopback(AF_INET, port)));
    std::size_t sockets = loop.SocketCount();

    bench.RunIterationWith(victim->Handle(), POLLOUT);
    BOOST_CHECK(!victim);
    BOOST_CHECK_EQUAL(connectError, ECONNREFUSED);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    bench.CheckDeliveryGoesOn();
}

BOOST_DATA_TEST_CASE(DeleteInsideOwnOnClose, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    RawSocket peer;
    auto victim = std::make_unique<Probe>();
    bench.Accept(peer, *victim);
    int closeError = -1;
    victim->onClose = [&](Probe& self) {
        closeError = self.closeError;
        delete victim.release();
    };
    std::size_t sockets = loop.SocketCount();

    peer.Close();
    bench.RunIterationWith(victim->Handle(), POLLIN);
    BOOST_CHECK(!victim);
    BOOST_CHECK_EQUAL(closeError, 0);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    bench.CheckDeliveryGoesOn();
}

BOOST_DATA_TEST_CASE(DeleteInsideOwnOnOutOfBandData, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    RawSocket peer;
    auto victim = std::make_unique<Probe>();
    bench.Accept(peer, *victim);
    victim->onOob = DeleteSelf(victim);
    std::size_t sockets = loop.SocketCount();

    // Normal data too, so the same readiness also carries "readable": the
    // deleted socket must not go on to OnReceive.
    peer.SendAll("data");
    peer.SendAll("!", MSG_OOB);
    AwaitReady(victim->Handle(), POLLIN);
    bench.RunIterationWith(victim->Handle(), POLLPRI);
    BOOST_CHECK(!victim);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    ExpectConnectionEnded(peer);
    bench.CheckDeliveryGoesOn();
}

BOOST_DATA_TEST_CASE(DeletedReadySocketGetsNoNotification, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    std::array<RawSocket, 2> peers;
    std::array<std::unique_ptr<Probe>, 2> servers;
    std::array<int, 2> calls = {0, 0};  // outside the objects: one of them is freed
    for (std::size_t i = 0; i < 2; ++i) {
        servers[i] = std::make_unique<Probe>();
        AcceptRawPeer(loop, listener, port, peers[i], *servers[i]);
    }
    BOOST_REQUIRE(RunUntil(
        loop, [&] { return servers[0]->counts.send == 1 && servers[1]->counts.send == 1; }));
    // Whichever is delivered first deletes the other.
    for (std::size_t i = 0; i < 2; ++i) {
        servers[i]->onReceive = [&, i](Probe&) {
            ++calls[i];
            delete servers[1 - i].release();
        };
    }
    std::size_t sockets = loop.SocketCount();

    peers[0].SendAll("a");
    peers[1].SendAll("b");
    AwaitReady(servers[0]->Handle(), POLLIN);
    AwaitReady(servers[1]->Handle(), POLLIN);
    loop.RunOnce(std::chrono::milliseconds(0));  // both were reported ready here
    BOOST_REQUIRE_EQUAL(calls[0] + calls[1], 1);
    std::size_t survivor = calls[0] == 1 ? 0 : 1;
    BOOST_CHECK(servers[survivor]);
    BOOST_CHECK(!servers[1 - survivor]);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    ExpectConnectionEnded(peers[1 - survivor]);

    Spin(loop);
    BOOST_CHECK_EQUAL(calls[1 - survivor], 0);
    BOOST_CHECK_EQUAL(calls[survivor], 1);
    // The survivor goes on as usual.
    std::string got;
    Drain(*servers[survivor], got);
    BOOST_CHECK_EQUAL(got, survivor == 0 ? "a" : "b");
    peers[survivor].SendAll("more");
    BOOST_CHECK(RunUntil(loop, [&] { return calls[survivor] == 2; }));
    BOOST_CHECK_EQUAL(calls[1 - survivor], 0);
}

BOOST_DATA_TEST_CASE(CloseInsideOnReceiveEndsAllNotifications, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    RawSocket peer;
    Probe server;
    bench.Accept(peer, server);
    server.onReceive = [](Probe& self) { self.Close(); };
    std::size_t sockets = loop.SocketCount();

    // Data and the peer's close arrive together: once the socket is closed
    // inside OnReceive, the close must not be reported to it.
    peer.SendAll("last");
    ::shutdown(peer.Fd(), SHUT_WR);
    bench.RunIterationWith(server.Handle(), POLLIN);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);
    BOOST_CHECK_EQUAL(server.Handle(), INVALID_SOCKET);
    BOOST_CHECK_EQUAL(loop.SocketCount(), sockets - 1);
    ExpectConnectionEnded(peer);

    bench.CheckDeliveryGoesOn();
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);
    BOOST_CHECK_EQUAL(server.counts.close, 0);
    BOOST_CHECK_EQUAL(server.counts.send, 1);
    BOOST_CHECK_EQUAL(server.order.size(), 2u);
}

BOOST_DATA_TEST_CASE(CloseAndCreateInsideOnReceiveGivesAFreshWorkingSocket,
                     data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Bench bench(loop);
    RawSocket peer;
    Probe socket;
    bench.Accept(peer, socket);
    int oldFd = socket.Handle();
    int newFd = INVALID_SOCKET;
    bool recreated = false;
    socket.onReceive = [&](Probe& self) {
        if (recreated) {
            return;
        }
        recreated = true;
        self.Close();
        BOOST_CHECK(self.Create(0, SOCK_DGRAM, FD_ALL, "127.0.0.1"));
        newFd = self.Handle();
    };

    peer.SendAll("stale");  // left unread in the old descriptor
    bench.RunIterationWith(oldFd, POLLIN);
    BOOST_REQUIRE(recreated);
    // Descriptors are handed out lowest first, so the new socket has the old
    // number: readiness that still named it must not reach the new socket.
    BOOST_CHECK_EQUAL(newFd, oldFd);
    ExpectConnectionEnded(peer);
    bench.CheckDeliveryGoesOn();
    Spin(loop);
    BOOST_CHECK_EQUAL(socket.counts.receive, 1);  // no datagram yet: nothing to read
    BOOST_CHECK_EQUAL(socket.counts.close, 0);

    std::string host;
    unsigned port = 0;
    BOOST_REQUIRE(socket.GetSockName(host, port));
    Descriptor sender(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    BOOST_REQUIRE(sender.IsOpen());
    SocketAddress target = SocketAddress::Loopback(AF_INET, port);
    BOOST_CHECK_EQUAL(::sendto(sender.Get(), "fresh", 5, 0, target.Native(), target.NativeLength()),
                      5);
    BOOST_REQUIRE(RunUntil(loop, [&] { return socket.counts.receive == 2; }));
    char buffer[16];
    BOOST_REQUIRE_EQUAL(socket.Receive(buffer, sizeof buffer), 5);
    BOOST_CHECK_EQUAL(std::string(buffer, 5), "fresh");
}

BOOST_DATA_TEST_CASE(ReadinessOfAClosedDescriptorDoesNotReachItsReplacement,
                     data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    std::array<RawSocket, 2> peers;
    std::array<Probe, 2> servers;
    for (std::size_t i = 0; i < 2; ++i) {
        AcceptRawPeer(loop, listener, port, peers[i], servers[i]);
    }
    BOOST_REQUIRE(
        RunUntil(loop, [&] { return servers[0].counts.send == 1 && servers[1].counts.send == 1; }));
    // Whichever is delivered first closes the other and re-creates it as a
    // listener on the same descriptor number, while the other's readiness is
    // still in this iteration's list: delivered there, it would be an OnAccept
    // with nothing to accept.
    std::size_t replaced = 2;
    int oldFd = INVALID_SOCKET;
    int newFd = INVALID_SOCKET;
    for (std::size_t i = 0; i < 2; ++i) {
        servers[i].onReceive = [&, i](Probe&) {
            if (replaced != 2) {
                return;
            }
            replaced = 1 - i;
            Probe& other = servers[replaced];
            oldFd = other.Handle();
            other.Close();
            BOOST_CHECK(other.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
            BOOST_CHECK(other.Listen());
            newFd = other.Handle();
        };
    }

    peers[0].SendAll("a");
    peers[1].SendAll("b");
    AwaitReady(servers[0].Handle(), POLLIN);
    AwaitReady(servers[1].Handle(), POLLIN);
    loop.RunOnce(std::chrono::milliseconds(0));
    BOOST_REQUIRE(replaced != 2);
    Probe& other = servers[replaced];
    BOOST_CHECK_EQUAL(newFd, oldFd);
    BOOST_CHECK_EQUAL(other.counts.receive, 0);
    BOOST_CHECK_EQUAL(other.counts.accept, 0);
    Spin(loop);
    BOOST_CHECK_EQUAL(other.counts.accept, 0);
    BOOST_CHECK_EQUAL(other.counts.receive, 0);

    // The replacement works as a listener.
    std::string host;
    unsigned newPort = 0;
    BOOST_REQUIRE(other.GetSockName(host, newPort));
    RawSocket client;
    client.Connect(newPort);
    BOOST_REQUIRE(RunUntil(loop, [&] { return other.counts.accept == 1; }));
    Probe accepted;
    BOOST_CHECK(other.Accept(accepted));
    Spin(loop);
    BOOST_CHECK_EQUAL(other.counts.accept, 1);
}

BOOST_DATA_TEST_CASE(ExceptionFromOnReceiveLeavesRunUntilAndTheLoopGoesOn, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    std::array<RawSocket, 2> peers;
    std::array<Probe, 2> servers;
    for (std::size_t i = 0; i < 2; ++i) {
        AcceptRawPeer(loop, listener, port, peers[i], servers[i]);
    }
    BOOST_REQUIRE(
        RunUntil(loop, [&] { return servers[0].counts.send == 1 && servers[1].counts.send == 1; }));
    bool thrown = false;
    servers[0].onReceive = [&](Probe&) {
        if (!thrown) {
            thrown = true;
            throw NotificationFailure("thrown by OnReceive");
        }
    };

    peers[0].SendAll("a");
    peers[1].SendAll("b");
    AwaitReady(servers[0].Handle(), POLLIN);
    AwaitReady(servers[1].Handle(), POLLIN);
    BOOST_CHECK_THROW(
        RunUntil(loop,
                 [&] { return servers[0].counts.receive > 0 && servers[1].counts.receive > 0; }),
        NotificationFailure);
    BOOST_CHECK(thrown);
    BOOST_CHECK_EQUAL(servers[0].counts.receive, 1);
    // The other socket, if its turn had not come yet, is served by the next call.
    BOOST_REQUIRE(RunUntil(loop, [&] { return servers[1].counts.receive == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(servers[0].counts.receive, 1);  // the usual rule: not again until Receive
    BOOST_CHECK_EQUAL(servers[1].counts.receive, 1);

    // Both keep working, the one that threw included.
    for (std::size_t i = 0; i < 2; ++i) {
        std::string got;
        Drain(servers[i], got);
        BOOST_CHECK_EQUAL(got, i == 0 ? "a" : "b");
        peers[i].SendAll("again");
    }
    BOOST_CHECK(RunUntil(
        loop, [&] { return servers[0].counts.receive == 2 && servers[1].counts.receive == 2; }));
    RawSocket late;
    Probe lateServer;
    AcceptRawPeer(loop, listener, port, late, lateServer);
    BOOST_CHECK(RunUntil(loop, [&] { return lateServer.counts.send == 1; }));
}

BOOST_DATA_TEST_CASE(ExceptionFromOnConnectLeavesRunOnceAndPendingWorkFollows,
                     data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    Probe client;
    client.onConnect = [](Probe&) { throw NotificationFailure("thrown by OnConnect"); };
    BOOST_REQUIRE(client.Create());
    client.Connect(SocketAddress::Loopback(AF_INET, port));
    bool taskRan = false;
    loop.Post([&] { taskRan = true; });

    AwaitReady(client.Handle(), POLLOUT);
    BOOST_CHECK_THROW(loop.RunOnce(std::chrono::milliseconds(0)), NotificationFailure);
    BOOST_CHECK_EQUAL(client.counts.connect, 1);
    BOOST_CHECK_EQUAL(client.connectError, 0);
    BOOST_CHECK(!taskRan);  // posted tasks come after notifications

    client.onConnect = nullptr;
    loop.RunOnce(std::chrono::milliseconds(0));
    BOOST_CHECK(taskRan);
    // The throwing socket still gets the OnSend owed after a connect, once.
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.send == 1; }));
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.connect, 1);
    BOOST_CHECK_EQUAL(client.counts.send, 1);

    Probe server;
    AcceptNext(loop, listener, server);
    BOOST_REQUIRE_EQUAL(client.Send("ok", 2), 2);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    std::string got;
    Drain(server, got);
    BOOST_CHECK_EQUAL(got, "ok");
}

BOOST_AUTO_TEST_SUITE_END()
