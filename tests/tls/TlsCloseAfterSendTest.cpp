// Close (or destroying the socket) right after Send, on every backend: in
// clear text the kernel delivers every byte Send took, then the FIN; over TLS
// the records Send took but the descriptor did not yet take must leave too,
// then close_notify, so the peer reads everything and an orderly end.
#include "TlsSupport.h"

#include <memory>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace interop {

// Sends until Send reports EWOULDBLOCK: the Send before that one took bytes
// the full connection could not take at once. Returns what Send took.
inline std::string Fill(AsyncSocket& socket) {
    std::string sent;
    std::string piece(16384, '\0');
    for (;;) {
        for (std::size_t i = 0; i < piece.size(); ++i) {
            piece[i] = static_cast<char>('a' + (sent.size() + i) % 26);
        }
        int n = socket.Send(piece.data(), static_cast<int>(piece.size()));
        if (n < 0) {
            BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
            return sent;
        }
        sent.append(piece, 0, static_cast<std::size_t>(n));
    }
}

inline void ExpectEverythingThenCloseNotify(SocketLoop& loop, Probe& client,
                                            const std::string& sent) {
    std::string got;
    client.onReceive = [&](Probe& self) { Drain(self, got); };
    Drain(client, got);
    BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return client.counts.close > 0; }),
                          "no end after " << got.size() << " of " << sent.size() << " bytes");
    BOOST_CHECK_EQUAL(got.size(), sent.size());
    BOOST_CHECK(got == sent);
    BOOST_CHECK_EQUAL(client.closeError, 0);
}

}  // namespace interop

using namespace interop;

BOOST_AUTO_TEST_SUITE(TlsCloseAfterSend)

// A server that closes connections whose peers never read: each close that
// still holds TLS output keeps its descriptor while it drains, but no more
// than kMaxClosingFlushes of them at once, or such peers could exhaust the
// server's descriptors.
BOOST_DATA_TEST_CASE(ClosesThatWaitForSilentPeersAreBounded, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    const std::size_t kPairs = AsyncSocket::kMaxClosingFlushes + 16;
    Probe listener;
    std::vector<std::unique_ptr<Probe>> clients, servers;
    for (std::size_t i = 0; i < kPairs; ++i) {
        clients.push_back(std::make_unique<Probe>());
        servers.push_back(std::make_unique<Probe>());
        TlsPair(loop, listener, *clients.back(), *servers.back(), clientContext, serverContext);
        listener.Close();
        BOOST_REQUIRE(clients.back()->SetReceiveBufferSize(4096));
        BOOST_REQUIRE(servers.back()->SetSendBufferSize(4096));
    }
    // The clients never read, and no loop runs until the closes: output
    // stays behind in every server.
    for (const auto& server : servers) {
        Fill(*server);
        BOOST_REQUIRE(server->Filter()->HasPendingOutput());
    }
    const int before = OpenDescriptorCount();
    servers.clear();  // every one still holds output
    const int after = OpenDescriptorCount();
    BOOST_CHECK_GE(before - after, static_cast<int>(kPairs - AsyncSocket::kMaxClosingFlushes));
    // The ones that wait still deliver once their peers read.
    std::vector<std::string> got(kPairs);
    for (std::size_t i = 0; i < kPairs; ++i) {
        clients[i]->onReceive = [&got, i](Probe& self) { Drain(self, got[i]); };
        Drain(*clients[i], got[i]);
    }
    BOOST_REQUIRE(RunUntil(loop, [&] {
        for (const auto& client : clients) {
            if (client->counts.close == 0) {
                return false;
            }
        }
        return true;
    }));
    int clean = 0;
    for (const auto& client : clients) {
        clean += client->closeError == 0 ? 1 : 0;
    }
    BOOST_CHECK_GE(clean, static_cast<int>(AsyncSocket::kMaxClosingFlushes));
}

BOOST_DATA_TEST_CASE(CloseDeliversWhatSendTook, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);
    BOOST_REQUIRE(server.SetSendBufferSize(4096));

    std::string sent = Fill(server);
    server.Close();
    ExpectEverythingThenCloseNotify(loop, client, sent);
}

BOOST_DATA_TEST_CASE(DestroyingTheSocketDeliversWhatSendTook, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client;
    auto server = std::make_unique<Probe>();
    TlsPair(loop, listener, client, *server, clientContext, serverContext);
    BOOST_REQUIRE(server->SetSendBufferSize(4096));

    std::string sent = Fill(*server);
    server.reset();
    ExpectEverythingThenCloseNotify(loop, client, sent);
}

// A zero linger still asks for an abortive close: nothing waits to be sent.
BOOST_DATA_TEST_CASE(AZeroLingerStillResets, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);
    BOOST_REQUIRE(server.SetSendBufferSize(4096));

    Fill(server);
    BOOST_REQUIRE(server.SetLinger(true, 0));
    server.Close();
    std::string got;
    client.onReceive = [&](Probe& self) { Drain(self, got); };
    Drain(client, got);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.close > 0; }));
    BOOST_CHECK(client.closeError == ECONNRESET || client.closeError == ECONNABORTED);
}

BOOST_AUTO_TEST_SUITE_END()
