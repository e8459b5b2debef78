// SocketLoop timers (SPEC section 2): one-shot and repeating timers, zero
// intervals, KillTimer from the timer's own callback and with an unknown id,
// and deadline order.
#include "TestSupport.h"
#include "TimerSupport.h"

#include <vector>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(LoopTimer)

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

BOOST_AUTO_TEST_SUITE_END()
