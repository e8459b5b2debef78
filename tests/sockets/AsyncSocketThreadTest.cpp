// Thread affinity (SPEC sections 2 and 7): a socket used from a thread that
// does not own it fails with EPERM and changes nothing, and sockets on
// different threads, each with its own loop, work side by side. Boost.Test is
// not thread-safe, so other threads only record what they saw; the main
// thread checks it after joining them.
#include "TestSupport.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// The index of the first byte that differs, or npos if the strings are equal.
std::size_t FirstDifference(const std::string& a, const std::string& b) {
    auto [left, right] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    if (left == a.end() && right == b.end()) {
        return std::string::npos;
    }
    return static_cast<std::size_t>(left - a.begin());
}

// A pattern with no short period, so a lost, doubled or reordered block shows.
std::string Pattern(std::size_t size, unsigned seed) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<char>(((i % 251) ^ (i >> 8) ^ seed) & 0xff);
    }
    return bytes;
}

// One end of a two-way transfer: sends `outgoing` as fast as the socket takes
// it, then shuts down its sending side, and collects what arrives until the
// peer's orderly close. Runs entirely on the thread that owns the socket.
struct Side {
    std::string outgoing;
    std::string incoming;
    std::size_t sent = 0;
    bool shutDown = false;
    int closeError = -1;
    int wouldBlocks = 0;
    std::string failure;  // the first thing that went wrong, if anything

    void Fail(const std::string& what, int error) {
        if (failure.empty()) {
            failure = what + ": " + std::generic_category().message(error);
        }
    }

    bool Done() const { return !failure.empty() || (shutDown && closeError >= 0); }

    void Attach(Probe& socket) {
        socket.onConnect = [this](Probe& self) {
            if (self.connectError != 0) {
                Fail("OnConnect", self.connectError);
            }
        };
        socket.onSend = [this](Probe& self) { Pump(self); };
        socket.onReceive = [this](Probe& self) { Collect(self); };
        socket.onClose = [this](Probe& self) {
            Collect(self);
            closeError = self.closeError;
        };
    }

    void Pump(AsyncSocket& socket) {
        while (sent < outgoing.size()) {
            int chunk = static_cast<int>(std::min<std::size_t>(outgoing.size() - sent, 65536));
            int n = socket.Send(outgoing.data() + sent, chunk);
            if (n == SOCKET_ERROR) {
                if (AsyncSocket::GetLastError() == EWOULDBLOCK) {
                    ++wouldBlocks;
                    return;  // OnSend follows once there is room
                }
                Fail("Send", AsyncSocket::GetLastError());
                return;
            }
            sent += static_cast<std::size_t>(n);
        }
        if (!shutDown) {
            if (!socket.ShutDown(AsyncSocket::sends)) {
                Fail("ShutDown", AsyncSocket::GetLastError());
            }
            shutDown = true;
        }
    }

    void Collect(AsyncSocket& socket) {
        char buffer[65536];
        for (;;) {
            int n = socket.Receive(buffer, sizeof buffer);
            if (n > 0) {
                incoming.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n == SOCKET_ERROR && AsyncSocket::GetLastError() != EWOULDBLOCK) {
                Fail("Receive", AsyncSocket::GetLastError());
            }
            return;
        }
    }
};

void RunListeningSide(SocketLoop::Backend backend, Side& side, std::promise<unsigned>& port) {
    bool portGiven = false;
    try {
        SocketLoop loop({backend});
        Probe listener, server;
        side.Attach(server);
        listener.onAccept = [&](Probe& self) {
            if (!self.Accept(server)) {
                side.Fail("Accept", AsyncSocket::GetLastError());
            }
        };
        std::string host;
        unsigned number = 0;
        if (!listener.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1") || !listener.Listen() ||
            !listener.GetSockName(host, number)) {
            side.Fail("listening", AsyncSocket::GetLastError());
            number = 0;
        }
        port.set_value(number);
        portGiven = true;
        if (number != 0 && !loop.RunUntil([&] { return side.Done(); }, kDeadline)) {
            side.Fail("waiting for the transfer", ETIMEDOUT);
        }
    } catch (const std::exception& error) {
        side.failure = std::string("exception: ") + error.what();
    }
    if (!portGiven) {
        port.set_value(0);
    }
}

void RunConnectingSide(SocketLoop::Backend backend, Side& side, std::future<unsigned> port) {
    try {
        unsigned number = port.get();
        if (number == 0) {
            side.Fail("no port to connect to", ENOTCONN);
            return;
        }
        SocketLoop loop({backend});
        Probe client;
        side.Attach(client);
        if (!client.Create()) {
            side.Fail("Create", AsyncSocket::GetLastError());
            return;
        }
        if (!client.Connect("127.0.0.1", number) && AsyncSocket::GetLastError() != EWOULDBLOCK) {
            side.Fail("Connect", AsyncSocket::GetLastError());
            return;
        }
        if (!loop.RunUntil([&] { return side.Done(); }, kDeadline)) {
            side.Fail("waiting for the transfer", ETIMEDOUT);
        }
    } catch (const std::exception& error) {
        side.failure = std::string("exception: ") + error.what();
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(AsyncSocketThread)

// MFC programs read a connection's peer address from worker threads: the
// queries that only read the kernel's state work from any thread (SPEC 2).
BOOST_DATA_TEST_CASE(ReadOnlyQueriesWorkFromAnyThread, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    BOOST_REQUIRE_EQUAL(server.Send("hello", 5), 5);
    AwaitReady(client.Handle(), POLLIN);
    SocketAddress ownerPeer, ownerName;
    BOOST_REQUIRE(client.GetPeerName(ownerPeer));
    BOOST_REQUIRE(client.GetSockName(ownerName));

    struct Answers {
        bool peer = false, name = false, peerText = false, option = false, waiting = false,
             mark = false;
        SocketAddress peerAddress, nameAddress;
        std::string host;
        unsigned port = 0;
        int type = 0;
        unsigned long available = 0, atMark = 0;
        SOCKET handle = INVALID_SOCKET;
    } answers;
    std::thread worker([&] {
        answers.handle = client.Handle();
        answers.peer = client.GetPeerName(answers.peerAddress);
        answers.name = client.GetSockName(answers.nameAddress);
        answers.peerText = client.GetPeerName(answers.host, answers.port);
        int length = sizeof answers.type;
        answers.option = client.GetSockOpt(SO_TYPE, &answers.type, &length);
        answers.waiting = client.IOCtl(FIONREAD, &answers.available);
        answers.mark = client.IOCtl(SIOCATMARK, &answers.atMark);
    });
    worker.join();
    BOOST_CHECK_EQUAL(answers.handle, client.Handle());
    BOOST_REQUIRE(answers.peer);
    BOOST_CHECK_EQUAL(answers.peerAddress.ToString(), ownerPeer.ToString());
    BOOST_REQUIRE(answers.name);
    BOOST_CHECK_EQUAL(answers.nameAddress.ToString(), ownerName.ToString());
    BOOST_REQUIRE(answers.peerText);
    BOOST_CHECK_EQUAL(answers.host, "127.0.0.1");
    BOOST_CHECK_EQUAL(answers.port, ownerPeer.Port());
    BOOST_REQUIRE(answers.option);
    BOOST_CHECK_EQUAL(answers.type, SOCK_STREAM);
    BOOST_REQUIRE(answers.waiting);
    BOOST_CHECK_EQUAL(answers.available, 5u);
    BOOST_CHECK(answers.mark);
    BOOST_CHECK_EQUAL(answers.atMark, 0u);
}

BOOST_DATA_TEST_CASE(CallsFromAnotherThreadFailWithEpermAndChangeNothing, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    const SOCKET clientFd = client.Handle();
    const SOCKET listenerFd = listener.Handle();
    const unsigned port = [&] {
        SocketAddress local;
        BOOST_REQUIRE(listener.GetSockName(local));
        return local.Port();
    }();
    // A connection waiting in the backlog: a wrong-thread Accept must leave it there.
    RawSocket waiting;
    waiting.Connect(port);

    AsyncSocket unopened;
    BOOST_REQUIRE_EQUAL(unopened.Send("x", 1), SOCKET_ERROR);
    BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);

    // The other thread makes its calls while this one keeps running the loop.
    struct Attempt {
        std::string call;
        bool refused;  // the call reported failure (or, for Close, left the socket open)
        int error;     // GetLastError() on the calling thread right after it
    };
    std::vector<Attempt> attempts;
    bool otherDone = false;
    bool hiddenFromOther = false;
    std::thread other([&] {
        AsyncSocket resetter;  // never opened: a call on it sets ENOTSOCK
        AsyncSocket fresh;     // never opened: a target for Accept and Attach
        auto attempt = [&](const char* call, const std::function<bool()>& refused) {
            resetter.Send(nullptr, 0);
            bool result = refused();
            attempts.push_back({call, result, AsyncSocket::GetLastError()});
        };
        char buffer[16] = {};
        unsigned long argument = 0;
        int value = 1;
        SocketAddress address;
        SocketAddress target = SocketAddress::Loopback(AF_INET, port);

        attempt("Send", [&] { return client.Send("x", 1) == SOCKET_ERROR; });
        attempt("Receive", [&] { return client.Receive(buffer, sizeof buffer) == SOCKET_ERROR; });
        attempt("SendTo", [&] { return client.SendTo("x", 1, target) == SOCKET_ERROR; });
        attempt("ReceiveFrom",
                [&] { return client.ReceiveFrom(buffer, sizeof buffer, address) == SOCKET_ERROR; });
        attempt("ShutDown", [&] { return !client.ShutDown(AsyncSocket::both); });
        attempt("AsyncSelect", [&] { return !client.AsyncSelect(0); });
        attempt("IOCtl(FIONBIO)", [&] { return !client.IOCtl(FIONBIO, &argument); });
        attempt("SetSockOpt",
                [&] { return !client.SetSockOpt(SO_KEEPALIVE, &value, sizeof value); });
        attempt("SetNoDelay", [&] { return !client.SetNoDelay(true); });
        attempt("Bind", [&] { return !client.Bind(0); });
        attempt("Connect(host)", [&] { return !client.Connect("127.0.0.1", port); });
        attempt("Connect(address)", [&] { return !client.Connect(target); });
        attempt("Listen(client)", [&] { return !client.Listen(); });
        attempt("Socket", [&] { return !client.Socket(); });
        attempt("Create", [&] { return !client.Create(); });
        attempt("Attach", [&] { return !client.Attach(clientFd); });
        attempt("Detach", [&] { return client.Detach() == INVALID_SOCKET; });
        attempt("Close(client)", [&] {
            client.Close();
            return client.Handle() == clientFd;
        });
        attempt("Listen(listener)", [&] { return !listener.Listen(); });
        attempt("Accept", [&] { return !listener.Accept(fresh); });
        attempt("Close(listener)", [&] {
            listener.Close();
            return listener.Handle() == listenerFd;
        });
        // Handle maps are per thread: this thread does not see the sockets at all.
        hiddenFromOther = AsyncSocket::FromHandle(clientFd) == nullptr &&
                          AsyncSocket::FromHandle(listenerFd) == nullptr;
        loop.Post([&] { otherDone = true; });
    });
    BOOST_CHECK(RunUntil(loop, [&] { return otherDone; }));
    other.join();

    for (const Attempt& attempt : attempts) {
        BOOST_TEST_CONTEXT(attempt.call) {
            BOOST_CHECK(attempt.refused);
            BOOST_CHECK_EQUAL(attempt.error, EPERM);
        }
    }
    BOOST_CHECK_EQUAL(attempts.size(), 21u);
    BOOST_CHECK(hiddenFromOther);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);  // this thread's slot is its own

    // Nothing changed: same descriptors, still open, same loop and events.
    BOOST_CHECK_EQUAL(client.Handle(), clientFd);
    BOOST_CHECK(::fcntl(clientFd, F_GETFD) != -1);
    BOOST_CHECK(client.Loop() == &loop);
    BOOST_CHECK(AsyncSocket::FromHandle(clientFd) == &client);
    BOOST_CHECK_EQUAL(client.SelectedEvents(), FD_ALL);
    BOOST_CHECK_EQUAL(listener.Handle(), listenerFd);
    int keepAlive = -1;
    int length = sizeof keepAlive;
    BOOST_REQUIRE(client.GetSockOpt(SO_KEEPALIVE, &keepAlive, &length));
    BOOST_CHECK_EQUAL(keepAlive, 0);

    // The owner still uses them normally: data both ways, notifications included.
    BOOST_REQUIRE_EQUAL(client.Send("ping", 4), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive >= 1; }));
    std::string got;
    BOOST_CHECK(Drain(server, got));
    BOOST_CHECK_EQUAL(got, "ping");
    BOOST_REQUIRE_EQUAL(server.Send("pong", 4), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive >= 1; }));
    got.clear();
    BOOST_CHECK(Drain(client, got));
    BOOST_CHECK_EQUAL(got, "pong");

    // The waiting connection is still in the backlog.
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept >= 2; }));
    Probe third;
    SocketAddress peer;
    BOOST_REQUIRE(listener.Accept(third, &peer));
    SocketAddress waitingLocal;
    socklen_t waitingLength = SocketAddress::Capacity();
    BOOST_REQUIRE(::getsockname(waiting.Fd(), waitingLocal.Native(), &waitingLength) == 0);
    waitingLocal.SetNativeLength(waitingLength);
    BOOST_CHECK_EQUAL(peer.ToString(), waitingLocal.ToString());
}

BOOST_DATA_TEST_CASE(TwoThreadsWithTheirOwnLoopsExchangeData, data::make(kAllBackends), backend) {
    constexpr std::size_t kBytes = 1 << 20;
    Side listening, connecting;
    listening.outgoing = Pattern(kBytes, 0x5a);
    connecting.outgoing = Pattern(kBytes, 0xa5);
    BOOST_REQUIRE(listening.outgoing != connecting.outgoing);

    std::promise<unsigned> port;
    std::future<unsigned> portFuture = port.get_future();
    std::thread first(RunListeningSide, backend, std::ref(listening), std::ref(port));
    std::thread second(RunConnectingSide, backend, std::ref(connecting), std::move(portFuture));
    first.join();
    second.join();

    for (const Side* side : {&listening, &connecting}) {
        BOOST_TEST_CONTEXT((side == &listening ? "listening side" : "connecting side")) {
            BOOST_CHECK_MESSAGE(side->failure.empty(), side->failure);
            BOOST_CHECK_EQUAL(side->sent, kBytes);
            BOOST_CHECK(side->shutDown);
            BOOST_CHECK_EQUAL(side->closeError, 0);
        }
    }
    BOOST_CHECK_EQUAL(listening.incoming.size(), kBytes);
    BOOST_CHECK_EQUAL(connecting.incoming.size(), kBytes);
    BOOST_CHECK_EQUAL(FirstDifference(listening.incoming, connecting.outgoing), std::string::npos);
    BOOST_CHECK_EQUAL(FirstDifference(connecting.incoming, listening.outgoing), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
