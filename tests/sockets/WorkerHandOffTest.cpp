// MFC's way of serving connections from worker threads (SPEC sections 2 and
// 3): accept on one thread, Detach, pass the handle, Attach on the worker.
//
// This file also runs under ThreadSanitizer: threads share only what thread
// start and join, a std::latch or SocketLoop::Post hand over, and only the
// test's own thread makes Boost.Test assertions.
#include "TestSupport.h"

#include <xsock/Descriptor.h>
#include <xsock/SendQueue.h>

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

BOOST_AUTO_TEST_SUITE(WorkerHandOff)

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
