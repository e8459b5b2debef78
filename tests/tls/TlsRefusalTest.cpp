// What TLS refuses (SPEC section 9): bad certificates, wrong pins, garbage and
// handshakes that never finish, a missing client certificate. Each is EPROTO
// with a message that says why, and the server goes on serving others.
#include "Fixtures.h"
#include "TlsSupport.h"

#include <fstream>
#include <iterator>
#include <string>
#include <thread>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

namespace {

struct Outcome {
    int connectError = -1;
    std::string clientReason;
    int serverClose = -1;
    std::string serverReason;
};

// A client with `clientContext` meets a server with `serverContext`; returns
// how each side ended (the client's OnConnect, the server's OnClose).
Outcome Meet(SocketLoop& loop, TlsContext& clientContext, TlsContext& serverContext,
             const char* name = "localhost") {
    Outcome outcome;
    Probe listener, client, server;
    unsigned port = Listen(listener);
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(client, clientContext, name));
    client.onConnect = [&](Probe&) {
        outcome.clientReason = AsyncSocket::GetLastErrorCode().message();
    };
    server.onClose = [&](Probe&) {
        outcome.serverReason = AsyncSocket::GetLastErrorCode().message();
    };
    client.Connect("127.0.0.1", port);
    AcceptNext(loop, listener, server);
    BOOST_REQUIRE(StartTls(server, serverContext));
    BOOST_REQUIRE(RunUntil(loop, [&] {
        return client.counts.connect > 0 && (server.counts.close > 0 || server.counts.send > 0);
    }));
    outcome.connectError = client.connectError;
    outcome.serverClose = server.closeError;
    return outcome;
}

void ExpectRefused(const Outcome& outcome, const std::string& because) {
    BOOST_CHECK_EQUAL(outcome.connectError, EPROTO);
    BOOST_CHECK_MESSAGE(
        outcome.clientReason.find(because) != std::string::npos,
        "reason \"" << outcome.clientReason << "\" does not say \"" << because << "\"");
    BOOST_CHECK_EQUAL(outcome.serverClose, EPROTO);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(TlsRefusal)

BOOST_DATA_TEST_CASE(AnExpiredCertificateIsRefused, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext client = TestClientContext();
    TlsContext server = TestServerContext(Pki().expired);
    ExpectRefused(Meet(loop, client, server), "certificate has expired");
}

BOOST_DATA_TEST_CASE(ACertificateForAnotherNameIsRefused, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext client = TestClientContext();
    TlsContext server = TestServerContext(Pki().wrongName);
    ExpectRefused(Meet(loop, client, server), "mismatch");
    // The same certificate is good for the name it was made for.
    TlsContext rightName = TestClientContext();
    BOOST_CHECK_EQUAL(Meet(loop, rightName, server, "other.example").connectError, 0);
}

BOOST_DATA_TEST_CASE(AnUnknownAuthorityIsRefused, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext client = TestClientContext();
    TlsContext server = TestServerContext(Pki().stranger);
    ExpectRefused(Meet(loop, client, server), "unable to get local issuer certificate");
    // Without the test CA, the system's store does not know ours either.
    TlsContext bare = TlsContext::Client();
    TlsContext ours = TestServerContext();
    ExpectRefused(Meet(loop, bare, ours), "certificate verification failed");
}

BOOST_DATA_TEST_CASE(ThePinDecides, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext server = TestServerContext();
    // A pin for another key: refused although the CA vouches for the server.
    TlsContext wrong = TestClientContext();
    wrong.PinPeer(PublicKeyFingerprint(Pki().stranger.certificate.c_str()));
    ExpectRefused(Meet(loop, wrong, server), "pinned");
    // The right pin needs no CA, and takes any case and colons.
    TlsContext pinned = TlsContext::Client();
    std::string pin = PublicKeyFingerprint(Pki().stranger.certificate.c_str());
    BOOST_REQUIRE_EQUAL(pin.size(), 64u);
    std::string spelled;
    for (std::size_t i = 0; i < pin.size(); i += 2) {
        spelled += (i != 0 ? ":" : "") + pin.substr(i, 2);
    }
    for (char& c : spelled) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    pinned.PinPeer(spelled);
    TlsContext stranger = TestServerContext(Pki().stranger);
    BOOST_CHECK_EQUAL(Meet(loop, pinned, stranger, nullptr).connectError, 0);
    // Text that is no pin matches nothing.
    TlsContext garbled = TlsContext::Client();
    garbled.PinPeer("not a pin");
    ExpectRefused(Meet(loop, garbled, stranger, nullptr), "pinned");
}

BOOST_AUTO_TEST_CASE(AClientNeedsANameOrAPin) {
    SocketLoop loop;
    TlsContext client = TestClientContext();
    Probe socket;
    BOOST_REQUIRE(socket.Create());
    BOOST_CHECK(!StartTls(socket, client));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);
    BOOST_CHECK(StartTls(socket, client, "localhost"));
    BOOST_CHECK(!StartTls(socket, client, "localhost"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EALREADY);
    Probe listener;
    Listen(listener);
    TlsContext server = TestServerContext();
    BOOST_CHECK(!StartTls(listener, server));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);
}

// A socket belongs to its loop's thread: StartTls from another thread fails
// with EPERM and leaves the socket as it was.
BOOST_AUTO_TEST_CASE(StartTlsFromAnotherThreadIsRefused) {
    SocketLoop loop;
    TlsContext client = TestClientContext();
    Probe socket;
    BOOST_REQUIRE(socket.Create());
    bool started = true;
    int error = 0;
    std::thread other([&] {
        started = StartTls(socket, client, "localhost");
        error = AsyncSocket::GetLastError();
    });
    other.join();
    BOOST_CHECK(!started);
    BOOST_CHECK_EQUAL(error, EPERM);
    BOOST_CHECK(socket.Filter() == nullptr);
}

BOOST_DATA_TEST_CASE(GarbageAndSilenceAreRefusedAndTheServerGoesOn, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext serverContext = TestServerContext();
    serverContext.SetHandshakeTimeout(300ms);
    Probe listener;
    unsigned port = Listen(listener);

    // Plain text where a ClientHello belongs.
    RawSocket garbage;
    Probe first;
    std::string firstReason;
    first.onClose = [&](Probe&) { firstReason = AsyncSocket::GetLastErrorCode().message(); };
    AcceptRawPeer(loop, listener, port, garbage, first);
    BOOST_REQUIRE(StartTls(first, serverContext));
    garbage.SendAll("GET / HTTP/1.0\r\n\r\n");
    BOOST_REQUIRE(RunUntil(loop, [&] { return first.counts.close > 0; }));
    BOOST_CHECK_EQUAL(first.closeError, EPROTO);
    BOOST_CHECK_MESSAGE(firstReason.find("TLS") != std::string::npos, firstReason);

    // A peer that connects and says nothing: the handshake timer ends it.
    RawSocket silent;
    Probe second;
    std::string secondReason;
    second.onClose = [&](Probe&) { secondReason = AsyncSocket::GetLastErrorCode().message(); };
    AcceptRawPeer(loop, listener, port, silent, second);
    BOOST_REQUIRE(StartTls(second, serverContext));
    BOOST_REQUIRE(RunUntil(loop, [&] { return second.counts.close > 0; }));
    BOOST_CHECK_EQUAL(second.closeError, EPROTO);
    BOOST_CHECK_MESSAGE(secondReason.find("did not finish in time") != std::string::npos,
                        secondReason);

    // The listener still serves a real client.
    TlsContext clientContext = TestClientContext();
    Probe client, third;
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(client, clientContext, "localhost"));
    client.Connect("127.0.0.1", port);
    AcceptNext(loop, listener, third);
    BOOST_REQUIRE(StartTls(third, serverContext));
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_CHECK_EQUAL(client.connectError, 0);
}

BOOST_DATA_TEST_CASE(AClientHandshakeThatNeverEndsTimesOut, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext clientContext = TestClientContext();
    clientContext.SetHandshakeTimeout(300ms);
    // A listener whose queue completes the TCP connect, and which never answers.
    Probe listener, client;
    unsigned port = Listen(listener);
    std::string reason;
    client.onConnect = [&](Probe&) { reason = AsyncSocket::GetLastErrorCode().message(); };
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(client, clientContext, "localhost"));
    client.Connect("127.0.0.1", port);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_CHECK_EQUAL(client.connectError, EPROTO);
    BOOST_CHECK_MESSAGE(reason.find("did not finish in time") != std::string::npos, reason);
}

// A server that knows clients by key refuses a long certificate list before
// it parses it: each certificate parsed costs it a key decoding, and with
// OpenSSL's 100 KiB a stranger made it spend some 40 ms of CPU a connect.
BOOST_DATA_TEST_CASE(AServerThatKnowsClientsByKeyTakesNoLongChain, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    std::ifstream in(Pki().client.certificate);
    const std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const std::string chain = Pki().client.certificate + ".long";
    {
        std::ofstream out(chain);
        for (std::size_t size = 0; size < 40 * 1024; size += pem.size()) {
            out << pem;  // as DER, still well over 16 KiB and under 100 KiB
        }
    }
    for (bool pinned : {false, true}) {
        TlsContext server = TestServerContext();
        if (pinned) {
            server.PinPeer(PublicKeyFingerprint(Pki().client.certificate.c_str()));
        } else {
            server.AcceptAnyCertificate();
        }
        TlsContext longChain = TestClientContext();
        BOOST_REQUIRE(longChain.UseCertificate(chain.c_str(), Pki().client.key.c_str()));
        Outcome refused = Meet(loop, longChain, server);
        BOOST_CHECK_EQUAL(refused.serverClose, EPROTO);
        BOOST_CHECK_MESSAGE(
            refused.serverReason.find("excessive message size") != std::string::npos,
            refused.serverReason);

        TlsContext one = TestClientContext();
        BOOST_REQUIRE(
            one.UseCertificate(Pki().client.certificate.c_str(), Pki().client.key.c_str()));
        Probe listener, client, accepted;
        TlsPair(loop, listener, client, accepted, one, server);
        BOOST_CHECK_EQUAL(GetTlsInfo(accepted)->peerFingerprint,
                          PublicKeyFingerprint(Pki().client.certificate.c_str()));
    }
}

BOOST_DATA_TEST_CASE(ARequiredClientCertificateMustBeThere, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext server = TestServerContext();
    BOOST_REQUIRE(server.AddCertificateAuthority(Pki().caCertificate.c_str()));
    server.RequestPeerCertificate(true);

    TlsContext without = TestClientContext();
    Outcome refused = Meet(loop, without, server);
    BOOST_CHECK_EQUAL(refused.serverClose, EPROTO);
    BOOST_CHECK_MESSAGE(refused.serverReason.find("certificate") != std::string::npos,
                        refused.serverReason);

    TlsContext with = TestClientContext();
    BOOST_REQUIRE(with.UseCertificate(Pki().client.certificate.c_str(), Pki().client.key.c_str()));
    Probe listener, client, accepted;
    TlsPair(loop, listener, client, accepted, with, server);
    std::optional<TlsInfo> info = GetTlsInfo(accepted);
    BOOST_REQUIRE(info);
    BOOST_CHECK(info->peerVerified);
    BOOST_CHECK_EQUAL(info->peerFingerprint,
                      PublicKeyFingerprint(Pki().client.certificate.c_str()));
}

BOOST_AUTO_TEST_SUITE_END()
