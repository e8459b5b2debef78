// Attach, Detach and FromHandle (SPEC sections 2 and 3): handle maps are per
// thread as in MFC, a detached descriptor stays open and unwatched, an
// attached one gets the notifications its state calls for, bad handles are
// refused, and MFC's way of serving connections from worker threads works:
// accept on one thread, Detach, pass the handle, Attach on the worker.
//
// This file also runs under ThreadSanitizer: threads share only what thread
// start and join, a std::latch or SocketLoop::Post hand over, and only the
// test's own thread makes Boost.Test assertions.
#include "TestSupport.h"

#include <xsock/Descriptor.h>
#include <xsock/SendQueue.h>

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

constexpr int kClients = 64;
constexpr int kWorkers = 4;
constexpr std::size_t kPayload = std::size_t{64} * 1024;

bool IsOpen(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

bool IsNonBlocking(int fd) {
    return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

// Waits, without running the loop, until `fd` has something to read.
bool WaitReadable(int fd) {
    pollfd watch{fd, POLLIN, 0};
    return ::poll(&watch, 1, static_cast<int>(kDeadline.count())) == 1;
}

// A connection from `peer` to a new listener, accepted as a plain blocking
// descriptor that no AsyncSocket has seen.
int AcceptedDescriptor(SocketLoop& loop, Probe& listener, RawSocket& peer) {
    peer.Connect(Listen(listener));
    return AcceptRaw(loop, listener);
}

// A distinct payload per client, so a connection served on the wrong
// descriptor or with bytes out of order shows.
std::string Payload(int client) {
    std::string bytes(kPayload, '\0');
    std::uint32_t state = 2463534242u + static_cast<std::uint32_t>(client) * 2654435761u;
    for (char& byte : bytes) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        byte = static_cast<char>(state);
    }
    return bytes;
}

}  // namespace

// The worker pool's pieces have a named namespace: the test's lambdas capture
// them, and a closure type may not use the anonymous namespace.
namespace pool {

// Echoes what it receives; what Send cannot take waits in a SendQueue for OnSend.
class EchoConnection : public AsyncSocket {
  public:
    std::function<void(EchoConnection*)> onClosed;

  protected:
    // A Send that fails with anything but EWOULDBLOCK ends in OnClose.
    void OnReceive(int) override {
        char buffer[16384];
        int n = Receive(buffer, sizeof buffer);
        if (n > 0) {
            queue_.Write(*this, buffer, static_cast<std::size_t>(n));
        }
    }
    void OnSend(int) override { queue_.Flush(*this); }
    void OnClose(int) override { onClosed(this); }

  private:
    SendQueue queue_;
};

// A thread with its own loop that serves the connections handed to it.
class Worker {
  public:
    // Read on the test's thread once Join has returned.
    int attached = 0;
    int attachFailures = 0;
    int wrongOwner = 0;
    int closed = 0;

    Worker(SocketLoop::Backend backend, SocketLoop& reportTo, int& closedTotal)
        : backend_(backend), reportTo_(reportTo), closedTotal_(closedTotal) {}
    ~Worker() {
        if (thread_.joinable()) {
            Stop();
            Join();
        }
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void Start(std::latch& ready) {
        thread_ = std::thread([this, &ready] {
            SocketLoop loop({backend_});
            loop_ = &loop;
            ready.count_down();
            loop.Run();
            connections_.clear();  // on this thread, which owns them
        });
    }
    // Thread-safe once the ready latch has opened: the handle travels as a
    // posted task, MFC's PostThreadMessage.
    void Adopt(SOCKET handle) {
        loop_->Post([this, handle] { Serve(handle); });
    }
    void Stop() { loop_->Quit(); }
    void Join() { thread_.join(); }

  private:
    void Serve(SOCKET handle) {
        auto connection = std::make_unique<EchoConnection>();
        Descriptor unattached(handle);  // closed unless the connection takes it
        if (!connection->Attach(handle)) {
            ++attachFailures;
            return;
        }
        static_cast<void>(unattached.Release());
        if (AsyncSocket::FromHandle(handle) != connection.get() || connection->Loop() != loop_) {
            ++wrongOwner;
        }
        ++attached;
        connection->onClosed = [this](EchoConnection* gone) { Remove(gone); };
        connections_.push_back(std::move(connection));
    }
    // Inside the connection's own OnClose: destroying it there is safe.
    void Remove(EchoConnection* gone) {
        auto it = std::find_if(connections_.begin(), connections_.end(),
                               [gone](const auto& owned) { return owned.get() == gone; });
        connections_.erase(it);
        ++closed;
        int* total = &closedTotal_;
        reportTo_.Post([total] { ++*total; });
    }

    SocketLoop::Backend backend_;
    SocketLoop& reportTo_;
    int& closedTotal_;  // belongs to reportTo_'s thread
    SocketLoop* loop_ = nullptr;
    std::vector<std::unique_ptr<EchoConnection>> connections_;
    std::thread thread_;
};

// The listener: accepts, detaches, and deals the handles out round-robin.
class Dispatcher : public AsyncSocket {
  public:
    explicit Dispatcher(const std::vector<std::unique_ptr<Worker>>& workers) : workers_(workers) {}

    int accepted = 0;
    int acceptFailures = 0;
    int stillMapped = 0;  // handles FromHandle still knew after Detach

  protected:
    void OnAccept(int) override {
        AsyncSocket connection;
        if (!Accept(connection)) {
            acceptFailures += GetLastError() != EWOULDBLOCK;
            return;
        }
        SOCKET handle = connection.Detach();
        stillMapped += FromHandle(handle) != nullptr;
        workers_[static_cast<std::size_t>(accepted++ % kWorkers)]->Adopt(handle);
    }

  private:
    const std::vector<std::unique_ptr<Worker>>& workers_;
};

// The accepting thread, with its own loop.
class AcceptThread {
  public:
    AcceptThread(SocketLoop::Backend backend, const std::vector<std::unique_ptr<Worker>>& workers)
        : backend_(backend), listener_(workers) {}
    ~AcceptThread() {
        if (thread_.joinable()) {
            if (port_ != 0) {
                Stop();  // the thread runs its loop until told to stop
            }
            Join();
        }
    }
    AcceptThread(const AcceptThread&) = delete;
    AcceptThread& operator=(const AcceptThread&) = delete;

    // Starts the thread; returns the listening port, or 0 if it cannot listen.
    unsigned Start() {
        std::latch listening(1);
        thread_ = std::thread([this, &listening] {
            SocketLoop loop({backend_});
            loop_ = &loop;
            // Accepted sockets inherit the mask; FD_ACCEPT alone keeps the
            // moment between Accept and Detach quiet.
            if (listener_.Create(0, SOCK_STREAM, FD_ACCEPT, "127.0.0.1") && listener_.Listen()) {
                SocketAddress local;
                listener_.GetSockName(local);
                port_ = local.Port();
            }
            listening.count_down();
            if (port_ != 0) {
                loop.Run();
            }
            listener_.Close();
        });
        listening.wait();
        return port_;
    }
    void Stop() { loop_->Quit(); }
    void Join() { thread_.join(); }
    // Read once Join has returned.
    const Dispatcher& Listener() const { return listener_; }

  private:
    SocketLoop::Backend backend_;
    Dispatcher listener_;
    SocketLoop* loop_ = nullptr;
    unsigned port_ = 0;
    std::thread thread_;
};

// Sends its payload in pieces of changing size and checks every echoed byte.
class PoolClient : public AsyncSocket {
  public:
    explicit PoolClient(int index) : index_(index), expected_(Payload(index)) {}

    bool Done() const { return echoed_ == expected_.size(); }
    int connectError = -1;
    int sendError = 0;
    bool corrupted = false;

  protected:
    void OnConnect(int error) override { connectError = error; }
    void OnSend(int) override { SendMore(); }
    void OnReceive(int) override {
        char buffer[16384];
        int n = Receive(buffer, sizeof buffer);
        if (n <= 0) {
            return;
        }
        auto count = static_cast<std::size_t>(n);
        if (echoed_ + count > expected_.size() ||
            std::memcmp(buffer, expected_.data() + echoed_, count) != 0) {
            corrupted = true;
        }
        echoed_ += count;
    }

  private:
    void SendMore() {
        while (sent_ < expected_.size()) {
            std::size_t piece = 1 + (sent_ * 7919 + static_cast<std::size_t>(index_) * 31) % 4096;
            piece = std::min(piece, expected_.size() - sent_);
            int n = Send(expected_.data() + sent_, static_cast<int>(piece));
            if (n == SOCKET_ERROR) {
                if (GetLastError() != EWOULDBLOCK) {
                    sendError = GetLastError();
                }
                return;  // OnSend resumes once there is room
            }
            sent_ += static_cast<std::size_t>(n);
        }
    }

    int index_;
    std::string expected_;
    std::size_t sent_ = 0;
    std::size_t echoed_ = 0;
};

}  // namespace pool

using pool::AcceptThread;
using pool::PoolClient;
using pool::Worker;

BOOST_AUTO_TEST_SUITE(AttachDetach)

BOOST_DATA_TEST_CASE(FromHandleAnswersOnlyOnTheOwningThread, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe socket;
    BOOST_REQUIRE(socket.Create(0, SOCK_DGRAM, FD_ALL, "127.0.0.1"));
    const SOCKET handle = socket.Handle();
    BOOST_CHECK(AsyncSocket::FromHandle(handle) == &socket);

    // Another thread sees nothing, with or without a loop of its own, and may
    // map the same handle to an object of its own without disturbing ours.
    bool noLoopSawNothing = false, ownLoopSawNothing = false, sawItsOwn = false;
    std::thread other([&] {
        noLoopSawNothing = AsyncSocket::FromHandle(handle) == nullptr;
        SocketLoop own({backend});
        ownLoopSawNothing = AsyncSocket::FromHandle(handle) == nullptr;
        AsyncSocket mine;
        sawItsOwn = mine.Attach(handle, 0) && AsyncSocket::FromHandle(handle) == &mine;
        mine.Detach();
    });
    other.join();
    BOOST_CHECK(noLoopSawNothing);
    BOOST_CHECK(ownLoopSawNothing);
    BOOST_CHECK(sawItsOwn);
    BOOST_CHECK(AsyncSocket::FromHandle(handle) == &socket);

    BOOST_CHECK_EQUAL(socket.Detach(), handle);
    BOOST_CHECK(AsyncSocket::FromHandle(handle) == nullptr);
    Probe again;
    BOOST_REQUIRE(again.Attach(handle));
    BOOST_CHECK(AsyncSocket::FromHandle(handle) == &again);
    again.Close();
    BOOST_CHECK(AsyncSocket::FromHandle(handle) == nullptr);
    BOOST_CHECK(AsyncSocket::FromHandle(INVALID_SOCKET) == nullptr);
}

BOOST_DATA_TEST_CASE(DetachLeavesTheDescriptorOpenAndUnwatched, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client;
    auto server = std::make_unique<Probe>();
    ConnectPair(loop, listener, client, *server);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server->counts.send == 1; }));

    const std::size_t watched = loop.SocketCount();
    const SOCKET fd = server->Detach();
    BOOST_REQUIRE(fd != INVALID_SOCKET);
    Descriptor detached(fd);  // the test's own from here on
    BOOST_CHECK_EQUAL(loop.SocketCount(), watched - 1);
    BOOST_CHECK_EQUAL(server->Handle(), INVALID_SOCKET);
    BOOST_CHECK(server->Loop() == nullptr);
    BOOST_CHECK_EQUAL(server->Send("x", 1), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
    BOOST_CHECK_EQUAL(server->Detach(), INVALID_SOCKET);  // nothing left to detach

    // Data for the descriptor no longer reaches the old object...
    const Probe::Counts before = server->counts;
    BOOST_REQUIRE_EQUAL(client.Send("after detach", 12), 12);
    BOOST_REQUIRE(WaitReadable(fd));
    Spin(loop);
    BOOST_CHECK_EQUAL(server->counts.receive, before.receive);
    // ...and destroying the object leaves the descriptor open and working.
    server.reset();
    BOOST_REQUIRE(IsOpen(fd));
    char buffer[32];
    BOOST_REQUIRE_EQUAL(::recv(fd, buffer, sizeof buffer, 0), 12);
    BOOST_CHECK_EQUAL(std::string(buffer, 12), "after detach");
    BOOST_REQUIRE_EQUAL(::send(fd, "raw reply", 9, MSG_NOSIGNAL), 9);
    std::string got;
    BOOST_REQUIRE(RunUntil(loop, [&] {
        Drain(client, got);
        return got.size() >= 9;
    }));
    BOOST_CHECK_EQUAL(got, "raw reply");
    detached.Reset();
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.close == 1; }));
}

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

BOOST_DATA_TEST_CASE(WorkerThreadsServeConnectionsHandedOverByDetachAndAttach,
                     data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    int closedOnWorkers = 0;  // counted on this thread, from tasks the workers post

    std::vector<std::unique_ptr<Worker>> workers;
    std::latch ready(kWorkers);
    for (int i = 0; i < kWorkers; ++i) {
        workers.push_back(std::make_unique<Worker>(backend, loop, closedOnWorkers));
        workers.back()->Start(ready);
    }
    ready.wait();
    AcceptThread acceptor(backend, workers);
    unsigned port = acceptor.Start();
    BOOST_REQUIRE(port != 0);

    std::vector<std::unique_ptr<PoolClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<PoolClient>(i));
        BOOST_REQUIRE(clients.back()->Create());
        bool started = clients.back()->Connect("127.0.0.1", port);
        BOOST_REQUIRE(started || AsyncSocket::GetLastError() == EWOULDBLOCK);
    }
    auto allEchoed = [&] {
        return std::all_of(clients.begin(), clients.end(), [](const auto& client) {
            return client->Done() || client->corrupted || client->sendError != 0;
        });
    };
    bool finished = RunUntil(loop, allEchoed);
    for (const auto& client : clients) {
        BOOST_CHECK_EQUAL(client->connectError, 0);
        BOOST_CHECK_EQUAL(client->sendError, 0);
        BOOST_CHECK(!client->corrupted);
        BOOST_CHECK(client->Done());
    }
    BOOST_REQUIRE(finished);

    // Closing the clients reaches every worker as OnClose.
    clients.clear();
    BOOST_CHECK(RunUntil(loop, [&] { return closedOnWorkers == kClients; }));

    acceptor.Stop();
    acceptor.Join();
    for (const auto& worker : workers) {
        worker->Stop();
        worker->Join();
    }
    BOOST_CHECK_EQUAL(acceptor.Listener().accepted, kClients);
    BOOST_CHECK_EQUAL(acceptor.Listener().acceptFailures, 0);
    BOOST_CHECK_EQUAL(acceptor.Listener().stillMapped, 0);
    for (const auto& worker : workers) {
        BOOST_CHECK_EQUAL(worker->attached, kClients / kWorkers);
        BOOST_CHECK_EQUAL(worker->attachFailures, 0);
        BOOST_CHECK_EQUAL(worker->wrongOwner, 0);
        BOOST_CHECK_EQUAL(worker->closed, kClients / kWorkers);
    }
}

BOOST_AUTO_TEST_SUITE_END()
