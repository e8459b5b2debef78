// `openssl s_client`, a client no one here wrote, against xsock's TLS server,
// on every backend: an echo that s_client verifies against the test CA and
// ends with close_notify; a client certificate the server requires and reads
// (and a client without one refused); and a TLS 1.0 only client refused with
// a message that names the version problem, after which the server goes on
// serving the next client.
#include "ExternalPeer.h"
#include "TlsEchoServer.h"

#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace interop {

// s_client connecting to `port`, checking the server's certificate against
// the test CA and the name "localhost", and printing only the bytes it
// receives; the end of its input ends the connection with close_notify.
inline std::vector<std::string> ClientCommand(unsigned port,
                                              const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"openssl",
                                     "s_client",
                                     "-connect",
                                     "127.0.0.1:" + std::to_string(port),
                                     "-CAfile",
                                     Pki().caCertificate,
                                     "-servername",
                                     "localhost",
                                     "-verify_hostname",
                                     "localhost",
                                     "-verify_return_error",
                                     "-quiet",
                                     "-no_ign_eof"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// One s_client that sends a line, reads its echo and leaves with close_notify.
inline void Echo(SocketLoop& loop, TlsEchoServer& server, const std::vector<std::string>& extra,
                 const std::string& line) {
    std::size_t before = server.Connections().size();
    ExternalPeer client(ClientCommand(server.Port(), extra), "openssl");
    client.Write(line);
    client.WaitForOutput(loop, line);
    client.CloseInput();
    BOOST_CHECK_EQUAL(client.WaitExit(loop), 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.Ended(before + 1); }));
    const TlsEchoServer::Connection& connection = *server.Connections()[before];
    BOOST_CHECK_EQUAL(connection.received, line);
    BOOST_CHECK_EQUAL(connection.closeError, 0);  // s_client's close_notify
}

}  // namespace interop

using namespace interop;

BOOST_AUTO_TEST_SUITE(TlsOpenSslClient)

BOOST_DATA_TEST_CASE(EchoesAndEndsWithCloseNotify, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    TlsEchoServer server(context);
    Echo(loop, server, {}, "hello from s_client\n");

    const TlsEchoServer::Connection& connection = *server.Connections().front();
    BOOST_REQUIRE(connection.info);
    BOOST_CHECK(connection.info->established);
    BOOST_CHECK_EQUAL(connection.info->version, "TLSv1.3");
    BOOST_CHECK_EQUAL(connection.info->serverName, "localhost");
    BOOST_CHECK(connection.info->peerFingerprint.empty());  // no client certificate asked for
}

BOOST_DATA_TEST_CASE(TheServerRequiresAndReadsAClientCertificate, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    context.RequestPeerCertificate(true);
    BOOST_REQUIRE(context.AddCertificateAuthority(Pki().caCertificate.c_str()));
    TlsEchoServer server(context);

    // Without a certificate: refused, and the reason says so.
    {
        ExternalPeer client(ClientCommand(server.Port()), "openssl");
        client.Write("nobody\n");
        BOOST_REQUIRE(RunUntil(loop, [&] { return server.Ended(1); }));
        const TlsEchoServer::Connection& refused = *server.Connections().front();
        BOOST_CHECK_EQUAL(refused.closeError, EPROTO);
        BOOST_CHECK_MESSAGE(refused.closeMessage.find("certificate") != std::string::npos,
                            "the reason: " << refused.closeMessage);
        BOOST_CHECK(refused.received.empty());
        BOOST_CHECK_NE(client.WaitExit(loop), 0);
        BOOST_CHECK(client.Output().find("nobody") == std::string::npos);
    }

    Echo(loop, server, {"-cert", Pki().client.certificate, "-key", Pki().client.key},
         "with a certificate\n");
    const TlsEchoServer::Connection& accepted = *server.Connections().back();
    BOOST_REQUIRE(accepted.info);
    BOOST_CHECK_EQUAL(accepted.info->peerFingerprint,
                      PublicKeyFingerprint(Pki().client.certificate.c_str()));
    BOOST_CHECK(accepted.info->peerVerified);
    BOOST_CHECK_EQUAL(accepted.info->verifyMessage, "ok");
    BOOST_CHECK(accepted.info->peerSubject.find("xsock test client") != std::string::npos);
}

BOOST_DATA_TEST_CASE(ATls10ClientIsRefusedAndTheServerServesTheNext, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    TlsEchoServer server(context);

    {
        // SECLEVEL=0, or this OpenSSL would not even offer TLS 1.0.
        ExternalPeer client(
            ClientCommand(server.Port(), {"-tls1", "-cipher", "DEFAULT@SECLEVEL=0"}), "openssl");
        BOOST_REQUIRE(RunUntil(loop, [&] { return server.Ended(1); }));
        const TlsEchoServer::Connection& refused = *server.Connections().front();
        BOOST_CHECK_EQUAL(refused.closeError, EPROTO);
        BOOST_CHECK_MESSAGE(refused.closeMessage.find("unsupported protocol") != std::string::npos,
                            "the reason: " << refused.closeMessage);
        BOOST_CHECK(!refused.info);
        BOOST_CHECK_NE(client.WaitExit(loop), 0);
        // The server told the client why, with a protocol_version alert.
        BOOST_CHECK_MESSAGE(client.Errors().find("alert protocol version") != std::string::npos,
                            client.Transcript());
    }

    Echo(loop, server, {}, "the next client\n");
}

BOOST_AUTO_TEST_SUITE_END()
