// SocketLoop lifetime (SPEC section 2): sockets that outlive their loop keep
// their descriptors and connections, and can still be closed and destroyed.
#include "TestSupport.h"

#include <fcntl.h>

#include <memory>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(LoopLifetime)

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

BOOST_AUTO_TEST_SUITE_END()
