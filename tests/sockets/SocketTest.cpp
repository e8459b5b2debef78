// The blocking Socket (CSocket): calls that wait while the thread's loop keeps
// pumping, cancellation, deadlines; on every backend.
#include <xsock/Socket.h>

#include "BlockingSupport.h"
#include "Fixtures.h"
#include "TestSupport.h"

#include <xsock/Descriptor.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;
using std::chrono::milliseconds;

namespace {

// A Socket that counts the loop's wake-ups while it waits and can act there.
class PumpedSocket : public Socket {
  public:
    int pending = 0;
    std::function<void(PumpedSocket&)> onPending;

  protected:
    int OnMessagePending() override {
        ++pending;
        if (onPending) {
            onPending(*this);
        }
        return 0;
    }
};

unsigned ListenBlocking(Socket& listener) {
    unsigned port = TryListen(listener);
    BOOST_REQUIRE_MESSAGE(port != 0, "listen: " << AsyncSocket::GetLastErrorCode().message());
    return port;
}

void BlockingPair(Socket& listener, Socket& client, Socket& server) {
    BOOST_REQUIRE_MESSAGE(TryPair(listener, client, server),
                          "pair: " << AsyncSocket::GetLastErrorCode().message());
}

std::uint64_t Mix(std::uint64_t hash, const char* bytes, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        hash = (hash ^ static_cast<unsigned char>(bytes[i])) * 1099511628211ull;
    }
    return hash;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(BlockingSocket)

BOOST_DATA_TEST_CASE(EchoBetweenThreads, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    std::promise<unsigned> port;
    std::thread echo([&port, backend] {
        SocketLoop serverLoop({backend});
        Socket listener, connection;
        port.set_value(TryListen(listener));
        if (!listener.Accept(connection)) {
            return;
        }
        char buffer[1024];
        int n;
        while ((n = connection.Receive(buffer, sizeof buffer)) > 0) {
            if (connection.Send(buffer, n) != n) {
                return;
            }
        }
    });
    unsigned serverPort = port.get_future().get();
    BOOST_REQUIRE(serverPort != 0);
    Socket client;
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(client.Connect("127.0.0.1", serverPort));
    for (int round = 0; round < 200; ++round) {
        std::string message = "message number " + std::to_string(round);
        BOOST_REQUIRE_EQUAL(client.Send(message.data(), static_cast<int>(message.size())),
                            static_cast<int>(message.size()));
        std::string back;
        char buffer[64];
        while (back.size() < message.size()) {
            int n = client.Receive(buffer, sizeof buffer);
            BOOST_REQUIRE(n > 0);
            back.append(buffer, static_cast<std::size_t>(n));
        }
        BOOST_REQUIRE_EQUAL(back, message);
    }
    client.Close();
    echo.join();
}

namespace {

// A blocking Send of `total` bytes (made in a task the loop runs, or not)
// to a reader on a thread of its own that reads in small pieces, so the
// writer waits on a full window: every byte arrives once, in order.
void SendToASlowReader(SocketLoop& loop, SocketLoop::Backend backend, std::size_t total,
                       bool fromATask) {
    std::string payload(total, '\0');
    for (std::size_t i = 0; i < total; ++i) {
        payload[i] = static_cast<char>((i * 2654435761u) >> 13);
    }
    std::uint64_t expected = Mix(14695981039346656037ull, payload.data(), payload.size());

    std::promise<unsigned> port;
    std::size_t received = 0;
    std::uint64_t hash = 14695981039346656037ull;
    std::thread reader([&, backend] {
        SocketLoop readerLoop({backend});
        Socket listener, connection;
        port.set_value(TryListen(listener));
        if (!listener.Accept(connection)) {
            return;
        }
        char buffer[4096];  // small reads: the writer must wait on a full window
        int n;
        while ((n = connection.Receive(buffer, sizeof buffer)) > 0) {
            hash = Mix(hash, buffer, static_cast<std::size_t>(n));
            received += static_cast<std::size_t>(n);
        }
    });
    unsigned readerPort = port.get_future().get();
    BOOST_REQUIRE(readerPort != 0);
    Socket writer;
    BOOST_REQUIRE(writer.Create());
    BOOST_REQUIRE(writer.Connect("127.0.0.1", readerPort));
    int sent = 0;
    bool done = false;
    auto send = [&] {
        sent = writer.Send(payload.data(), static_cast<int>(payload.size()));
        writer.Close();
        done = true;
    };
    if (fromATask) {
        loop.Post(send);
        BOOST_CHECK(RunUntil(loop, [&] { return done; }));
    } else {
        send();
    }
    reader.join();
    BOOST_CHECK_EQUAL(sent, static_cast<int>(total));
    BOOST_CHECK_EQUAL(received, total);
    BOOST_CHECK_EQUAL(hash, expected);
}

}  // namespace

BOOST_DATA_TEST_CASE(SendOf64MiBReachesASlowReaderIntact, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    SendToASlowReader(loop, backend, std::size_t{64} << 20, false);
}

// The same from inside a loop iteration (a posted task), where the io_uring
// backend takes sends for the iteration's end and keeps what the kernel had
// no room for: the blocking Send waits on those bytes, and every byte
// arrives once, in order.
BOOST_DATA_TEST_CASE(SendFromInsideAnIterationReachesASlowReaderIntact, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    SendToASlowReader(loop, backend, std::size_t{16} << 20, true);
}

BOOST_DATA_TEST_CASE(ReceiveReturnsWhatIsAvailable, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener, client, server;
    BlockingPair(listener, client, server);
    BOOST_REQUIRE_EQUAL(client.Send("abc", 3), 3);
    char buffer[100];
    int n = server.Receive(buffer, sizeof buffer);
    BOOST_REQUIRE(n >= 1);
    std::string got(buffer, static_cast<std::size_t>(n));
    while (got.size() < 3) {
        n = server.Receive(buffer, sizeof buffer);
        BOOST_REQUIRE(n >= 1);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    BOOST_CHECK_EQUAL(got, "abc");
    // A smaller buffer than what waits: partial data, the rest stays.
    BOOST_REQUIRE_EQUAL(client.Send("defgh", 5), 5);
    std::string rest;
    while (rest.size() < 5) {
        n = server.Receive(buffer, 2);
        BOOST_REQUIRE(n >= 1 && n <= 2);
        rest.append(buffer, static_cast<std::size_t>(n));
    }
    BOOST_CHECK_EQUAL(rest, "defgh");
}

BOOST_DATA_TEST_CASE(OrderlyCloseWhileBlockedReturnsZero, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener, client;
    PumpedSocket server;
    BlockingPair(listener, client, server);
    // The peer closes only once the Receive is already waiting.
    server.onPending = [&](PumpedSocket&) { client.Close(); };
    char buffer[16];
    BOOST_CHECK_EQUAL(server.Receive(buffer, sizeof buffer), 0);
    BOOST_CHECK(server.pending > 0);
}

BOOST_DATA_TEST_CASE(ResetWhileBlockedFailsWithConnReset, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener, client;
    PumpedSocket server;
    BlockingPair(listener, client, server);
    server.onPending = [&](PumpedSocket&) {
        if (client.Handle() != INVALID_SOCKET) {
            client.SetLinger(true, 0);
            client.Close();
        }
    };
    char buffer[16];
    BOOST_CHECK_EQUAL(server.Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ECONNRESET);
}

BOOST_DATA_TEST_CASE(PumpWhileBlockingRunsTimersInsideTheCall, data::make(kAllBackends), backend) {
    SocketLoop loop({.backend = backend, .pumpWhileBlocking = true});
    Socket listener, client, server;
    BlockingPair(listener, client, server);
    int ticks = 0;
    // The pump runs the timer; the timer makes the data the Receive waits for.
    TimerId timer = loop.SetTimer(
        milliseconds(1),
        [&] {
            if (++ticks == 3) {
                client.Send("tick", 4);
            }
        },
        true);
    std::string got;
    char buffer[16];
    while (got.size() < 4) {
        int n = server.Receive(buffer, sizeof buffer);
        BOOST_REQUIRE(n > 0);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    loop.KillTimer(timer);
    BOOST_CHECK_EQUAL(got, "tick");
    BOOST_CHECK(ticks >= 3);
}

BOOST_DATA_TEST_CASE(PumpWhileBlockingRunsPostedTasksInsideTheCall, data::make(kAllBackends),
                     backend) {
    SocketLoop loop(SocketLoop::Options{.backend = backend});
    loop.SetPumpWhileBlocking(true);
    Socket listener;
    unsigned port = ListenBlocking(listener);
    RawSocket peer;
    loop.Post([&] { peer.Connect(port); });
    Socket server;
    BOOST_REQUIRE(listener.Accept(server));
    std::string address;
    unsigned peerPort = 0;
    BOOST_CHECK(server.GetPeerName(address, peerPort));
    BOOST_CHECK_EQUAL(address, "127.0.0.1");
}

BOOST_DATA_TEST_CASE(OtherSocketsNotificationsWaitUntilTheCallReturns, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    // An AsyncSocket with data already waiting for it.
    Probe asyncListener, asyncClient, asyncServer;
    ConnectPair(loop, asyncListener, asyncClient, asyncServer);
    BOOST_REQUIRE(RunUntil(loop, [&] { return asyncServer.counts.send == 1; }));
    BOOST_REQUIRE_EQUAL(asyncClient.Send("async", 5), 5);

    Socket listener, client;
    PumpedSocket server;
    BlockingPair(listener, client, server);
    int receivesDuringCall = -1;
    server.onPending = [&](PumpedSocket& self) {
        // Several wake-ups pass with the other socket ready, then the data the
        // blocking call waits for arrives.
        if (self.pending == 5) {
            receivesDuringCall = asyncServer.counts.receive;
            client.Send("sync", 4);
        }
    };
    TimerId pulse = loop.SetTimer(
        milliseconds(1), [] {}, true);
    char buffer[16];
    int n = server.Receive(buffer, sizeof buffer);
    loop.KillTimer(pulse);
    BOOST_REQUIRE(n > 0);
    BOOST_CHECK_EQUAL(receivesDuringCall, 0);
    BOOST_CHECK_EQUAL(asyncServer.counts.receive, 0);
    // Delivered once the call has returned, by the next iteration.
    BOOST_REQUIRE(RunUntil(loop, [&] { return asyncServer.counts.receive == 1; }));
    std::string got;
    Drain(asyncServer, got);
    BOOST_CHECK_EQUAL(got, "async");
}

// A socket whose notification was held back during another socket's call
// still waits for its own data in a blocking call of its own, before the held
// notification has been delivered.
BOOST_DATA_TEST_CASE(ASocketHeldBackDuringAnothersCallStillSeesItsOwnWait, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Socket listenerA, clientA, listenerB, clientB;
    PumpedSocket serverA, serverB;
    BlockingPair(listenerA, clientA, serverA);
    BlockingPair(listenerB, clientB, serverB);
    serverA.SetTimeout(std::chrono::seconds(20));
    BOOST_REQUIRE_EQUAL(clientA.Send("one", 3), 3);
    serverB.onPending = [&](PumpedSocket& self) {
        if (self.pending == 2) {
            clientB.Send("b", 1);  // serverA's readiness is held back by now
        }
    };
    char buffer[16];
    BOOST_REQUIRE_EQUAL(serverB.Receive(buffer, sizeof buffer), 1);
    BOOST_REQUIRE_EQUAL(serverA.Receive(buffer, sizeof buffer), 3);
    serverA.onPending = [&](PumpedSocket& self) {
        if (self.pending == 1) {
            clientA.Send("two", 3);
        }
    };
    int n = serverA.Receive(buffer, sizeof buffer);
    BOOST_REQUIRE_MESSAGE(n == 3, "Receive: " << AsyncSocket::GetLastErrorCode().message());
    BOOST_CHECK_EQUAL(std::string(buffer, 3), "two");
}

BOOST_DATA_TEST_CASE(CancelFromATimerFailsWithEintr, data::make(kAllBackends), backend) {
    SocketLoop loop({.backend = backend, .pumpWhileBlocking = true});
    Socket listener, client, server;
    BlockingPair(listener, client, server);
    bool wasBlocking = false;
    loop.SetTimer(
        milliseconds(1),
        [&] {
            wasBlocking = server.IsBlocking();
            server.CancelBlockingCall();
        },
        false);
    char buffer[16];
    BOOST_CHECK_EQUAL(server.Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINTR);
    BOOST_CHECK(wasBlocking);
    BOOST_CHECK(!server.IsBlocking());
    // The socket is still usable.
    BOOST_REQUIRE_EQUAL(client.Send("after", 5), 5);
    std::string got;
    while (got.size() < 5) {
        int n = server.Receive(buffer, sizeof buffer);
        BOOST_REQUIRE(n > 0);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    BOOST_CHECK_EQUAL(got, "after");
}

BOOST_DATA_TEST_CASE(CancelFromOnMessagePending, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener;
    ListenBlocking(listener);
    PumpedSocket waiting;
    BOOST_REQUIRE(waiting.Create(0, SOCK_STREAM, "127.0.0.1"));
    BOOST_REQUIRE(waiting.Listen());
    waiting.onPending = [](PumpedSocket& self) { self.CancelBlockingCall(); };
    loop.Post([] {});  // one wake-up is enough
    Socket never;
    BOOST_CHECK(!waiting.Accept(never));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINTR);
    BOOST_CHECK_EQUAL(waiting.pending, 1);
}

BOOST_DATA_TEST_CASE(CancelFromAnotherThread, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener, client, server;
    BlockingPair(listener, client, server);
    std::thread canceller([&server] {
        while (!server.IsBlocking()) {
            std::this_thread::yield();
        }
        server.CancelBlockingCall();
    });
    char buffer[16];
    int n = server.Receive(buffer, sizeof buffer);
    int error = AsyncSocket::GetLastError();
    canceller.join();
    BOOST_CHECK_EQUAL(n, SOCKET_ERROR);
    BOOST_CHECK_EQUAL(error, EINTR);
}

BOOST_DATA_TEST_CASE(CloseCancelsTheBlockedCall, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener, client;
    PumpedSocket server;
    BlockingPair(listener, client, server);
    server.onPending = [](PumpedSocket& self) { self.Close(); };
    loop.Post([] {});
    char buffer[16];
    BOOST_CHECK_EQUAL(server.Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINTR);
    BOOST_CHECK_EQUAL(server.Handle(), INVALID_SOCKET);
}

BOOST_DATA_TEST_CASE(DestroyedWhileItsCallWaits, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener, client;
    auto* server = new PumpedSocket;
    BlockingPair(listener, client, *server);
    server->onPending = [](PumpedSocket& self) { delete &self; };
    loop.Post([] {});
    char buffer[16];
    BOOST_CHECK_EQUAL(server->Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINTR);
    // The loop goes on working.
    bool ran = false;
    loop.Post([&] { ran = true; });
    BOOST_CHECK(RunUntil(loop, [&] { return ran; }));
}

BOOST_DATA_TEST_CASE(SecondCallOnTheSameSocketFailsWithEinprogress, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Socket listener, client;
    PumpedSocket server;
    BlockingPair(listener, client, server);
    int nestedReceive = 0, nestedSend = 0, nestedErrors = 0;
    server.onPending = [&](PumpedSocket& self) {
        char byte;
        nestedReceive = self.Receive(&byte, 1);
        nestedErrors += AsyncSocket::GetLastError() == EINPROGRESS;
        nestedSend = self.Send("x", 1);
        nestedErrors += AsyncSocket::GetLastError() == EINPROGRESS;
        client.Send("done", 4);
        self.onPending = nullptr;
    };
    loop.Post([] {});
    char buffer[16];
    BOOST_CHECK(server.Receive(buffer, sizeof buffer) > 0);
    BOOST_CHECK_EQUAL(nestedReceive, SOCKET_ERROR);
    BOOST_CHECK_EQUAL(nestedSend, SOCKET_ERROR);
    BOOST_CHECK_EQUAL(nestedErrors, 2);
}

BOOST_DATA_TEST_CASE(ReceiveDeadlineThenRetry, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener, client, server;
    BlockingPair(listener, client, server);
    server.SetTimeout(milliseconds(50));
    BOOST_CHECK_EQUAL(server.GetTimeout(), milliseconds(50));
    char buffer[16];
    BOOST_CHECK_EQUAL(server.Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ETIMEDOUT);
    BOOST_CHECK(!server.IsBlocking());
    server.SetTimeout(milliseconds(0));
    BOOST_REQUIRE_EQUAL(client.Send("late", 4), 4);
    std::string got;
    while (got.size() < 4) {
        int n = server.Receive(buffer, sizeof buffer);
        BOOST_REQUIRE(n > 0);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    BOOST_CHECK_EQUAL(got, "late");
}

BOOST_DATA_TEST_CASE(AcceptDeadline, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener;
    unsigned port = ListenBlocking(listener);
    listener.SetTimeout(milliseconds(30));
    Socket nobody;
    BOOST_CHECK(!listener.Accept(nobody));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ETIMEDOUT);
    RawSocket peer;
    peer.Connect(port);
    Socket somebody;
    BOOST_CHECK(listener.Accept(somebody));
}

BOOST_DATA_TEST_CASE(ConnectDeadlineToAFullBacklogThenRetry, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    // listen(0) queues one connection; the kernel drops the next SYN.
    Probe listener;
    unsigned port = ListenWithBacklog(listener, 0);
    RawSocket first;
    first.Connect(port);

    Socket client;
    BOOST_REQUIRE(client.Create());
    client.SetTimeout(milliseconds(100));
    BOOST_CHECK(!client.Connect("127.0.0.1", port));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ETIMEDOUT);

    // Make room, and the same socket connects.
    Descriptor taken(::accept4(listener.Handle(), nullptr, nullptr, SOCK_CLOEXEC));
    BOOST_REQUIRE(taken.IsOpen());
    client.SetTimeout(milliseconds(0));
    BOOST_CHECK_MESSAGE(client.Connect("127.0.0.1", port),
                        "retry: " << AsyncSocket::GetLastErrorCode().message());
}

BOOST_DATA_TEST_CASE(ConnectRefusedFailsWithoutOnConnect, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    RefusingPort bound;
    unsigned port = bound.Port();
    Socket client;
    BOOST_REQUIRE(client.Create());
    BOOST_CHECK(!client.Connect("127.0.0.1", port));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ECONNREFUSED);
}

BOOST_AUTO_TEST_CASE(SocketsOnSeveralThreadsAtOnce) {
    constexpr int kThreads = 4;
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&good, t] {
            SocketLoop loop({kAllBackends[static_cast<std::size_t>(t) % kAllBackends.size()]});
            Socket listener, client, server;
            if (!TryPair(listener, client, server)) {
                return;
            }
            std::string message(100000, static_cast<char>('a' + t));
            if (client.Send(message.data(), static_cast<int>(message.size())) !=
                static_cast<int>(message.size())) {
                return;
            }
            client.ShutDown();
            std::string got;
            char buffer[8192];
            int n;
            while ((n = server.Receive(buffer, sizeof buffer)) > 0) {
                got.append(buffer, static_cast<std::size_t>(n));
            }
            good += got == message;
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    BOOST_CHECK_EQUAL(good.load(), kThreads);
}

BOOST_AUTO_TEST_SUITE_END()

// CHATTER's case (SPEC 4): a GUI timer that sends on the socket a blocking
// Receive waits on. MFC's pump leaves WM_TIMER in the queue, so the timer runs
// after the Receive, and its Send works; run inside the call, the Send would
// meet the socket busy (EINPROGRESS) instead.
BOOST_DATA_TEST_CASE(TimersAndTasksWaitUntilTheBlockingCallReturns, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Socket listener, client;
    PumpedSocket server;
    BlockingPair(listener, client, server);
    server.SetTimeout(kDeadline);  // a broken pump fails the Receive instead of hanging
    std::vector<std::string> order;
    int sent = 0;
    Socket& same = server;
    loop.SetTimer(
        milliseconds(0),
        [&] {
            order.emplace_back("timer");
            sent = same.Send("auto", 4);
        },
        false);
    loop.Post([&] { order.emplace_back("first task"); });
    loop.Post([&] { order.emplace_back("second task"); });
    server.onPending = [&](PumpedSocket& self) {
        // Several wake-ups with the timer due and the tasks queued; nothing
        // of theirs runs while the call waits. Then the data comes.
        if (self.pending == 3) {
            order.emplace_back("data");
            client.Send("sync", 4);
        }
    };
    char buffer[16];
    int n = server.Receive(buffer, sizeof buffer);
    order.emplace_back("returned");
    BOOST_REQUIRE(n > 0);
    BOOST_CHECK_GE(server.pending, 3);
    BOOST_REQUIRE_EQUAL(order.size(), 2u);
    // The next iteration runs them, timers first, then tasks in posted order.
    BOOST_REQUIRE(RunUntil(loop, [&] { return order.size() == 5; }));
    const std::vector<std::string> expected = {"data", "returned", "timer", "first task",
                                               "second task"};
    BOOST_CHECK_EQUAL_COLLECTIONS(order.begin(), order.end(), expected.begin(), expected.end());
    BOOST_CHECK_EQUAL(sent, 4);
    std::string got;
    while (got.size() < 4) {
        n = client.Receive(buffer, sizeof buffer);
        BOOST_REQUIRE(n > 0);
        got.append(buffer, static_cast<std::size_t>(n));
    }
    BOOST_CHECK_EQUAL(got, "auto");
}

// Nothing wakes the loop while the call waits, yet OnMessagePending keeps
// coming (MFC's pump dispatches WM_PAINT): the data is sent from its third call.
BOOST_DATA_TEST_CASE(OnMessagePendingRunsWithNothingToWakeTheLoop, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Socket listener, client;
    PumpedSocket server;
    BlockingPair(listener, client, server);
    server.SetTimeout(kDeadline);  // a broken pump fails the Receive instead of hanging
    server.onPending = [&](PumpedSocket& self) {
        if (self.pending == 3) {
            client.Send("late", 4);
        }
    };
    char buffer[16];
    BOOST_CHECK(server.Receive(buffer, sizeof buffer) > 0);
    BOOST_CHECK_GE(server.pending, 3);
}

// The loop's blocking pump (where a toolkit repaints) runs from the default
// OnMessagePending while a call waits, with the loop's own tasks still held
// back; an override that does not call the base leaves it out, as in MFC.
BOOST_DATA_TEST_CASE(TheBlockingPumpRunsFromTheDefaultOnMessagePending, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Socket listener, client, server;
    BlockingPair(listener, client, server);
    server.SetTimeout(kDeadline);
    int pumped = 0;
    bool taskRan = false, taskRanInPump = false;
    loop.Post([&] { taskRan = true; });
    loop.SetBlockingPump([&] {
        taskRanInPump = taskRanInPump || taskRan;
        if (++pumped == 3) {
            client.Send("late", 4);
        }
    });
    char buffer[16];
    BOOST_CHECK(server.Receive(buffer, sizeof buffer) > 0);
    BOOST_CHECK_GE(pumped, 3);
    BOOST_CHECK(!taskRanInPump);

    PumpedSocket overridden;
    BOOST_REQUIRE(overridden.Attach(server.Detach()));
    overridden.SetTimeout(milliseconds(350));
    int before = pumped;
    BOOST_CHECK_EQUAL(overridden.Receive(buffer, sizeof buffer), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ETIMEDOUT);
    BOOST_CHECK_GE(overridden.pending, 3);
    BOOST_CHECK_EQUAL(pumped, before);
    loop.SetBlockingPump(nullptr);
}
