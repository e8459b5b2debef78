// SocketLoop (SPEC section 2): Post and Quit from other threads wake a loop
// that is blocked in its wait, no wake-up is ever lost, and Quit ends Run
// only, whenever it comes.
#include "TestSupport.h"
#include "TimerSupport.h"
#include "Watchdog.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <string>
#include <thread>
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

}  // namespace

BOOST_AUTO_TEST_SUITE(LoopWake)

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

// A worker thread that destroys its loop as soon as Run returns, as a thread
// pool does: the Quit (or the Post whose task quits) that ends Run comes from
// another thread, and must be done with the loop before the destructor frees
// it. Under ThreadSanitizer a call that still touches the loop afterwards is a
// reported race; without it, a use after free that ASan can see.
BOOST_DATA_TEST_CASE(ALoopDestroyedWhenRunEndsOutlivesTheCallThatEndedIt,
                     data::make(kAllBackends) * data::make({false, true}), backend, byPost) {
    constexpr int kRounds = 200;
    for (int round = 0; round < kRounds; ++round) {
        std::promise<SocketLoop*> created;
        std::future<SocketLoop*> ready = created.get_future();
        std::atomic<bool> ended{false};
        std::thread worker([&] {
            SocketLoop loop({backend});
            // Busy, so that it sees the Quit at once rather than when woken.
            std::function<void()> spin = [&] { loop.Post(spin); };
            loop.Post(spin);
            created.set_value(&loop);
            loop.Run();
            ended.store(true);
        });
        SocketLoop* loop = ready.get();
        if (byPost) {
            loop->Post([loop] { loop->Quit(); });
        } else {
            loop->Quit();
        }
        worker.join();
        BOOST_REQUIRE(ended.load());
    }
}

BOOST_AUTO_TEST_SUITE_END()
