// AsyncSocket::Detach (SPEC section 3): a detached descriptor stays open,
// working and unwatched, and the object no longer hears of it.
#include "Fixtures.h"
#include "TestSupport.h"

#include <xsock/Descriptor.h>

#include <poll.h>

#include <cerrno>
#include <memory>
#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// Waits, without running the loop, until `fd` has something to read.
bool WaitReadable(int fd) {
    pollfd watch{fd, POLLIN, 0};
    return ::poll(&watch, 1, static_cast<int>(kDeadline.count())) == 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Detach)

BOOST_DATA_TEST_CASE(DetachLeavesTheDescriptorOpenAndUnwatched, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client;
    auto server = std::make_unique<Probe>();
    ConnectPair(loop, listener, client, *server);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server->counts.send == 1; }));

    const std::size_t watched = loop.SocketCount();
    const SOCKET fd = server->Detach();
    BOOST_REQUIRE(fd != INVALID_SOCKET);
    Descriptor detached(fd);  // the test's own from here on
    BOOST_CHECK_EQUAL(loop.SocketCount(), watched - 1);
    BOOST_CHECK_EQUAL(server->Handle(), INVALID_SOCKET);
    BOOST_CHECK(server->Loop() == nullptr);
    BOOST_CHECK_EQUAL(server->Send("x", 1), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
    BOOST_CHECK_EQUAL(server->Detach(), INVALID_SOCKET);  // nothing left to detach

    // Data for the descriptor no longer reaches the old object...
    const Probe::Counts before = server->counts;
    BOOST_REQUIRE_EQUAL(client.Send("after detach", 12), 12);
    BOOST_REQUIRE(WaitReadable(fd));
    Spin(loop);
    BOOST_CHECK_EQUAL(server->counts.receive, before.receive);
    // ...and destroying the object leaves the descriptor open and working.
    server.reset();
    BOOST_REQUIRE(IsOpen(fd));
    char buffer[32];
    BOOST_REQUIRE_EQUAL(::recv(fd, buffer, sizeof buffer, 0), 12);
    BOOST_CHECK_EQUAL(std::string(buffer, 12), "after detach");
    BOOST_REQUIRE_EQUAL(::send(fd, "raw reply", 9, MSG_NOSIGNAL), 9);
    std::string got;
    BOOST_REQUIRE(RunUntil(loop, [&] {
        Drain(client, got);
        return got.size() >= 9;
    }));
    BOOST_CHECK_EQUAL(got, "raw reply");
    detached.Reset();
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.close == 1; }));
}

BOOST_AUTO_TEST_SUITE_END()
