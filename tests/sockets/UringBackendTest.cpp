// The io_uring backend (SPEC section 12): XSOCK_BACKEND=uring picks it, a
// kernel that refuses io_uring gives a clear error (and the default never
// picks it), a completion that outlives its socket or its descriptor number
// reaches no one, readiness consumed outside the loop is no notification,
// readiness reaped early is notified once, a reset the backend took off a socket is never dropped
// (not even one taken as the socket stopped watching), a half-closed socket does not turn the loop
// into a busy loop, a closed socket reaches its peer while a poll was armed on it, and
// NativeHandle() wakes a host loop for sockets as on epoll.
#include "EnvironmentGuard.h"
#include "Fixtures.h"
#include "TestSupport.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <string>
#include <system_error>
#include <thread>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

namespace {

// Makes io_uring_setup fail with `error` for the calling thread only, as a
// seccomp profile or kernel.io_uring_disabled=2 would. False if the kernel
// does not take the filter.
bool RefuseIoUringOnThisThread(int error) {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(error) & 0xffff)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// What creating a loop on a thread that io_uring is refused to gives.
struct Refusal {
    bool filtered = false;
    std::string uringError;  // what() of the exception, empty if none
    int uringCode = 0;
    bool threwSystemError = false;
    SocketLoop::Backend defaultBackend = SocketLoop::Backend::Uring;
};

Refusal CreateLoopsWhereRefused(int error) {
    Refusal refusal;
    std::thread refused([&] {
        refusal.filtered = RefuseIoUringOnThisThread(error);
        if (!refusal.filtered) {
            return;
        }
        try {
            SocketLoop loop({SocketLoop::Backend::Uring});
        } catch (const std::system_error& failure) {
            refusal.threwSystemError = true;
            refusal.uringCode = failure.code().value();
            refusal.uringError = failure.what();
        } catch (const std::exception& failure) {
            refusal.uringError = failure.what();
        }
        SocketLoop loop;  // without XSOCK_BACKEND: must not try io_uring at all
        refusal.defaultBackend = loop.GetBackend();
    });
    refused.join();
    return refusal;
}

// On the io_uring backend, moves the loop to a ring whose completions' work
// runs on the way out of any system call its thread makes (COOP_TASKRUN: the
// ring a loop gets once a host loop asks for its NativeHandle(), and the only
// one before Linux 6.1), not only in the loop's own waits: the cases below
// need completions that come while the thread is outside the loop. Harmless
// on the other backends.
void CompleteOutsideTheLoop(SocketLoop& loop) {
    static_cast<void>(loop.NativeHandle());
}

}  // namespace

// Outside the unnamed namespace: the test cases' lambdas capture it.
// A socket whose raw peer has just reset the connection, watched for reading
// until then, beside a connected pair whose server side can collect what the
// backend completed early: the reset is on the socket when this returns.
struct ResetSocket {
    explicit ResetSocket(SocketLoop::Backend backend) : loop({backend}) {
        CompleteOutsideTheLoop(loop);
        ConnectPair(loop, listener, client, server);
        AcceptRawPeer(loop, otherListener, peer, reset);
        Spin(loop, 3);  // both server sockets are watched for reading
        peer.Reset();
        BOOST_REQUIRE(PollsReadable(static_cast<int>(reset.Handle()), kDeadline));
    }
    // Another socket's Receive outside any iteration, which collects what the
    // backend has completed so far.
    void CollectEarly() {
        BOOST_REQUIRE_EQUAL(client.Send("x", 1), 1);
        BOOST_REQUIRE(PollsReadable(static_cast<int>(server.Handle()), kDeadline));
        char byte = 0;
        BOOST_REQUIRE_EQUAL(server.Receive(&byte, 1), 1);
    }
    SocketLoop loop;
    Probe listener, client, server, otherListener, reset;
    RawSocket peer;
};

BOOST_AUTO_TEST_SUITE(UringBackend)

BOOST_AUTO_TEST_CASE(XsockBackendUringPicksIt) {
    EnvironmentGuard environment("XSOCK_BACKEND");
    environment.Set("uring");
    BOOST_CHECK_EQUAL(SocketLoop::DefaultBackend(), SocketLoop::Backend::Uring);
    BOOST_CHECK_EQUAL(std::string(SocketLoop::BackendName(SocketLoop::Backend::Uring)), "uring");
    if (UringUsable()) {
        SocketLoop loop;
        BOOST_CHECK_EQUAL(loop.GetBackend(), SocketLoop::Backend::Uring);
    } else {
        BOOST_CHECK_THROW(SocketLoop{}, std::exception);  // asked for, never replaced silently
    }
    environment.Unset();
    BOOST_CHECK(SocketLoop::DefaultBackend() != SocketLoop::Backend::Uring);
}

#ifdef XSOCK_TEST_HAVE_LIBURING
BOOST_DATA_TEST_CASE(ARefusedRingIsAClearErrorAndTheDefaultStaysAway, data::make({EPERM, ENOSYS}),
                     error) {
    EnvironmentGuard environment("XSOCK_BACKEND");
    environment.Unset();
    Refusal refusal = CreateLoopsWhereRefused(error);
    BOOST_REQUIRE_MESSAGE(refusal.filtered, "the kernel took no seccomp filter");
    BOOST_CHECK(refusal.threwSystemError);
    BOOST_CHECK_EQUAL(refusal.uringCode, error);
    BOOST_TEST_INFO("what(): " << refusal.uringError);
    BOOST_CHECK(refusal.uringError.find("refuses io_uring") != std::string::npos);
    BOOST_TEST_INFO("what(): " << refusal.uringError);
    BOOST_CHECK(refusal.uringError.find(std::generic_category().message(error)) !=
                std::string::npos);
    BOOST_CHECK(refusal.defaultBackend != SocketLoop::Backend::Uring);
}
#else
BOOST_AUTO_TEST_CASE(WithoutLiburingTheBackendDoesNotExist) {
    BOOST_CHECK_THROW(SocketLoop({SocketLoop::Backend::Uring}), std::invalid_argument);
}
#endif

// A socket is closed while the backend still has a poll armed (and possibly
// completed) for it, and a new socket takes its descriptor number before the
// next wait: the new one gets exactly its own notifications.
BOOST_DATA_TEST_CASE(ACompletionForAClosedSocketNeverReachesItsSuccessor,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server, "127.0.0.1", events);
    Spin(loop, 3);  // server's readable poll is armed now
    const SOCKET number = server.Handle();
    BOOST_REQUIRE_EQUAL(client.Send("x", 1), 1);  // completes the armed poll
    server.Close();

    Probe successor, successorPeer;
    BOOST_REQUIRE(successor.Create(0, SOCK_DGRAM, FD_READ, "127.0.0.1"));
    BOOST_REQUIRE_EQUAL(successor.Handle(), number);
    Spin(loop);
    BOOST_CHECK_EQUAL(successor.counts.receive, 0);
    BOOST_CHECK_EQUAL(server.counts.receive, 0);

    std::string host;
    unsigned port = 0;
    BOOST_REQUIRE(successor.GetSockName(host, port));
    BOOST_REQUIRE(successorPeer.Create(0, SOCK_DGRAM, FD_READ, "127.0.0.1"));
    BOOST_REQUIRE_EQUAL(successorPeer.SendTo("y", 1, port, "127.0.0.1"), 1);
    BOOST_CHECK(RunUntil(loop, [&] { return successor.counts.receive > 0; }));
    char byte = 0;
    BOOST_CHECK_EQUAL(successor.Receive(&byte, 1), 1);
    BOOST_CHECK_EQUAL(byte, 'y');
    Spin(loop);
    BOOST_CHECK_EQUAL(successor.counts.receive, 1);
}

// Readiness found while the application was away from the loop is looked at
// again before it becomes a notification: data read outside the loop gives
// no OnReceive, and the FIN that came after it gives OnClose.
BOOST_DATA_TEST_CASE(ReadinessConsumedOutsideTheLoopIsNoNotification, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    CompleteOutsideTheLoop(loop);
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    Spin(loop, 3);  // the server socket is watched for reading
    BOOST_REQUIRE_EQUAL(client.Send("x", 1), 1);
    BOOST_REQUIRE(PollsReadable(static_cast<int>(server.Handle()), kDeadline));
    char byte = 0;
    BOOST_REQUIRE_EQUAL(server.Receive(&byte, 1), 1);  // outside any iteration
    BOOST_REQUIRE(client.ShutDown(AsyncSocket::sends));
    BOOST_CHECK(RunUntil(loop, [&] { return server.counts.close == 1; }));
    BOOST_CHECK_EQUAL(server.counts.receive, 0);
    BOOST_CHECK_EQUAL(server.closeError, 0);
}

// A reset that the backend took off a socket (a peek meets it once, and the
// socket says "end of stream" ever after) still reaches OnClose when it was
// collected early, by another socket's Receive outside the loop, and the
// socket then changed what it watches before the loop dispatched it.
BOOST_DATA_TEST_CASE(AResetCollectedEarlySurvivesAnInterestChange, data::make(kAllBackends),
                     backend) {
    ResetSocket c(backend);
    c.CollectEarly();
    BOOST_REQUIRE(c.reset.AsyncSelect(FD_CLOSE));
    BOOST_CHECK(RunUntil(c.loop, [&] { return c.reset.counts.close == 1; }));
    BOOST_CHECK_EQUAL(c.reset.closeError, ECONNRESET);
}

// The same when the socket stopped watching just after the backend took the
// reset, before the loop collected it: what took it off the socket is not
// current any more, but the error still belongs to this socket.
BOOST_DATA_TEST_CASE(AResetTakenAsTheSocketStopsWatchingSurvives, data::make(kAllBackends),
                     backend) {
    ResetSocket c(backend);
    BOOST_REQUIRE(c.reset.AsyncSelect(0));
    BOOST_REQUIRE(c.reset.AsyncSelect(FD_CLOSE));
    BOOST_CHECK(RunUntil(c.loop, [&] { return c.reset.counts.close == 1; }));
    BOOST_CHECK_EQUAL(c.reset.closeError, ECONNRESET);
}

// ...but a reset taken off a socket that has been closed since is nobody's:
// the next socket on its descriptor number hears nothing of it.
BOOST_DATA_TEST_CASE(AResetTakenOffAClosedSocketNeverReachesItsSuccessor,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    SocketLoop loop({backend});
    Probe bystander;
    BOOST_REQUIRE(bystander.Create(0, SOCK_DGRAM, FD_READ, "127.0.0.1"));
    Probe listener, reset;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, reset, events);
    Spin(loop, 3);  // both are watched for reading
    const SOCKET number = reset.Handle();
    peer.Reset();
    BOOST_REQUIRE(PollsReadable(static_cast<int>(number), kDeadline));
    // Another socket's removal runs the ring's pending work, in which the
    // peek takes the reset; its completion is not collected yet.
    BOOST_REQUIRE(bystander.AsyncSelect(0));
    RawSocket filler;  // takes the peer's old number, so the successor gets `number`
    reset.Close();

    Probe successor;
    BOOST_REQUIRE(successor.Create(0, SOCK_DGRAM, FD_READ | FD_CLOSE, "127.0.0.1"));
    BOOST_REQUIRE_EQUAL(successor.Handle(), number);
    Spin(loop);
    BOOST_CHECK_EQUAL(successor.counts.receive, 0);
    BOOST_CHECK_EQUAL(successor.counts.close, 0);
    BOOST_CHECK_EQUAL(reset.counts.close, 0);
}

// A reset taken as the socket stopped watching, while it watches nothing:
// no notification then (it asked for none), and OnClose(WSAECONNRESET) once
// it asks for FD_CLOSE again, as on epoll, where nothing took the reset.
BOOST_DATA_TEST_CASE(AResetTakenWhileTheSocketWatchesNothingWaitsForFdClose,
                     data::make(kAllBackends), backend) {
    ResetSocket c(backend);
    BOOST_REQUIRE(c.reset.AsyncSelect(0));
    Spin(c.loop);
    BOOST_CHECK_EQUAL(c.reset.counts.close, 0);
    BOOST_CHECK_EQUAL(c.reset.counts.receive, 0);
    BOOST_REQUIRE(c.reset.AsyncSelect(FD_CLOSE));
    BOOST_CHECK(RunUntil(c.loop, [&] { return c.reset.counts.close >= 1; }));
    Spin(c.loop);
    BOOST_CHECK_EQUAL(c.reset.counts.close, 1);
    BOOST_CHECK_EQUAL(c.reset.closeError, ECONNRESET);
}

// The same for a reset collected early, by another socket's Receive outside
// the loop, before the socket stopped watching: it is kept for the socket,
// and must still wait until the socket asks for FD_CLOSE.
BOOST_DATA_TEST_CASE(AResetCollectedEarlyWaitsForFdClose, data::make(kAllBackends), backend) {
    ResetSocket c(backend);
    c.CollectEarly();
    BOOST_REQUIRE(c.reset.AsyncSelect(0));
    Spin(c.loop);
    BOOST_CHECK_EQUAL(c.reset.counts.close, 0);
    BOOST_REQUIRE(c.reset.AsyncSelect(FD_CLOSE));
    BOOST_CHECK(RunUntil(c.loop, [&] { return c.reset.counts.close >= 1; }));
    Spin(c.loop);
    BOOST_CHECK_EQUAL(c.reset.counts.close, 1);
    BOOST_CHECK_EQUAL(c.reset.closeError, ECONNRESET);
}

// A socket whose peer has shut down its side is watched for writing by a
// poll that fires on wake-ups only (io_uring reports POLLRDHUP to every poll
// from then on). Room to write that was reaped early and not yet dispatched
// must survive the socket's next change of what it watches: no later
// wake-up would bring it back, and OnSend would never come.
BOOST_DATA_TEST_CASE(RoomToWriteCollectedEarlySurvivesAnInterestChangeAfterTheFin,
                     data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    CompleteOutsideTheLoop(loop);
    Probe listener;
    BOOST_REQUIRE(Listen(listener) != 0);
    std::string host;
    unsigned port = 0;
    BOOST_REQUIRE(listener.GetSockName(host, port));
    Probe writer;
    BOOST_REQUIRE(writer.Create(0, SOCK_STREAM, FD_WRITE | FD_CONNECT));
    int small = 4096;
    BOOST_REQUIRE(writer.SetSockOpt(SO_SNDBUF, &small, sizeof small));
    writer.Connect("127.0.0.1", port);
    Descriptor peer(AcceptRaw(loop, listener));
    BOOST_REQUIRE(::setsockopt(peer.Get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return writer.counts.send == 1; }));
    const std::size_t queued = FillSendBuffer(writer);
    Spin(loop, 3);  // watched for writing
    BOOST_REQUIRE(::shutdown(peer.Get(), SHUT_WR) == 0);
    Spin(loop, 3);  // the FIN reaches the poll
    Probe otherListener, otherClient, other;
    ConnectPair(loop, otherListener, otherClient, other);
    Spin(loop, 3);

    // The peer takes everything: room to write, with no wake-up after it.
    std::size_t drained = 0;
    char buffer[65536];
    while (drained < queued) {
        AwaitReady(peer.Get(), POLLIN);
        ssize_t n = ::recv(peer.Get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            drained += static_cast<std::size_t>(n);
        }
    }
    BOOST_REQUIRE_EQUAL(otherClient.Send("x", 1), 1);
    BOOST_REQUIRE(PollsReadable(static_cast<int>(other.Handle()), kDeadline));
    char byte = 0;
    BOOST_REQUIRE_EQUAL(other.Receive(&byte, 1), 1);  // outside any iteration
    BOOST_REQUIRE(writer.AsyncSelect(FD_WRITE | FD_READ));
    BOOST_CHECK(RunUntil(loop, [&] { return writer.counts.send == 2; }));
}

// Readiness reaped early (here: by another socket's Receive, while data for
// this one had just come) is one notification, not two: the backend does not
// look at the socket again before the loop has delivered what it found, or
// it would see the same unread byte and report it twice, and the second
// OnReceive would find nothing.
BOOST_DATA_TEST_CASE(ReadinessCollectedEarlyIsNotifiedOnce, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    CompleteOutsideTheLoop(loop);
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    Probe otherListener, otherClient, other;
    ConnectPair(loop, otherListener, otherClient, other);
    Spin(loop, 3);  // both server sockets are watched for reading
    int emptyReceives = 0;
    int otherBytes = 0;
    other.onReceive = [&](Probe& self) {
        char byte = 0;
        if (self.Receive(&byte, 1) == 1) {
            ++otherBytes;
        } else if (self.GetLastError() == EWOULDBLOCK) {
            ++emptyReceives;
        }
    };
    server.onReceive = [&](Probe& self) {
        BOOST_REQUIRE_EQUAL(otherClient.Send("y", 1), 1);  // lands while this dispatch runs
        char byte = 0;
        BOOST_REQUIRE_EQUAL(self.Receive(&byte, 1), 1);
    };
    BOOST_REQUIRE_EQUAL(client.Send("x", 1), 1);
    BOOST_REQUIRE(RunUntil(loop, [&] { return otherBytes == 1; }));
    Spin(loop, 3);
    BOOST_CHECK_EQUAL(other.counts.receive, 1);
    BOOST_CHECK_EQUAL(emptyReceives, 0);
}

// Once the peer has shut down its side and OnClose came, the socket is still
// watched (for urgent data), and a loop with nothing to do waits: io_uring
// reports POLLRDHUP to every poll, which must not make each wait return at once.
BOOST_DATA_TEST_CASE(AHalfClosedSocketLetsTheLoopWait,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server, "127.0.0.1", events);
    BOOST_REQUIRE(client.ShutDown(AsyncSocket::sends));
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    Spin(loop);
    constexpr int kWaits = 5;
    constexpr auto kWait = 40ms;
    const auto start = std::chrono::steady_clock::now();
    std::size_t ran = 0;
    for (int i = 0; i < kWaits; ++i) {
        ran += loop.RunOnce(kWait);
    }
    BOOST_CHECK_EQUAL(ran, 0u);
    BOOST_CHECK(std::chrono::steady_clock::now() - start >= kWaits * kWait);
}

// Close and an abortive close reach the peer at once, though the backend was
// watching the socket: nothing (an armed poll) keeps the socket open until
// the loop runs again.
BOOST_DATA_TEST_CASE(CloseReachesThePeerWithoutAnotherIteration,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    SocketLoop loop({backend});
    for (bool abortive : {false, true}) {
        BOOST_TEST_CONTEXT("abortive " << abortive) {
            Probe listener, server;
            unsigned port = Listen(listener, "127.0.0.1", events);
            RawSocket peer;
            peer.Connect(port);
            AcceptNext(loop, listener, server);
            Spin(loop, 3);  // the server socket is watched for reading
            if (abortive) {
                BOOST_REQUIRE(server.SetLinger(true, 0));
            }
            server.Close();
            // No loop iteration from here on.
            BOOST_REQUIRE(PollsReadable(peer.Fd(), kDeadline));
            char byte = 0;
            ssize_t n = ::recv(peer.Fd(), &byte, 1, MSG_DONTWAIT);
            if (abortive) {
                BOOST_CHECK_EQUAL(n, -1);
                BOOST_CHECK_EQUAL(errno, ECONNRESET);
            } else {
                BOOST_CHECK_EQUAL(n, 0);
            }
        }
    }
}

// A host loop sleeping on NativeHandle() hears of socket readiness, and of
// nothing while the socket has not asked again (one OnReceive per Receive).
BOOST_DATA_TEST_CASE(NativeHandleWakesAHostLoopForSockets,
                     data::make(WithUring({SocketLoop::Backend::Epoll})), backend) {
    SocketLoop loop({backend});
    int handle = loop.NativeHandle();
    BOOST_REQUIRE(handle >= 0);
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    while (loop.RunOnce(0ms) > 0) {
    }
    BOOST_CHECK(!PollsReadable(handle, 0ms));

    BOOST_REQUIRE_EQUAL(client.Send("a", 1), 1);
    BOOST_REQUIRE(PollsReadable(handle, kDeadline));
    loop.RunOnce(0ms);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);
    BOOST_CHECK(!PollsReadable(handle, 0ms));  // OnReceive is not re-armed yet

    // More data while OnReceive waits for a Receive is no notification. (On
    // uring the handle may wake once for it: the kernel completes the poll for
    // urgent data on any arrival, and only the next poll tells them apart.)
    BOOST_REQUIRE_EQUAL(client.Send("b", 1), 1);
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 0u);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);
    BOOST_CHECK(!PollsReadable(handle, 0ms));
    char bytes[2] = {};
    BOOST_CHECK_EQUAL(server.Receive(bytes, 1), 1);  // re-arms, outside any iteration
    BOOST_REQUIRE(PollsReadable(handle, kDeadline));
    loop.RunOnce(0ms);
    BOOST_CHECK_EQUAL(server.counts.receive, 2);
}

// A host loop may attach after sockets are already watched (the io_uring
// backend then moves to another ring): what they were waiting for still
// wakes it, and what had arrived but was not delivered yet is not lost.
BOOST_DATA_TEST_CASE(NativeHandleAskedForLateStillWakesForEverySocket,
                     data::make(WithUring({SocketLoop::Backend::Epoll})), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server, otherListener, otherClient, other;
    ConnectPair(loop, listener, client, server);
    ConnectPair(loop, otherListener, otherClient, other);
    Spin(loop, 3);  // both watched for reading
    BOOST_REQUIRE_EQUAL(otherClient.Send("y", 1), 1);
    BOOST_REQUIRE(PollsReadable(static_cast<int>(other.Handle()), kDeadline));
    int handle = loop.NativeHandle();
    BOOST_REQUIRE(handle >= 0);
    BOOST_REQUIRE(PollsReadable(handle, kDeadline));  // the byte for `other`
    BOOST_CHECK(RunUntil(loop, [&] { return other.counts.receive == 1; }));
    while (loop.RunOnce(0ms) > 0) {
    }
    BOOST_CHECK(!PollsReadable(handle, 0ms));

    BOOST_REQUIRE_EQUAL(client.Send("x", 1), 1);
    BOOST_REQUIRE(PollsReadable(handle, kDeadline));
    loop.RunOnce(0ms);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);
}

BOOST_AUTO_TEST_SUITE_END()
