// TLS keeps section 3's notification rules (SPEC section 9): OnConnect after
// the handshake, OnReceive for application bytes only (also when they wait
// decrypted inside OpenSSL), OnSend after a blocked Send drains, OnClose(0)
// for close_notify and ECONNABORTED for a truncation. On every backend.
#include "TlsSupport.h"

#include <sys/ioctl.h>

#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(TlsNotification)

BOOST_DATA_TEST_CASE(HandshakeComesBeforeOnConnectAndOnSend, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);

    std::optional<TlsInfo> info = GetTlsInfo(client);
    BOOST_REQUIRE(info);
    BOOST_CHECK(info->established);
    BOOST_CHECK_EQUAL(info->version, "TLSv1.3");
    BOOST_CHECK(info->peerVerified);
    BOOST_CHECK_EQUAL(info->peerFingerprint,
                      PublicKeyFingerprint(Pki().server.certificate.c_str()));
    BOOST_CHECK_EQUAL(info->verifyMessage, "ok");
    std::optional<TlsInfo> serverInfo = GetTlsInfo(server);
    BOOST_REQUIRE(serverInfo);
    BOOST_CHECK_EQUAL(serverInfo->serverName, "localhost");
    BOOST_CHECK(!GetTlsInfo(listener));

    // Application bytes go both ways, encrypted on the wire.
    BOOST_REQUIRE_EQUAL(client.Send("hello", 5), 5);
    std::string got;
    server.onReceive = [&](Probe& self) { Drain(self, got); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return got == "hello"; }));
    BOOST_REQUIRE_EQUAL(server.Send("world", 5), 5);
    std::string back;
    client.onReceive = [&](Probe& self) { Drain(self, back); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return back == "world"; }));
    BOOST_CHECK_EQUAL(client.order.front(), "connect");
}

// TLS 1.3 servers send session tickets after the handshake: records that
// make the descriptor readable but carry no application byte.
BOOST_DATA_TEST_CASE(TicketsAloneGiveNoOnReceive, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);
    // Until the tickets were read off the client's descriptor.
    BOOST_REQUIRE(RunUntil(loop, [&] {
        int waiting = 0;
        return ::ioctl(client.Handle(), FIONREAD, &waiting) == 0 && waiting == 0 &&
               client.counts.send > 0;
    }));
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.receive, 0);

    BOOST_REQUIRE_EQUAL(server.Send("x", 1), 1);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive > 0; }));
    BOOST_CHECK_EQUAL(client.counts.receive, 1);
}

// 200 records in one burst, read 3 bytes per OnReceive: most of them wait
// decrypted inside OpenSSL with nothing on the descriptor, and each must
// still produce the next OnReceive.
BOOST_DATA_TEST_CASE(ABurstOfSmallRecordsIsReadThreeBytesAtATime, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);

    std::string sent;
    for (int i = 0; i < 200; ++i) {
        std::string record = "record " + std::to_string(i) + ";";
        BOOST_REQUIRE_EQUAL(server.Send(record.data(), static_cast<int>(record.size())),
                            static_cast<int>(record.size()));
        sent += record;
    }
    std::string got;
    client.onReceive = [&](Probe& self) {
        char buffer[3];
        int n = self.Receive(buffer, sizeof buffer);
        if (n > 0) {
            got.append(buffer, static_cast<std::size_t>(n));
        }
    };
    BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return got.size() == sent.size(); }),
                          "stalled after " << got.size() << " of " << sent.size() << " bytes");
    BOOST_CHECK(got == sent);
}

// Half a record waits for the rest like any other input: OpenSSL holds the
// bytes, but nothing can be read until more arrive, so the loop must sleep
// rather than report the socket readable again and again (a peer could make
// a server spin for free).
BOOST_DATA_TEST_CASE(HalfARecordLetsTheLoopSleep, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);
    server.onReceive = [](Probe& self) {
        char buffer[64];
        self.Receive(buffer, sizeof buffer);
    };
    // The client sends the header of a 64-byte application-data record and 10
    // of its bytes, in clear, under the TLS layer.
    BOOST_REQUIRE(client.TakeFilter() != nullptr);
    const char partial[] =
        "\x17\x03\x03\x00\x40"
        "0123456789";
    BOOST_REQUIRE_EQUAL(client.Send(partial, sizeof partial - 1), 15);
    BOOST_REQUIRE(RunUntil(loop, [&] {
        int waiting = -1;
        return ::ioctl(server.Handle(), FIONREAD, &waiting) == 0 && waiting == 0;
    }));
    int busy = 0;
    for (int i = 0; i < 5; ++i) {
        busy += loop.RunOnce(std::chrono::milliseconds(20)) > 0 ? 1 : 0;
    }
    BOOST_CHECK_LE(busy, 1);  // at most the iteration that found it incomplete
    BOOST_CHECK_EQUAL(server.counts.close, 0);
}

BOOST_DATA_TEST_CASE(CloseNotifyEndsCleanlyAfterTheLastByte, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);

    BOOST_REQUIRE_EQUAL(server.Send("last words", 10), 10);
    BOOST_REQUIRE(server.ShutDown(AsyncSocket::sends));
    std::string got;
    int receivedAtClose = -1;
    client.onReceive = [&](Probe& self) {
        char buffer[4];
        int n = self.Receive(buffer, sizeof buffer);
        if (n > 0) {
            got.append(buffer, static_cast<std::size_t>(n));
        }
    };
    client.onClose = [&](Probe&) { receivedAtClose = static_cast<int>(got.size()); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.close > 0; }));
    BOOST_CHECK_EQUAL(client.closeError, 0);
    BOOST_CHECK_EQUAL(receivedAtClose, 10);
    BOOST_CHECK_EQUAL(got, "last words");

    // The other direction still works after a half close, then Close ends it.
    BOOST_REQUIRE_EQUAL(client.Send("bye", 3), 3);
    std::string reply;
    server.onReceive = [&](Probe& self) { Drain(self, reply); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return reply == "bye"; }));
    client.Close();
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close > 0; }));
    BOOST_CHECK_EQUAL(server.closeError, 0);
}

// A connection cut without close_notify is a truncation, never a clean end:
// an attacker who injects a FIN must not make a cut-off message look whole.
BOOST_DATA_TEST_CASE(ACutWithoutCloseNotifyIsECONNABORTED, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);

    BOOST_REQUIRE_EQUAL(server.Send("partial", 7), 7);
    BOOST_REQUIRE(server.TakeFilter() != nullptr);  // the TLS layer is gone: no close_notify
    server.Close();
    std::string got;
    client.onReceive = [&](Probe& self) { Drain(self, got); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.close > 0; }));
    BOOST_CHECK_EQUAL(client.closeError, ECONNABORTED);
    BOOST_CHECK_EQUAL(got, "partial");
}

// Send fills the pipe while the peer does not read; once it does, OnSend
// comes and every byte arrives once, in order.
BOOST_DATA_TEST_CASE(ABlockedSendResumesWithOnSend, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    TlsPair(loop, listener, client, server, clientContext, serverContext);
    BOOST_REQUIRE(client.SetSendBufferSize(4096));

    std::string chunk(1000, '\0');
    std::string sent;
    auto fill = [&] {
        for (;;) {
            for (char& c : chunk) {
                c = static_cast<char>('a' + sent.size() % 26);
                sent.push_back(c);
            }
            int n = client.Send(chunk.data(), static_cast<int>(chunk.size()));
            if (n < 0) {
                sent.resize(sent.size() - chunk.size());
                return AsyncSocket::GetLastError();
            }
            sent.resize(sent.size() - chunk.size() + static_cast<std::size_t>(n));
        }
    };
    BOOST_REQUIRE_EQUAL(fill(), EWOULDBLOCK);
    int sendsBefore = client.counts.send;

    // The server reads only now; the OnReceive it got before went unanswered.
    std::string got;
    server.onReceive = [&](Probe& self) { Drain(self, got); };
    Drain(server, got);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.send > sendsBefore; }));
    BOOST_REQUIRE_EQUAL(client.Send("end", 3), 3);
    sent += "end";
    BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return got.size() == sent.size(); }),
                          "got " << got.size() << " of " << sent.size());
    BOOST_CHECK(got == sent);
}

BOOST_DATA_TEST_CASE(DeletingASocketInsideItsNotificationIsSafe, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, server;
    auto client = std::make_unique<Probe>();
    TlsPair(loop, listener, *client, server, clientContext, serverContext);
    client->onReceive = DeleteSelf(client);
    for (int i = 0; i < 20; ++i) {
        BOOST_REQUIRE_EQUAL(server.Send("0123456789", 10), 10);
    }
    BOOST_REQUIRE(RunUntil(loop, [&] { return client == nullptr; }));
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close > 0; }));
    BOOST_CHECK_EQUAL(server.closeError, 0);  // Close sent close_notify
}

BOOST_DATA_TEST_CASE(CloseDuringTheHandshakeEndsIt, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    TlsContext serverContext = TestServerContext();
    Probe listener, client, server;
    unsigned port = Listen(listener);
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(client, clientContext, "localhost"));
    client.Connect("127.0.0.1", port);
    AcceptNext(loop, listener, server);
    BOOST_REQUIRE(StartTls(server, serverContext));
    // The client's hello has left; close before the server answers.
    client.Close();
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close > 0; }));
    BOOST_CHECK_EQUAL(server.closeError, EPROTO);
    BOOST_CHECK_EQUAL(client.counts.connect, 0);
    BOOST_CHECK_EQUAL(server.counts.send, 0);
}

BOOST_AUTO_TEST_SUITE_END()
