// LoopThreads (SPEC section 2, issue "loop threads"): N loops on N threads,
// accepted connections handed over round robin, sockets destroyed on their own
// thread before its loop, handles in flight never leaked. Boost.Test is not
// thread-safe, so the loop threads only record what they saw; the main thread
// checks it.
#include "Fixtures.h"
#include "TestSupport.h"

#include <xsock/LoopThreads.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

// Named, not anonymous: the data test cases' lambdas capture these types.
namespace loop_threads_test {

template <class T>
T Await(std::future<T>& future) {
    BOOST_REQUIRE_MESSAGE(future.wait_for(kDeadline) == std::future_status::ready,
                          "a loop thread never answered");
    return future.get();
}

// What the loop threads saw, for the main thread to check afterwards.
struct Record {
    std::mutex mutex;
    std::map<std::thread::id, int> adoptedOn;  // connections per thread
    int attachFailures = 0;
    std::atomic<int> destroyed{0};
    std::atomic<int> destroyedOffThread{0};  // destroyed with no live loop of their own
};

// An echo connection living on a loop thread.
class Echo : public AsyncSocket {
  public:
    explicit Echo(Record& record) : record_(record) {}
    ~Echo() override {
        SocketLoop* loop = SocketLoop::Current();
        if (loop == nullptr || FromHandle(Handle()) != this) {
            ++record_.destroyedOffThread;
        }
        ++record_.destroyed;
    }

  protected:
    void OnReceive(int) override {
        char buffer[4096];
        int n = Receive(buffer, sizeof buffer);
        if (n > 0) {
            Send(buffer, n);
        }
    }

  private:
    Record& record_;
};

// The loop threads' connections, destroyed when each thread exits.
inline thread_local std::vector<std::unique_ptr<Echo>> t_connections;

inline std::function<void(SOCKET)> AdoptInto(Record& record) {
    return [&record](SOCKET handle) {
        auto& echo = t_connections.emplace_back(std::make_unique<Echo>(record));
        std::lock_guard lock(record.mutex);
        if (echo->Attach(handle)) {
            ++record.adoptedOn[std::this_thread::get_id()];
        } else {
            ++record.attachFailures;
        }
    };
}

inline std::string RoundTrip(RawSocket& client, const std::string& message) {
    client.SendAll(message);
    std::string reply;
    while (reply.size() < message.size()) {
        AwaitReady(client.Fd(), POLLIN);
        char buffer[256];
        ssize_t n = ::recv(client.Fd(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n <= 0) {
            break;
        }
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    return reply;
}

}  // namespace loop_threads_test

using namespace loop_threads_test;

BOOST_AUTO_TEST_SUITE(LoopThreadsTest)

BOOST_DATA_TEST_CASE(EachLoopRunsOnItsOwnThreadWithTheChosenBackend, data::make(kAllBackends),
                     backend) {
    LoopThreads threads(3, {backend});
    BOOST_REQUIRE_EQUAL(threads.Size(), 3u);
    std::set<std::thread::id> seen;
    for (unsigned i = 0; i < threads.Size(); ++i) {
        BOOST_TEST(!threads.LoopAt(i).IsInLoopThread());
        BOOST_TEST(threads.LoopAt(i).GetBackend() == backend);
        std::promise<std::pair<std::thread::id, bool>> answer;
        auto future = answer.get_future();
        SocketLoop* expected = &threads.LoopAt(i);
        expected->Post([&answer, expected] {
            answer.set_value({std::this_thread::get_id(), SocketLoop::Current() == expected});
        });
        auto [id, isCurrent] = Await(future);
        BOOST_TEST(isCurrent);
        BOOST_TEST(id != std::this_thread::get_id());
        seen.insert(id);
    }
    BOOST_TEST(seen.size() == 3u);
}

BOOST_AUTO_TEST_CASE(PostGoesRoundRobin) {
    LoopThreads threads(2);
    std::vector<unsigned> indices;
    for (int i = 0; i < 5; ++i) {
        indices.push_back(threads.Post([] {}));
    }
    BOOST_TEST(indices == (std::vector<unsigned>{0, 1, 0, 1, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ZeroThreadsMeansOne) {
    LoopThreads threads(0);
    BOOST_TEST(threads.Size() == 1u);
}

BOOST_DATA_TEST_CASE(HandedOverConnectionsAreSpreadAndServed, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Record record;
    std::vector<std::unique_ptr<RawSocket>> clients;
    {
        LoopThreads threads(2, {backend});
        Probe listener;
        unsigned port = Listen(listener);
        int handed = 0;
        listener.onAccept = [&](Probe& self) {
            AsyncSocket connection;
            while (self.Accept(connection)) {
                BOOST_REQUIRE(threads.HandOver(connection, AdoptInto(record)));
                BOOST_TEST(connection.Handle() == INVALID_SOCKET);
                ++handed;
            }
        };
        for (int i = 0; i < 4; ++i) {
            clients.push_back(std::make_unique<RawSocket>());
            clients.back()->Connect(port);
        }
        BOOST_REQUIRE(RunUntil(loop, [&] { return handed == 4; }));
        for (std::size_t i = 0; i < clients.size(); ++i) {
            std::string message = "ping " + std::to_string(i);
            BOOST_TEST(RoundTrip(*clients[i], message) == message);
        }
        std::lock_guard lock(record.mutex);
        BOOST_TEST(record.attachFailures == 0);
        BOOST_REQUIRE(record.adoptedOn.size() == 2u);
        for (auto& [thread, count] : record.adoptedOn) {
            BOOST_TEST(count == 2);
        }
    }
    // The destructor stopped the threads: each connection was destroyed on
    // its own thread while its loop still existed, and the clients see it.
    BOOST_TEST(record.destroyed == 4);
    BOOST_TEST(record.destroyedOffThread == 0);
    for (auto& client : clients) {
        ExpectConnectionEnded(*client);
    }
}

BOOST_AUTO_TEST_CASE(HandOverRefusesAClosedSocketAndAnotherThreadsSocket) {
    LoopThreads threads(1);
    AsyncSocket closed;
    BOOST_TEST(!threads.HandOver(closed, [](SOCKET) {}));
    BOOST_TEST(AsyncSocket::GetLastError() == ENOTCONN);

    SocketLoop& loop = SocketLoop::ForThisThread();
    Probe listener, server;
    RawSocket client;
    AcceptRawPeer(loop, listener, client, server);
    int error = 0;
    bool handed = true;
    std::thread other([&] {
        handed = threads.HandOver(server, [](SOCKET) {});
        error = AsyncSocket::GetLastError();
    });
    other.join();
    BOOST_TEST(!handed);
    BOOST_TEST(error == EPERM);
    BOOST_TEST(server.Handle() != INVALID_SOCKET);  // still ours, still open
}

BOOST_AUTO_TEST_CASE(AHandleThatNeverReachesItsLoopIsClosed) {
    SocketLoop& loop = SocketLoop::ForThisThread();
    Probe listener;
    unsigned port = Listen(listener);
    RawSocket client;
    client.Connect(port);
    AsyncSocket connection;
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.Accept(connection); }));
    int before = OpenDescriptorCount();

    LoopThreads threads(1);
    // Keep the loop thread busy in a task until Stop has begun, so the handed
    // over handle is still queued when the loop goes away.
    std::promise<void> busy, release;
    auto started = busy.get_future();
    threads.Post([&] {
        busy.set_value();
        release.get_future().wait();
    });
    Await(started);
    std::atomic<bool> adopted{false};
    BOOST_REQUIRE(threads.HandOver(connection, [&](SOCKET) { adopted = true; }));
    std::thread stopper([&] { threads.Stop(); });
    AsyncSocket probe;
    // Nothing wakes this thread's loop when Stop begins, so poll HandOver
    // itself, yielding to the stopper, until it is refused.
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    bool refused = false;
    while (!refused && std::chrono::steady_clock::now() < deadline) {
        refused =
            !threads.HandOver(probe, [](SOCKET) {}) && AsyncSocket::GetLastError() == ESHUTDOWN;
        std::this_thread::yield();
    }
    BOOST_REQUIRE(refused);
    release.set_value();
    stopper.join();
    BOOST_TEST(!adopted);
    ExpectConnectionEnded(client);
    BOOST_TEST(OpenDescriptorCount() == before - 1);
}

BOOST_AUTO_TEST_CASE(AnExceptionOnALoopThreadIsKeptForStop) {
    LoopThreads threads(1);
    threads.Post([] { throw std::runtime_error("task failed"); });
    std::promise<void> ranAfter;
    auto future = ranAfter.get_future();
    threads.Post([&] { ranAfter.set_value(); });
    Await(future);  // the thread went on running its loop
    BOOST_CHECK_EXCEPTION(threads.Stop(), std::runtime_error, [](const std::runtime_error& e) {
        return std::string(e.what()) == "task failed";
    });
    BOOST_CHECK_NO_THROW(threads.Stop());
}

BOOST_AUTO_TEST_SUITE_END()
