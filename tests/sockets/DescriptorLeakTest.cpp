// Sockets created and destroyed by the hundred give every descriptor back, on
// every loop backend: whole connect/accept/close cycles, sockets destroyed while
// their connect is still under way, and listeners destroyed with connections
// waiting in their backlog.
#include "Fixtures.h"
#include "TestSupport.h"

#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(DescriptorLeak)

BOOST_DATA_TEST_CASE(ConnectAcceptCloseCyclesLeakNoDescriptor, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    int before = OpenDescriptorCount();
    for (int cycle = 0; cycle < 500; ++cycle) {
        auto client = std::make_unique<Probe>();
        auto server = std::make_unique<Probe>();
        BOOST_REQUIRE(client->Create());
        client->Connect(SocketAddress::Loopback(AF_INET, port));
        AcceptNext(loop, listener, *server);
        BOOST_REQUIRE(RunUntil(loop, [&] { return client->counts.connect == 1; }));
        BOOST_REQUIRE_EQUAL(client->connectError, 0);
        BOOST_REQUIRE_EQUAL(client->Send("x", 1), 1);
        BOOST_REQUIRE(RunUntil(loop, [&] { return server->counts.receive == 1; }));
        std::string got;
        Drain(*server, got);
        BOOST_REQUIRE_EQUAL(got, "x");
        switch (cycle % 4) {
            case 0:  // destroyed, client first
                client.reset();
                server.reset();
                break;
            case 1:  // destroyed, server first
                server.reset();
                client.reset();
                break;
            case 2:  // closed, then destroyed
                client->Close();
                server->Close();
                break;
            case 3:  // the server deletes itself when it learns the client left
                server->onClose = DeleteSelf(server);
                client.reset();
                BOOST_REQUIRE(RunUntil(loop, [&] { return !server; }));
                break;
        }
    }
    Spin(loop);
    BOOST_CHECK_EQUAL(loop.SocketCount(), 1u);
    BOOST_CHECK_EQUAL(OpenDescriptorCount(), before);
}

BOOST_DATA_TEST_CASE(SocketsDestroyedWhileConnectingLeakNothing, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    int before = OpenDescriptorCount();
    {
        // A backlog of one that is never drained: after the first connections
        // fill it, later connects stay in progress in the kernel too.
        Probe listener;
        unsigned port = ListenWithBacklog(listener, 1);

        int notifications = 0;  // outside the objects, which are gone when it is read
        auto count = [&](Probe&) { ++notifications; };
        for (int round = 0; round < 4; ++round) {
            std::vector<std::unique_ptr<Probe>> clients;
            for (int i = 0; i < 100; ++i) {
                auto client = std::make_unique<Probe>();
                client->onConnect = client->onSend = client->onReceive = client->onClose = count;
                BOOST_REQUIRE(client->Create());
                BOOST_REQUIRE(!client->Connect(SocketAddress::Loopback(AF_INET, port)));
                BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
                clients.push_back(std::move(client));
            }
            if (round % 2 == 1) {
                Spin(loop, 3);  // let some of them hear how their connect went
            }
            clients.clear();
            int atDestruction = notifications;
            Spin(loop);
            BOOST_CHECK_EQUAL(notifications, atDestruction);
            BOOST_CHECK_EQUAL(loop.SocketCount(), 1u);
        }
    }
    Spin(loop);
    BOOST_CHECK_EQUAL(loop.SocketCount(), 0u);
    BOOST_CHECK_EQUAL(OpenDescriptorCount(), before);
}

BOOST_DATA_TEST_CASE(ListenersDestroyedWithPendingConnectionsLeakNothing, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    int before = OpenDescriptorCount();
    for (int round = 0; round < 20; ++round) {
        auto listener = std::make_unique<Probe>();
        unsigned port = Listen(*listener);
        std::vector<std::unique_ptr<Probe>> clients;
        for (int i = 0; i < 25; ++i) {
            clients.push_back(std::make_unique<Probe>());
            BOOST_REQUIRE(clients.back()->Create());
            clients.back()->Connect(SocketAddress::Loopback(AF_INET, port));
        }
        auto allConnected = [&] {
            for (const auto& client : clients) {
                if (client->counts.connect == 0) {
                    return false;
                }
            }
            return listener->counts.accept > 0;
        };
        BOOST_REQUIRE(RunUntil(loop, allConnected));
        for (const auto& client : clients) {
            BOOST_REQUIRE_EQUAL(client->connectError, 0);
        }
        // Some accepted, the rest still waiting in the backlog.
        std::vector<std::unique_ptr<Probe>> servers;
        for (int i = 0; i < round % 3; ++i) {
            servers.push_back(std::make_unique<Probe>());
            BOOST_REQUIRE(listener->Accept(*servers.back()));
        }
        listener.reset();

        // Every connection left in the backlog was reset with its listener.
        auto pendingOnesReset = [&] {
            int resets = 0;
            for (const auto& client : clients) {
                resets += client->counts.close;
            }
            return resets == static_cast<int>(clients.size() - servers.size());
        };
        BOOST_REQUIRE(RunUntil(loop, pendingOnesReset));
        for (const auto& client : clients) {
            if (client->counts.close == 1) {
                BOOST_CHECK_EQUAL(client->closeError, ECONNRESET);
            }
        }
        servers.clear();
        clients.clear();
    }
    Spin(loop);
    BOOST_CHECK_EQUAL(loop.SocketCount(), 0u);
    BOOST_CHECK_EQUAL(OpenDescriptorCount(), before);
}

BOOST_AUTO_TEST_SUITE_END()
