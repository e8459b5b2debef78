// TLS beyond the handshake's defaults (SPEC section 9): SNI with a certificate
// chosen by name, ALPN, session resumption, addresses as names, STARTTLS on a
// connected socket (also with the client's first flight right behind the
// command), and a connection handed to another thread's loop after its
// handshake (LoopThreads), where it goes on as TLS.
#include "Fixtures.h"
#include "TlsSupport.h"

#include <xsock/LoopThreads.h>

#include <atomic>
#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(TlsFeature)

BOOST_DATA_TEST_CASE(TheServerChoosesItsCertificateByName, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext server = TestServerContext();
    BOOST_REQUIRE(server.AddServerName("*.example", Pki().alternate.certificate.c_str(),
                                       Pki().alternate.key.c_str()));
    for (const char* name : {"alt.example", "localhost"}) {
        TlsContext client = TestClientContext();
        Probe listener, socket, accepted;
        TlsPair(loop, listener, socket, accepted, client, server, name);
        std::optional<TlsInfo> info = GetTlsInfo(socket);
        BOOST_REQUIRE(info);
        std::string expected = std::string(name) == "localhost" ? "CN=localhost" : "CN=alt.example";
        BOOST_CHECK_MESSAGE(info->peerSubject.find(expected) != std::string::npos,
                            name << " got " << info->peerSubject);
        BOOST_CHECK_EQUAL(GetTlsInfo(accepted)->serverName, name);
    }
}

BOOST_DATA_TEST_CASE(AlpnPicksTheServersChoice, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext server = TestServerContext();
    server.SetAlpn({"http/1.1", "xsock/1"});
    TlsContext client = TestClientContext();
    client.SetAlpn({"h2", "xsock/1"});
    Probe listener, socket, accepted;
    TlsPair(loop, listener, socket, accepted, client, server);
    BOOST_CHECK_EQUAL(GetTlsInfo(socket)->alpn, "xsock/1");
    BOOST_CHECK_EQUAL(GetTlsInfo(accepted)->alpn, "xsock/1");
}

BOOST_DATA_TEST_CASE(ASecondConnectionResumesTheSession, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext server = TestServerContext();
    TlsContext client = TestClientContext();
    {
        Probe listener, socket, accepted;
        TlsPair(loop, listener, socket, accepted, client, server);
        BOOST_CHECK(!GetTlsInfo(socket)->resumed);
        // TLS 1.3 tickets come after the handshake; the client reads them with
        // the first application bytes.
        std::string got;
        socket.onReceive = [&](Probe& self) { Drain(self, got); };
        BOOST_REQUIRE_EQUAL(accepted.Send("ping", 4), 4);
        BOOST_REQUIRE(RunUntil(loop, [&] { return got == "ping"; }));
    }
    Probe listener, socket, accepted;
    TlsPair(loop, listener, socket, accepted, client, server);
    BOOST_CHECK(GetTlsInfo(socket)->resumed);
    BOOST_CHECK(GetTlsInfo(accepted)->resumed);

    // Not when the client turns resumption off.
    TlsContext fresh = TestClientContext();
    fresh.SetSessionResumption(false);
    Probe listener2, socket2, accepted2;
    TlsPair(loop, listener2, socket2, accepted2, fresh, server);
    BOOST_CHECK(!GetTlsInfo(socket2)->resumed);
}

BOOST_DATA_TEST_CASE(AnAddressIsCheckedAgainstTheCertificatesAddresses, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext server = TestServerContext();
    TlsContext client = TestClientContext();
    Probe listener, socket, accepted;
    TlsPair(loop, listener, socket, accepted, client, server, "127.0.0.1");
    BOOST_CHECK(GetTlsInfo(socket)->peerVerified);

    Probe listener2, socket2, accepted2;
    unsigned port = Listen(listener2);
    BOOST_REQUIRE(socket2.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(socket2, client, "127.0.0.2"));  // not in the certificate
    socket2.Connect("127.0.0.1", port);
    AcceptNext(loop, listener2, accepted2);
    BOOST_REQUIRE(StartTls(accepted2, server));
    BOOST_REQUIRE(RunUntil(loop, [&] { return socket2.counts.connect > 0; }));
    BOOST_CHECK_EQUAL(socket2.connectError, EPROTO);
}

// STARTTLS: the pair talks in clear, then both sides start TLS on their
// connected sockets; each gets OnSend(0) when its handshake is done.
BOOST_DATA_TEST_CASE(StartTlsOnAConnectedSocket, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    BOOST_REQUIRE_EQUAL(client.Send("STARTTLS\r\n", 10), 10);
    std::string command;
    server.onReceive = [&](Probe& self) { Drain(self, command); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return command == "STARTTLS\r\n"; }));
    server.onReceive = nullptr;

    TlsContext serverContext = TestServerContext();
    TlsContext clientContext = TestClientContext();
    int clientSends = client.counts.send;
    int serverSends = server.counts.send;
    BOOST_REQUIRE(StartTls(server, serverContext));
    BOOST_REQUIRE(StartTls(client, clientContext, "localhost"));
    BOOST_REQUIRE(RunUntil(loop, [&] {
        return client.counts.send > clientSends && server.counts.send > serverSends;
    }));
    BOOST_CHECK(GetTlsInfo(client)->established);
    BOOST_CHECK_EQUAL(client.counts.connect, 1);  // the TCP connect's, no second one

    std::string secret;
    server.onReceive = [&](Probe& self) { Drain(self, secret); };
    BOOST_REQUIRE_EQUAL(client.Send("secret", 6), 6);
    BOOST_REQUIRE(RunUntil(loop, [&] { return secret == "secret"; }));
}

// STARTTLS with the client's first flight right behind the command (as a
// client that does not wait for the server's go-ahead sends it): the server
// reads exactly the command in OnReceive, and TLS, started then, finds the
// ClientHello that arrived with it.
BOOST_DATA_TEST_CASE(StartTlsFindsTheClientHelloThatCameWithTheCommand,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server, "127.0.0.1", events);
    TlsContext serverContext = TestServerContext();
    TlsContext clientContext = TestClientContext();

    std::string command, secret;
    unsigned long waiting = 0;
    bool started = false;
    server.onReceive = [&](Probe& self) {
        if (command.empty()) {
            BOOST_REQUIRE(self.IOCtl(FIONREAD, &waiting));
            char buffer[9];
            int n = self.Receive(buffer, sizeof buffer);
            BOOST_REQUIRE_EQUAL(n, 9);
            command.assign(buffer, 9);
            started = StartTls(self, serverContext);
        } else {
            Drain(self, secret);
        }
    };
    std::string reply;
    client.onReceive = [&](Probe& self) { Drain(self, reply); };
    int clientSends = client.counts.send;
    int serverSends = server.counts.send;
    BOOST_REQUIRE_EQUAL(client.Send("STARTTLS\n", 9), 9);
    BOOST_REQUIRE(StartTls(client, clientContext, "localhost"));
    BOOST_REQUIRE(RunUntil(loop, [&] {
        return client.counts.send > clientSends && server.counts.send > serverSends;
    }));
    BOOST_CHECK_EQUAL(command, "STARTTLS\n");
    BOOST_CHECK_MESSAGE(waiting > 9, "only " << waiting << " bytes had come with the command");
    BOOST_CHECK(started);
    BOOST_CHECK(GetTlsInfo(client)->established);
    BOOST_CHECK(GetTlsInfo(server)->established);
    BOOST_CHECK_EQUAL(server.counts.close, 0);

    BOOST_REQUIRE_EQUAL(client.Send("ping", 4), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return secret.size() >= 4; }));
    BOOST_CHECK_EQUAL(secret, "ping");
    BOOST_REQUIRE_EQUAL(server.Send("pong", 4), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return reply.size() >= 4; }));
    BOOST_CHECK_EQUAL(reply, "pong");
}

// Peers known by key (pairing): any certificate passes the handshake, the
// application reads the key, and both ends derive the same keying material
// to bind a proof to the session.
BOOST_DATA_TEST_CASE(PeersKnownByTheirKeyAndBoundToTheSession, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext server = TestServerContext(Pki().stranger);  // a CA nobody trusts
    server.AcceptAnyCertificate();
    TlsContext client = TlsContext::Client();
    client.AcceptAnyCertificate();
    BOOST_REQUIRE(
        client.UseCertificate(Pki().wrongName.certificate.c_str(), Pki().wrongName.key.c_str()));
    Probe listener, socket, accepted;
    TlsPair(loop, listener, socket, accepted, client, server, "somewhere.else");
    std::optional<TlsInfo> info = GetTlsInfo(socket);
    BOOST_CHECK(!info->peerVerified);  // the application decides
    BOOST_CHECK_EQUAL(info->peerFingerprint,
                      PublicKeyFingerprint(Pki().stranger.certificate.c_str()));
    BOOST_CHECK_EQUAL(GetTlsInfo(accepted)->peerFingerprint,
                      PublicKeyFingerprint(Pki().wrongName.certificate.c_str()));

    std::string mine, theirs, other;
    BOOST_REQUIRE(ExportKeyingMaterial(socket, "EXPORTER-test", 32, mine));
    BOOST_REQUIRE(ExportKeyingMaterial(accepted, "EXPORTER-test", 32, theirs));
    BOOST_REQUIRE(ExportKeyingMaterial(accepted, "EXPORTER-other", 32, other));
    BOOST_CHECK_EQUAL(mine.size(), 32u);
    BOOST_CHECK(mine == theirs);
    BOOST_CHECK(mine != other);
    BOOST_CHECK(!ExportKeyingMaterial(listener, "EXPORTER-test", 32, mine));

    // A server that accepts any key still wants one.
    TlsContext anonymous = TlsContext::Client();
    anonymous.AcceptAnyCertificate();
    Probe listener2, socket2, accepted2;
    unsigned port = Listen(listener2);
    BOOST_REQUIRE(socket2.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(socket2, anonymous, "localhost"));
    socket2.Connect("127.0.0.1", port);
    AcceptNext(loop, listener2, accepted2);
    BOOST_REQUIRE(StartTls(accepted2, server));
    BOOST_REQUIRE(RunUntil(loop, [&] { return accepted2.counts.close > 0; }));
    BOOST_CHECK_EQUAL(accepted2.closeError, EPROTO);
}

namespace {

// Echoes what it receives, on whatever thread it was attached on.
class Echo : public AsyncSocket {
  public:
    std::atomic<int>* established = nullptr;

  protected:
    void OnReceive(int) override {
        char buffer[4096];
        int n = Receive(buffer, sizeof buffer);
        if (n > 0) {
            if (std::optional<TlsInfo> info = GetTlsInfo(*this); info && info->established) {
                established->fetch_add(1);
            }
            Send(buffer, n);
        }
    }
    void OnClose(int) override { Close(); }
};

thread_local std::vector<std::unique_ptr<Echo>> t_echoes;

}  // namespace

// The handshake happens on the accepting thread; the connection then moves to
// a worker's loop with its TLS state, as a server spreads connections.
BOOST_DATA_TEST_CASE(AConnectionHandedOverAfterItsHandshakeStaysTls, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    LoopThreads workers(2, {backend});
    TlsContext serverContext = TestServerContext();
    TlsContext clientContext = TestClientContext();
    std::atomic<int> established{0};
    std::atomic<int> attachFailures{0};
    constexpr int kClients = 4;
    std::vector<std::unique_ptr<Probe>> clients, accepted;
    Probe listener;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<Probe>());
        accepted.push_back(std::make_unique<Probe>());
        TlsPair(loop, listener, *clients.back(), *accepted.back(), clientContext, serverContext);
        listener.Close();
        // Boost.Test is for this thread only: the worker counts failures.
        BOOST_REQUIRE(workers.HandOver(*accepted.back(), [&](SOCKET handle) {
            auto& echo = t_echoes.emplace_back(std::make_unique<Echo>());
            echo->established = &established;
            if (!echo->Attach(handle)) {
                attachFailures.fetch_add(1);
            }
        }));
    }
    std::vector<std::string> replies(kClients);
    for (int i = 0; i < kClients; ++i) {
        std::string message = "hello from " + std::to_string(i);
        clients[static_cast<std::size_t>(i)]->onReceive = [&replies, i](Probe& self) {
            Drain(self, replies[static_cast<std::size_t>(i)]);
        };
        BOOST_REQUIRE(clients[static_cast<std::size_t>(i)]->Send(
                          message.data(), static_cast<int>(message.size())) > 0);
    }
    BOOST_REQUIRE(RunUntil(loop, [&] {
        for (int i = 0; i < kClients; ++i) {
            if (replies[static_cast<std::size_t>(i)] != "hello from " + std::to_string(i)) {
                return false;
            }
        }
        return true;
    }));
    BOOST_CHECK_EQUAL(established.load(), kClients);
    BOOST_CHECK_EQUAL(attachFailures.load(), 0);
    clients.clear();
    for (unsigned i = 0; i < workers.Size(); ++i) {
        workers.LoopAt(i).Post([] { t_echoes.clear(); });
    }
    workers.Stop();
}

BOOST_AUTO_TEST_CASE(AConnectionStillInItsHandshakeIsNotHandedOver) {
    SocketLoop loop;
    LoopThreads workers(1);
    TlsContext serverContext = TestServerContext();
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, Listen(listener), peer, server);
    BOOST_REQUIRE(StartTls(server, serverContext));
    BOOST_CHECK(!workers.HandOver(server, [](SOCKET) {}));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINPROGRESS);
    BOOST_CHECK(server.Handle() != INVALID_SOCKET);
}

BOOST_AUTO_TEST_SUITE_END()
