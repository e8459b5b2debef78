// SocketLoop (SPEC section 2): waking from other threads, Quit, timers, the
// phase order, exceptions, thread ownership, backend choice, NativeHandle and
// sockets that outlive their loop.
#include "TestSupport.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

namespace {

// Waits until thread `tid` sleeps in the kernel (state S in /proc); for a loop
// thread that has nothing to do, that means it is blocked in its wait. False
// if it never gets there; true at once where /proc does not exist.
bool WaitUntilAsleep(pid_t tid) {
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    do {
        std::ifstream file(path);
        if (!file) {
            return true;  // no /proc to ask: cannot tell, so go ahead
        }
        std::string line;
        std::getline(file, line);
        // The state follows the command name, which is in parentheses.
        std::size_t paren = line.rfind(')');
        if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'S') {
            return true;
        }
        std::this_thread::yield();
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

// A loop blocked in RunOnce() with no timeout only returns when something wakes
// it. If the test has not stopped the watchdog by the deadline, it interrupts
// the constructing thread's wait with a signal (again until stopped), so a lost
// wake-up fails the test instead of hanging it.
class Watchdog {
  public:
    Watchdog() : target_(::pthread_self()) {
        struct sigaction action {};
        action.sa_handler = [](int) {};
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART: the backend's wait returns EINTR
        ::sigaction(SIGUSR1, &action, &previous_);
        thread_ = std::thread([this] { Watch(); });
    }
    ~Watchdog() {
        Stop();
        ::sigaction(SIGUSR1, &previous_, nullptr);
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    bool Fired() const noexcept { return fired_.load(); }

    void Stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopped_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

  private:
    void Watch() {
        std::unique_lock<std::mutex> lock(mutex_);
        auto stopped = [this] { return stopped_; };
        if (wake_.wait_for(lock, kDeadline, stopped)) {
            return;
        }
        fired_.store(true);
        do {
            ::pthread_kill(target_, SIGUSR1);
        } while (!wake_.wait_for(lock, 10ms, stopped));
    }

    pthread_t target_;
    struct sigaction previous_ {};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopped_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;
};

// Sets an environment variable for one test and puts the old value back.
class EnvironmentGuard {
  public:
    explicit EnvironmentGuard(const char* name) : name_(name) {
        if (const char* value = std::getenv(name)) {
            saved_ = value;
        }
    }
    ~EnvironmentGuard() {
        if (saved_) {
            ::setenv(name_, saved_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    EnvironmentGuard(const EnvironmentGuard&) = delete;
    EnvironmentGuard& operator=(const EnvironmentGuard&) = delete;

    void Set(const char* value) const { ::setenv(name_, value, 1); }
    void Unset() const { ::unsetenv(name_); }

  private:
    const char* name_;
    std::optional<std::string> saved_;
};

bool PollsReadable(int fd, std::chrono::milliseconds timeout) {
    pollfd entry{fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&entry, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    return n == 1 && (entry.revents & POLLIN) != 0;
}

// SetTimer with the callback last, for one-shot and repeating timers.
TimerId After(SocketLoop& loop, std::chrono::milliseconds interval,
              std::function<void()> callback) {
    return loop.SetTimer(interval, std::move(callback), false);
}

TimerId Every(SocketLoop& loop, std::chrono::milliseconds interval,
              std::function<void()> callback) {
    return loop.SetTimer(interval, std::move(callback), true);
}

// Runs the loop until a one-shot timer set `interval` from now has fired. As
// timers fire in deadline order, every timer due before it has had its turn.
void RunPast(SocketLoop& loop, std::chrono::milliseconds interval) {
    bool reached = false;
    BOOST_REQUIRE(After(loop, interval, [&] { reached = true; }) != 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return reached; }));
}

#ifdef __linux__
constexpr SocketLoop::Backend kPlatformDefault = SocketLoop::Backend::Epoll;
#else
constexpr SocketLoop::Backend kPlatformDefault = SocketLoop::Backend::Poll;
#endif

const std::array<SocketLoop::Backend, 2> kBackendsWithoutHandle = {SocketLoop::Backend::Select,
                                                                   SocketLoop::Backend::Poll};

}  // namespace

BOOST_AUTO_TEST_SUITE(SocketLoopSuite)

BOOST_DATA_TEST_CASE(PostFromOtherThreadsWakesALoopBlockedWithoutTimeout, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    constexpr int kThreads = 3;
    constexpr int kPerThread = 50;
    constexpr int kTotal = kThreads * kPerThread;
    const std::thread::id loopThread = std::this_thread::get_id();
    const pid_t loopTid = ::gettid();

    // Touched by the tasks only, so only on the loop's thread.
    std::vector<int> runs(kTotal, 0);
    int ran = 0;
    int offThread = 0;

    Watchdog watchdog;
    std::latch asleep(1);
    bool sawAsleep = false;
    std::thread gate([&] {
        sawAsleep = WaitUntilAsleep(loopTid);
        asleep.count_down();
    });
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&, t] {
            asleep.wait();
            for (int i = 0; i < kPerThread; ++i) {
                loop.Post([&, index = t * kPerThread + i] {
                    ++runs[static_cast<std::size_t>(index)];
                    ++ran;
                    if (std::this_thread::get_id() != loopThread) {
                        ++offThread;
                    }
                });
            }
        });
    }
    while (ran < kTotal && !watchdog.Fired()) {
        loop.RunOnce();  // no timers, no sockets: only a post can end the wait
    }
    watchdog.Stop();
    gate.join();
    for (std::thread& poster : posters) {
        poster.join();
    }
    BOOST_CHECK_MESSAGE(!watchdog.Fired(), "a post did not wake the loop");
    BOOST_CHECK_MESSAGE(sawAsleep, "the loop never blocked in RunOnce()");
    Spin(loop);
    BOOST_CHECK_EQUAL(ran, kTotal);
    BOOST_CHECK_EQUAL(offThread, 0);
    for (int index = 0; index < kTotal; ++index) {
        BOOST_CHECK_MESSAGE(
            runs[static_cast<std::size_t>(index)] == 1,
            "task " << index << " ran " << runs[static_cast<std::size_t>(index)] << " times");
    }
}

BOOST_DATA_TEST_CASE(WakeUpsFromOtherThreadsAreNeverLost, data::make(kAllBackends), backend) {
    // Each poster waits for its previous task before posting the next, so
    // posts keep arriving while the loop sleeps, and while it handles the
    // wake-up of another thread.
    SocketLoop loop({backend});
    constexpr int kThreads = 3;
    constexpr int kRounds = 1500;
    constexpr int kTotal = kThreads * kRounds;
    std::array<std::atomic<int>, kThreads> done{};
    int ran = 0;

    Watchdog watchdog;
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&, t] {
            std::atomic<int>& mine = done[static_cast<std::size_t>(t)];
            for (int round = 0; round < kRounds; ++round) {
                loop.Post([&] {
                    ++ran;
                    mine.fetch_add(1);
                    mine.notify_one();
                });
                mine.wait(round);
            }
        });
    }
    while (ran < kTotal && !watchdog.Fired()) {
        loop.RunOnce();
    }
    bool lost = watchdog.Fired();
    watchdog.Stop();
    while (ran < kTotal) {
        loop.RunOnce(0ms);  // after a lost wake-up, let the posters finish
    }
    for (std::thread& poster : posters) {
        poster.join();
    }
    BOOST_CHECK_MESSAGE(!lost, "the loop slept through a post from another thread");
    BOOST_CHECK_EQUAL(ran, kTotal);
}

BOOST_DATA_TEST_CASE(TaskPostedFromATaskRunsInTheNextIteration, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    std::vector<std::string> order;
    loop.Post([&] {
        order.emplace_back("outer");
        loop.Post([&] { order.emplace_back("inner"); });
    });
    loop.Post([&] { order.emplace_back("second"); });

    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 2u);
    BOOST_CHECK_EQUAL(order.size(), 2u);
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);
    const std::vector<std::string> expected = {"outer", "second", "inner"};
    BOOST_CHECK_EQUAL_COLLECTIONS(order.begin(), order.end(), expected.begin(), expected.end());
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 0u);
}

BOOST_DATA_TEST_CASE(PhasesRunSocketsThenTimersThenTasks, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.send == 1; }));

    std::vector<std::string> order;
    server.onReceive = [&](Probe&) { order.emplace_back("socket"); };
    BOOST_REQUIRE_EQUAL(client.Send("x", 1), 1);
    BOOST_REQUIRE(PollsReadable(server.Handle(), kDeadline));  // ready before the iteration
    loop.Post([&] { order.emplace_back("task"); });
    BOOST_REQUIRE(After(loop, 0ms, [&] { order.emplace_back("timer"); }) != 0);

    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 3u);
    const std::vector<std::string> expected = {"socket", "timer", "task"};
    BOOST_CHECK_EQUAL_COLLECTIONS(order.begin(), order.end(), expected.begin(), expected.end());
}

BOOST_DATA_TEST_CASE(QuitFromAnotherThreadEndsRun, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    bool backstop = false;
    TimerId guard = After(loop, kDeadline, [&] {
        backstop = true;
        loop.Quit();
    });
    BOOST_REQUIRE(guard != 0);

    std::promise<void> running;
    std::future<void> started = running.get_future();
    loop.Post([&] { running.set_value(); });
    const pid_t loopTid = ::gettid();
    bool sawAsleep = false;
    std::thread quitter([&] {
        started.wait();
        sawAsleep = WaitUntilAsleep(loopTid);
        loop.Quit();
    });
    loop.Run();
    quitter.join();
    BOOST_CHECK_MESSAGE(!backstop, "Run ended only when the backstop timer fired");
    BOOST_CHECK(sawAsleep);
    BOOST_CHECK(loop.KillTimer(guard));
}

BOOST_DATA_TEST_CASE(QuitBeforeRunEndsRunAfterOneIteration, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    int iterations = 0;
    int quitAt = 0;
    std::function<void()> tick = [&] {
        if (++iterations == quitAt) {
            loop.Quit();
        }
        loop.Post(tick);  // one run per iteration
    };
    loop.Post(tick);
    loop.Quit();
    loop.Run();
    BOOST_CHECK_EQUAL(iterations, 1);

    // That Quit is used up: the next Run goes on until the next Quit.
    quitAt = 4;
    loop.Run();
    BOOST_CHECK_EQUAL(iterations, 4);
}

BOOST_DATA_TEST_CASE(OneShotTimerFiresOnce, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    int fired = 0;
    TimerId id = After(loop, 1ms, [&] { ++fired; });
    BOOST_REQUIRE(id != 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return fired == 1; }));
    RunPast(loop, 20ms);
    BOOST_CHECK_EQUAL(fired, 1);
    BOOST_CHECK(!loop.KillTimer(id));  // already gone
}

BOOST_DATA_TEST_CASE(RepeatingTimerFiresUntilKilled, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    int ticks = 0;
    TimerId id = Every(loop, 1ms, [&] { ++ticks; });
    BOOST_REQUIRE(id != 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return ticks >= 3; }));
    BOOST_CHECK(loop.KillTimer(id));
    int killedAt = ticks;
    RunPast(loop, 20ms);
    BOOST_CHECK_EQUAL(ticks, killedAt);
    BOOST_CHECK(!loop.KillTimer(id));
}

BOOST_DATA_TEST_CASE(ZeroIntervalRepeatingTimerFiresOncePerIteration, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    int ticks = 0;
    TimerId id = Every(loop, 0ms, [&] { ++ticks; });
    BOOST_REQUIRE(id != 0);
    for (int i = 1; i <= 10; ++i) {
        BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);
        BOOST_CHECK_EQUAL(ticks, i);
    }
    BOOST_CHECK(loop.KillTimer(id));
}

BOOST_DATA_TEST_CASE(KillTimerInsideItsOwnCallbackStopsIt, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TimerId id = 0;
    int ticks = 0;
    bool killed = false;
    id = Every(loop, 1ms, [&] {
        if (++ticks == 2) {
            killed = loop.KillTimer(id);
        }
    });
    BOOST_REQUIRE(id != 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return ticks == 2; }));
    BOOST_CHECK(killed);
    RunPast(loop, 20ms);
    BOOST_CHECK_EQUAL(ticks, 2);
    BOOST_CHECK(!loop.KillTimer(id));
}

BOOST_DATA_TEST_CASE(KillTimerOfAnUnknownIdReturnsFalse, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    BOOST_CHECK(!loop.KillTimer(0));
    bool fired = false;
    TimerId id = After(loop, 1ms, [&] { fired = true; });
    BOOST_REQUIRE(id != 0);
    BOOST_CHECK(!loop.KillTimer(id + 1000));
    BOOST_REQUIRE(RunUntil(loop, [&] { return fired; }));  // the real one is untouched
}

BOOST_DATA_TEST_CASE(TimersFireInDeadlineOrder, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    std::vector<int> order;
    TimerId a = After(loop, 30ms, [&] { order.push_back(30); });
    TimerId b = After(loop, 10ms, [&] { order.push_back(10); });
    TimerId c = After(loop, 20ms, [&] { order.push_back(20); });
    BOOST_CHECK(a != 0 && b != 0 && c != 0);
    BOOST_CHECK(a != b && b != c && a != c);
    BOOST_REQUIRE(RunUntil(loop, [&] { return order.size() == 3; }));
    const std::vector<int> expected = {10, 20, 30};
    BOOST_CHECK_EQUAL_COLLECTIONS(order.begin(), order.end(), expected.begin(), expected.end());
}

BOOST_DATA_TEST_CASE(ExceptionFromATaskLeavesRunOnceAndTheRestRunNextTime, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    std::vector<std::string> order;
    loop.Post([&] {
        order.emplace_back("a");
        throw std::runtime_error("task failed");
    });
    loop.Post([&] { order.emplace_back("b"); });
    loop.Post([&] { order.emplace_back("c"); });
    BOOST_CHECK_THROW(loop.RunOnce(0ms), std::runtime_error);
    BOOST_REQUIRE_EQUAL(order.size(), 1u);

    loop.Post([&] { order.emplace_back("d"); });  // queued behind the survivors
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 3u);
    const std::vector<std::string> expected = {"a", "b", "c", "d"};
    BOOST_CHECK_EQUAL_COLLECTIONS(order.begin(), order.end(), expected.begin(), expected.end());
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 0u);
}

BOOST_DATA_TEST_CASE(ExceptionFromATimerLeavesARepeatingTimerScheduled, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    int ticks = 0;
    TimerId id = Every(loop, 1ms, [&] {
        if (++ticks == 1) {
            throw std::runtime_error("timer failed");
        }
    });
    BOOST_REQUIRE(id != 0);
    BOOST_CHECK_THROW(RunUntil(loop, [&] { return ticks >= 1; }), std::runtime_error);
    BOOST_CHECK_EQUAL(ticks, 1);
    BOOST_CHECK(RunUntil(loop, [&] { return ticks >= 3; }));
    BOOST_CHECK(loop.KillTimer(id));
}

BOOST_DATA_TEST_CASE(RunningTheLoopFromAnotherThreadThrowsLogicError, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    int ran = 0;
    loop.Post([&] { ++ran; });
    bool runOnceThrew = false, runThrew = false, runUntilThrew = false;
    bool inLoopThread = true;
    std::thread other([&] {
        inLoopThread = loop.IsInLoopThread();
        try {
            loop.RunOnce(0ms);
        } catch (const std::logic_error&) {
            runOnceThrew = true;
        }
        try {
            loop.Run();
        } catch (const std::logic_error&) {
            runThrew = true;
        }
        try {
            loop.RunUntil([] { return false; }, 0ms);
        } catch (const std::logic_error&) {
            runUntilThrew = true;
        }
    });
    other.join();
    BOOST_CHECK(runOnceThrew);
    BOOST_CHECK(runThrew);
    BOOST_CHECK(runUntilThrew);
    BOOST_CHECK(!inLoopThread);
    BOOST_CHECK(loop.IsInLoopThread());
    BOOST_CHECK_EQUAL(ran, 0);  // the other thread ran nothing
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);
    BOOST_CHECK_EQUAL(ran, 1);
}

BOOST_DATA_TEST_CASE(TimersFromAnotherThreadFailWithEperm, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    int fired = 0;
    TimerId real = After(loop, 1ms, [&] { ++fired; });
    BOOST_REQUIRE(real != 0);
    AsyncSocket unopened;
    BOOST_CHECK_EQUAL(unopened.Send("x", 1), SOCKET_ERROR);  // this thread's error: ENOTSOCK

    TimerId foreign = 1;
    int setError = 0, killError = 0;
    bool killed = true;
    int foreignFired = 0;
    std::thread other([&] {
        foreign = After(loop, 0ms, [&] { ++foreignFired; });
        setError = AsyncSocket::GetLastError();
        killed = loop.KillTimer(real);
        killError = AsyncSocket::GetLastError();
    });
    other.join();
    BOOST_CHECK_EQUAL(foreign, 0u);
    BOOST_CHECK_EQUAL(setError, EPERM);
    BOOST_CHECK(!killed);
    BOOST_CHECK_EQUAL(killError, EPERM);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);  // the error slot is per thread

    BOOST_REQUIRE(RunUntil(loop, [&] { return fired == 1; }));  // not killed
    RunPast(loop, 0ms);  // a 0 ms timer set over there would be due by now
    BOOST_CHECK_EQUAL(foreignFired, 0);
}

BOOST_AUTO_TEST_CASE(OneLoopPerThreadAndForThisThreadReplacesADestroyedLoop) {
    struct Seen {
        bool noneAtFirst = false;
        bool explicitIsCurrent = false;
        bool forThisThreadGivesExplicit = false;
        bool secondThrew = false;
        bool explicitStillCurrent = false;
        bool noneAfterDestruction = false;
        bool freshIsCurrent = false;
        bool freshIsStable = false;
        bool secondBesideImplicitThrew = false;
        std::size_t freshRan = 0;
        SocketLoop::Backend freshBackend = SocketLoop::Backend::Select;
    } seen;
    std::thread worker([&] {
        seen.noneAtFirst = SocketLoop::Current() == nullptr;
        {
            SocketLoop loop({SocketLoop::Backend::Poll});
            seen.explicitIsCurrent = SocketLoop::Current() == &loop;
            seen.forThisThreadGivesExplicit = &SocketLoop::ForThisThread() == &loop;
            try {
                SocketLoop second({SocketLoop::Backend::Poll});
            } catch (const std::logic_error&) {
                seen.secondThrew = true;
            }
            seen.explicitStillCurrent = SocketLoop::Current() == &loop;
        }
        seen.noneAfterDestruction = SocketLoop::Current() == nullptr;
        SocketLoop& fresh = SocketLoop::ForThisThread();
        seen.freshIsCurrent = SocketLoop::Current() == &fresh;
        seen.freshIsStable = &SocketLoop::ForThisThread() == &fresh;
        seen.freshBackend = fresh.GetBackend();
        try {
            SocketLoop second;
        } catch (const std::logic_error&) {
            seen.secondBesideImplicitThrew = true;
        }
        fresh.Post([] {});
        seen.freshRan = fresh.RunOnce(0ms);
    });
    worker.join();
    BOOST_CHECK(seen.noneAtFirst);
    BOOST_CHECK(seen.explicitIsCurrent);
    BOOST_CHECK(seen.forThisThreadGivesExplicit);
    BOOST_CHECK(seen.secondThrew);
    BOOST_CHECK(seen.explicitStillCurrent);
    BOOST_CHECK(seen.noneAfterDestruction);
    BOOST_CHECK(seen.freshIsCurrent);
    BOOST_CHECK(seen.freshIsStable);
    BOOST_CHECK_EQUAL(seen.freshBackend, SocketLoop::DefaultBackend());
    BOOST_CHECK(seen.secondBesideImplicitThrew);
    BOOST_CHECK_EQUAL(seen.freshRan, 1u);
}

BOOST_AUTO_TEST_CASE(XsockBackendChoosesTheDefaultBackend) {
    EnvironmentGuard environment("XSOCK_BACKEND");
    const std::array<std::pair<const char*, SocketLoop::Backend>, 3> choices = {{
        {"select", SocketLoop::Backend::Select},
        {"poll", SocketLoop::Backend::Poll},
        {"epoll", SocketLoop::Backend::Epoll},
    }};
    for (const auto& [name, backend] : choices) {
        BOOST_TEST_CONTEXT("XSOCK_BACKEND=" << name) {
            environment.Set(name);
            BOOST_CHECK_EQUAL(SocketLoop::DefaultBackend(), backend);
            SocketLoop loop;
            BOOST_CHECK_EQUAL(loop.GetBackend(), backend);
        }
    }

    // Explicit Options win over the environment.
    environment.Set("select");
    {
        SocketLoop loop({SocketLoop::Backend::Poll});
        BOOST_CHECK_EQUAL(loop.GetBackend(), SocketLoop::Backend::Poll);
    }

    // A socket's implicit loop follows it too.
    environment.Set("poll");
    SocketLoop::Backend implicitBackend = SocketLoop::Backend::Select;
    bool created = false;
    std::thread worker([&] {
        AsyncSocket socket;
        created = socket.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1");
        if (created && socket.Loop() != nullptr) {
            implicitBackend = socket.Loop()->GetBackend();
        }
    });
    worker.join();
    BOOST_CHECK(created);
    BOOST_CHECK_EQUAL(implicitBackend, SocketLoop::Backend::Poll);

    for (const char* unknown : {"kqueue", "EPOLL", ""}) {
        BOOST_TEST_CONTEXT("XSOCK_BACKEND=\"" << unknown << "\"") {
            environment.Set(unknown);
            BOOST_CHECK_EQUAL(SocketLoop::DefaultBackend(), kPlatformDefault);
            SocketLoop loop;
            BOOST_CHECK_EQUAL(loop.GetBackend(), kPlatformDefault);
        }
    }
    environment.Unset();
    BOOST_CHECK_EQUAL(SocketLoop::DefaultBackend(), kPlatformDefault);
}

#ifdef __linux__
BOOST_AUTO_TEST_CASE(NativeHandlePollsReadableExactlyWhenTheLoopHasWork) {
    SocketLoop loop({SocketLoop::Backend::Epoll});
    int handle = loop.NativeHandle();
    BOOST_REQUIRE(handle >= 0);
    BOOST_CHECK_EQUAL(loop.NativeHandle(), handle);
    loop.RunOnce(0ms);
    BOOST_CHECK(!PollsReadable(handle, 0ms));

    // A task posted from another thread.
    int ran = 0;
    std::thread poster([&] { loop.Post([&] { ++ran; }); });
    poster.join();
    BOOST_CHECK(PollsReadable(handle, kDeadline));
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);
    BOOST_CHECK_EQUAL(ran, 1);
    BOOST_CHECK(!PollsReadable(handle, 0ms));

    // A task posted on the loop's own thread: the host loop must hear of it too.
    loop.Post([&] { ++ran; });
    BOOST_CHECK(PollsReadable(handle, kDeadline));
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);
    BOOST_CHECK_EQUAL(ran, 2);
    BOOST_CHECK(!PollsReadable(handle, 0ms));

    // A timer far away keeps it quiet; one that falls due makes it readable.
    TimerId far = After(loop, std::chrono::hours(1), [] {});
    BOOST_REQUIRE(far != 0);
    loop.RunOnce(0ms);
    BOOST_CHECK(!PollsReadable(handle, 0ms));
    bool fired = false;
    BOOST_REQUIRE(After(loop, 1ms, [&] { fired = true; }) != 0);
    BOOST_CHECK(PollsReadable(handle, kDeadline));
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);
    BOOST_CHECK(fired);
    BOOST_CHECK(!PollsReadable(handle, 0ms));
    BOOST_CHECK(loop.KillTimer(far));
}
#endif

BOOST_DATA_TEST_CASE(NativeHandleIsMinusOneOnSelectAndPoll, data::make(kBackendsWithoutHandle),
                     backend) {
    SocketLoop loop({backend});
    BOOST_CHECK_EQUAL(loop.NativeHandle(), -1);
    // The loop still works as usual afterwards.
    bool fired = false;
    BOOST_REQUIRE(After(loop, 1ms, [&] { fired = true; }) != 0);
    BOOST_CHECK(RunUntil(loop, [&] { return fired; }));
}

BOOST_DATA_TEST_CASE(SocketsOutlivingTheirLoopCanStillBeClosedAndDestroyed,
                     data::make(kAllBackends), backend) {
    const int descriptorsBefore = OpenDescriptorCount();
    auto client = std::make_unique<Probe>();
    auto server = std::make_unique<Probe>();
    {
        SocketLoop loop({backend});
        Probe listener;
        ConnectPair(loop, listener, *client, *server);
        BOOST_CHECK(client->Loop() == &loop);
        BOOST_CHECK(server->Loop() == &loop);
        BOOST_CHECK_EQUAL(loop.SocketCount(), 3u);
        listener.Close();
        BOOST_CHECK_EQUAL(loop.SocketCount(), 2u);
    }
    BOOST_CHECK(SocketLoop::Current() == nullptr);
    BOOST_CHECK(client->Loop() == nullptr);
    BOOST_CHECK(server->Loop() == nullptr);

    // The descriptors are still the sockets' own and still connected.
    int fd = client->Handle();
    BOOST_REQUIRE(fd != INVALID_SOCKET);
    SocketAddress peer;
    BOOST_CHECK(client->GetPeerName(peer));
    BOOST_CHECK_EQUAL(client->Send("x", 1), 1);

    client->Close();
    BOOST_CHECK_EQUAL(client->Handle(), INVALID_SOCKET);
    BOOST_CHECK_EQUAL(::fcntl(fd, F_GETFD), -1);
    client.reset();
    server.reset();  // destroyed without Close
    BOOST_CHECK_EQUAL(OpenDescriptorCount(), descriptorsBefore);
}

// Quit() is for Run(); a Quit left over while the loop runs by other means
// must not turn every later wait into a spin (a blocking Socket call waits
// with RunOnce).
BOOST_DATA_TEST_CASE(QuitOutsideRunDoesNotMakeWaitsSpin, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    loop.Quit();
    bool fired = false;
    loop.SetTimer(
        50ms, [&] { fired = true; }, false);
    int iterations = 0;
    BOOST_REQUIRE(loop.RunUntil(
        [&] {
            ++iterations;
            return fired;
        },
        kDeadline));
    // Waiting for the timer takes one or two iterations; a spin takes thousands.
    BOOST_CHECK_LT(iterations, 10);
    // And the Quit still ends the next Run.
    loop.Run();
}

BOOST_AUTO_TEST_CASE(ForThisThreadWithOptionsCreatesOnceThenReturnsTheSameLoop) {
    SocketLoop* first = nullptr;
    SocketLoop* second = nullptr;
    SocketLoop::Backend firstBackend{}, secondBackend{};
    std::thread thread([&] {
        first = &SocketLoop::ForThisThread({SocketLoop::Backend::Poll});
        firstBackend = first->GetBackend();
        second = &SocketLoop::ForThisThread({SocketLoop::Backend::Select});
        secondBackend = second->GetBackend();
    });
    thread.join();
    BOOST_TEST(first == second);
    BOOST_TEST(firstBackend == SocketLoop::Backend::Poll);
    BOOST_TEST(secondBackend == SocketLoop::Backend::Poll);
}

BOOST_AUTO_TEST_SUITE_END()
