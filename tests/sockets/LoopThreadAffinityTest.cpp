// SocketLoop thread ownership (SPEC section 2): a loop belongs to the thread
// that made it; running it or setting and killing its timers from another
// thread fails; one loop per thread, which ForThisThread finds or makes.
#include "TestSupport.h"
#include "TimerSupport.h"

#include <cerrno>
#include <stdexcept>
#include <thread>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(LoopThreadAffinity)

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
