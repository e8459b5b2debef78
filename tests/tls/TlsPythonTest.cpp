// Python's ssl module, a TLS stack no one here wrote, against xsock on every
// backend (the peer is tests/tls/peer.py): a Python client that verifies
// xsock's server against the test CA and the host name, and refuses servers
// that fail either check; and xsock's client against a Python server. Both
// ends close with close_notify each way.
#include "ExternalPeer.h"
#include "TlsEchoServer.h"

#include <filesystem>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace interop {

inline std::vector<std::string> PeerCommand(std::vector<std::string> args) {
    std::filesystem::path script = std::filesystem::path(__FILE__).parent_path() / "peer.py";
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(script), script << " is missing");
    args.insert(args.begin(), {"python3", "-I", script.string()});
    return args;
}

}  // namespace interop

using namespace interop;

BOOST_AUTO_TEST_SUITE(TlsPython)

BOOST_DATA_TEST_CASE(APythonClientVerifiesAndTalksToXsocksServer, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    TlsEchoServer server(context);
    ExternalPeer client(PeerCommand({"client", std::to_string(server.Port()), Pki().caCertificate,
                                     "localhost", "hello from python"}),
                        "python3");
    BOOST_CHECK_EQUAL(client.WaitExit(loop), 0);
    BOOST_CHECK_MESSAGE(
        client.Output() == "VERSION TLSv1.3\nECHO hello from python\nCLOSED CLEANLY\n",
        client.Transcript());

    // The server saw Python's close_notify after the line, and its own
    // close_notify (from Close in OnClose) let Python's unwrap finish.
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.Ended(1); }));
    const TlsEchoServer::Connection& connection = *server.Connections().front();
    BOOST_CHECK_EQUAL(connection.received, "hello from python\n");
    BOOST_CHECK_EQUAL(connection.closeError, 0);
    BOOST_REQUIRE(connection.info);
    BOOST_CHECK_EQUAL(connection.info->serverName, "localhost");
}

// The checks above are real: the same client refuses a certificate for
// another name and one from a CA it does not know, and xsock's server sees
// the refusal as a failed handshake.
BOOST_DATA_TEST_CASE(APythonClientRefusesAWrongNameAndAnUnknownCa, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    struct Case {
        const TestPki::Pair& identity;
        const char* reason;
    };
    for (const Case& refused : {Case{Pki().wrongName, "Hostname mismatch"},
                                Case{Pki().stranger, "unable to get local issuer certificate"}}) {
        TlsContext context = TestServerContext(refused.identity);
        TlsEchoServer server(context);
        ExternalPeer client(PeerCommand({"client", std::to_string(server.Port()),
                                         Pki().caCertificate, "localhost", "must not arrive"}),
                            "python3");
        BOOST_CHECK_EQUAL(client.WaitExit(loop), 2);
        BOOST_CHECK_MESSAGE(client.Output().find(std::string("REFUSED")) == 0 &&
                                client.Output().find(refused.reason) != std::string::npos,
                            client.Transcript());
        BOOST_REQUIRE(RunUntil(loop, [&] { return server.Ended(1); }));
        const TlsEchoServer::Connection& connection = *server.Connections().front();
        BOOST_CHECK_EQUAL(connection.closeError, EPROTO);
        BOOST_CHECK(connection.received.empty());
    }
}

BOOST_DATA_TEST_CASE(XsocksClientTalksToAPythonServer, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    ExternalPeer server(PeerCommand({"server", Pki().server.certificate, Pki().server.key}),
                        "python3");
    unsigned port = PortAfter(loop, server, "PORT ");

    TlsContext context = TestClientContext();
    Probe client;
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(client, context, "localhost"));
    bool started = client.Connect("127.0.0.1", port);
    BOOST_REQUIRE(started || AsyncSocket::GetLastError() == EWOULDBLOCK);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_REQUIRE_MESSAGE(
        client.connectError == 0,
        "handshake: " << AsyncSocket::GetLastErrorCode().message() << "; " << server.Transcript());
    std::optional<TlsInfo> info = GetTlsInfo(client);
    BOOST_REQUIRE(info);
    BOOST_CHECK(info->peerVerified);
    BOOST_CHECK_EQUAL(info->peerFingerprint,
                      PublicKeyFingerprint(Pki().server.certificate.c_str()));

    std::string got;
    int receivedAtClose = -1;
    client.onReceive = [&](Probe& self) { Drain(self, got); };
    client.onClose = [&](Probe& self) {
        receivedAtClose = static_cast<int>(got.size());
        self.Close();
    };
    BOOST_REQUIRE_EQUAL(client.Send("hello python\n", 13), 13);
    BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return client.counts.close > 0; }),
                          "got '" << got << "'; " << server.Transcript());
    BOOST_CHECK_EQUAL(client.closeError, 0);
    BOOST_CHECK_EQUAL(got, "python says: hello python\n");
    BOOST_CHECK_EQUAL(receivedAtClose, static_cast<int>(got.size()));

    BOOST_CHECK_EQUAL(server.WaitExit(loop), 0);
    BOOST_CHECK_MESSAGE(server.Output().find("VERSION TLSv1.3\n") != std::string::npos &&
                            server.Output().find("CLOSED CLEANLY\n") != std::string::npos,
                        server.Transcript());
}

BOOST_AUTO_TEST_SUITE_END()
