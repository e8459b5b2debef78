// SocketLoop::NativeHandle (SPEC section 2): on epoll and uring, a descriptor
// a host loop can poll that is readable exactly when the loop has work; on
// select and poll, -1.
#include "Fixtures.h"
#include "TestSupport.h"
#include "TimerSupport.h"

#include <array>
#include <chrono>
#include <thread>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

namespace {

const std::array<SocketLoop::Backend, 2> kBackendsWithoutHandle = {SocketLoop::Backend::Select,
                                                                   SocketLoop::Backend::Poll};

}  // namespace

BOOST_AUTO_TEST_SUITE(LoopNativeHandle)

#ifdef __linux__
BOOST_DATA_TEST_CASE(NativeHandlePollsReadableExactlyWhenTheLoopHasWork,
                     data::make(WithUring({SocketLoop::Backend::Epoll})), backend) {
    SocketLoop loop({backend});
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

BOOST_AUTO_TEST_SUITE_END()
