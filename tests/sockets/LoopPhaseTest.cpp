// SocketLoop (SPEC section 2): one iteration runs ready sockets, then due
// timers, then posted tasks; a task posted from a task waits for the next
// iteration; an exception from a task or a timer leaves RunOnce and the rest
// of the work runs next time.
#include "Fixtures.h"
#include "TestSupport.h"
#include "TimerSupport.h"

#include <stdexcept>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(LoopPhase)

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

BOOST_AUTO_TEST_SUITE_END()
