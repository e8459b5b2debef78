// SocketLoop::SetExceptionHandler (SPEC 2): an exception that escapes a
// notification, a timer or a task goes to the handler and the loop carries on
// with the rest, as MFC's window procedure reports and keeps pumping; without
// a handler it leaves RunOnce as before.
#include "TestSupport.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

std::string What(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "?";
    }
}

}  // namespace

BOOST_DATA_TEST_CASE(EveryKindOfCallbackReportsAndTheLoopGoesOn, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    std::vector<std::string> reported;
    loop.SetExceptionHandler([&](std::exception_ptr error) { reported.push_back(What(error)); });

    // A half message and a hang-up: CHATSRVR's OnReceive throws on it.
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    server.onReceive = [](Probe&) { throw std::runtime_error("notification"); };
    bool laterTimerRan = false, laterTaskRan = false;
    loop.SetTimer(
        std::chrono::milliseconds(0), [] { throw std::runtime_error("timer"); }, false);
    loop.SetTimer(
        std::chrono::milliseconds(0), [&] { laterTimerRan = true; }, false);
    loop.Post([] { throw std::runtime_error("task"); });
    loop.Post([&] { laterTaskRan = true; });
    BOOST_REQUIRE_EQUAL(client.Send("half", 4), 4);

    BOOST_REQUIRE_NO_THROW(
        BOOST_REQUIRE(RunUntil(loop, [&] { return reported.size() == 3 && laterTaskRan; })));
    BOOST_CHECK(laterTimerRan);
    BOOST_CHECK_EQUAL(std::count(reported.begin(), reported.end(), "notification"), 1);
    BOOST_CHECK_EQUAL(std::count(reported.begin(), reported.end(), "timer"), 1);
    BOOST_CHECK_EQUAL(std::count(reported.begin(), reported.end(), "task"), 1);

    // The socket that threw still gets its notifications.
    server.onReceive = nullptr;
    std::string got;
    Drain(server, got);
    BOOST_CHECK_EQUAL(got, "half");
    client.Close();
    BOOST_CHECK(RunUntil(loop, [&] { return server.counts.close == 1; }));
}

BOOST_DATA_TEST_CASE(WithoutAHandlerTheExceptionLeavesRunOnce, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    loop.SetExceptionHandler([](std::exception_ptr) {});
    loop.SetExceptionHandler(nullptr);
    bool laterTaskRan = false;
    loop.Post([] { throw std::runtime_error("task"); });
    loop.Post([&] { laterTaskRan = true; });
    BOOST_CHECK_THROW(loop.RunOnce(std::chrono::milliseconds(0)), std::runtime_error);
    BOOST_CHECK(!laterTaskRan);
    loop.RunOnce(std::chrono::milliseconds(0));
    BOOST_CHECK(laterTaskRan);
}

BOOST_AUTO_TEST_CASE(OnlyTheOwnerThreadSetsTheHandler) {
    SocketLoop loop;
    bool refused = false;
    std::thread other([&] {
        try {
            loop.SetExceptionHandler([](std::exception_ptr) {});
        } catch (const std::logic_error&) {
            refused = true;
        }
    });
    other.join();
    BOOST_CHECK(refused);
}
