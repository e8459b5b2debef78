// AsyncSocket::FromHandle (SPEC sections 2 and 3): handle maps are per thread
// as in MFC; Detach and Close take a handle out of this thread's map, Attach
// puts it in.
//
// This file also runs under ThreadSanitizer: threads share only what thread
// start and join, a std::latch or SocketLoop::Post hand over, and only the
// test's own thread makes Boost.Test assertions.
#include "TestSupport.h"

#include <thread>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(FromHandle)

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

BOOST_AUTO_TEST_SUITE_END()
