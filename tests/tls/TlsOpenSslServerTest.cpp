// xsock's TLS client against `openssl s_server`, a server no one here wrote:
// the handshake, bytes both ways, and TLS 1.3 KeyUpdates in the middle of the
// stream (s_server sends one for a line "k", one that asks for ours in return
// for "K"), after which bytes keep flowing both ways and the key update
// records gave no OnReceive of their own. For AsyncSocket and the blocking
// Socket, on every backend. s_server's -msg output names every handshake
// message it sends (">>>") and receives ("<<<").
#include "ExternalPeer.h"
#include "TlsSupport.h"

#include <xsock/Socket.h>

#include <sys/ioctl.h>

#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace interop {

inline const std::string kSentKeyUpdate = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate";
inline const std::string kReceivedKeyUpdate = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate";

inline std::size_t Occurrences(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++count;
    }
    return count;
}

// s_server on a kernel-chosen loopback port with the test PKI's server
// certificate; it prints received bytes and sends the lines it reads.
class OpenSslServer {
  public:
    explicit OpenSslServer(SocketLoop& loop)
        : loop_(loop),
          peer_({"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", Pki().server.certificate,
                 "-key", Pki().server.key, "-msg", "-naccept", "1"},
                "openssl"),
          port_(PortAfter(loop, peer_, "ACCEPT 127.0.0.1:")) {}

    unsigned Port() const noexcept { return port_; }

    // s_server ends after its one connection; "DONE" is what it prints for
    // a close_notify (a cut or a failure prints "ERROR").
    void ExpectOrderlyEnd() {
        BOOST_CHECK_EQUAL(peer_.WaitExit(loop_), 0);
        BOOST_CHECK_MESSAGE(peer_.Output().find("\nDONE\n") != std::string::npos &&
                                peer_.Output().find("ERROR") == std::string::npos,
                            "no orderly end; " << peer_.Transcript());
    }
    ExternalPeer& Peer() noexcept { return peer_; }

    // Sends a KeyUpdate ("K": one that asks for ours) and waits until it left.
    void UpdateKeys(const char* command) {
        std::size_t before = Occurrences(peer_.Output(), kSentKeyUpdate);
        peer_.Write(std::string(command) + "\n");
        BOOST_REQUIRE_MESSAGE(
            RunUntil(loop_, [&] { return Occurrences(peer_.Output(), kSentKeyUpdate) > before; }),
            "s_server sent no KeyUpdate; " << peer_.Transcript());
    }

  private:
    SocketLoop& loop_;
    ExternalPeer peer_;
    unsigned port_;
};

}  // namespace interop

using namespace interop;

BOOST_AUTO_TEST_SUITE(TlsOpenSslServer)

BOOST_DATA_TEST_CASE(AsyncSocketExchangesDataAndSurvivesKeyUpdates, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    OpenSslServer server(loop);
    TlsContext context = TestClientContext();
    Probe client;
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(client, context, "localhost"));
    bool started = client.Connect("127.0.0.1", server.Port());
    BOOST_REQUIRE(started || AsyncSocket::GetLastError() == EWOULDBLOCK);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_REQUIRE_MESSAGE(client.connectError == 0,
                          "handshake: " << AsyncSocket::GetLastErrorCode().message() << "; "
                                        << server.Peer().Transcript());
    std::optional<TlsInfo> info = GetTlsInfo(client);
    BOOST_REQUIRE(info);
    BOOST_CHECK_EQUAL(info->version, "TLSv1.3");
    BOOST_CHECK(info->peerVerified);

    std::string got;
    int empty = 0;  // OnReceives that found no byte to read
    client.onReceive = [&](Probe& self) {
        std::size_t before = got.size();
        Drain(self, got);
        empty += got.size() == before ? 1 : 0;
    };
    BOOST_REQUIRE_EQUAL(client.Send("ping from xsock\n", 16), 16);
    server.Peer().WaitForOutput(loop, "ping from xsock\n");
    server.Peer().Write("pong from s_server\n");
    BOOST_REQUIRE(RunUntil(loop, [&] { return got == "pong from s_server\n"; }));

    // Both key updates reach our descriptor (s_server reports a message
    // after writing it), and our side reads them off it: no OnReceive, since
    // no application byte came.
    int receives = client.counts.receive;
    server.UpdateKeys("k");
    server.UpdateKeys("K");
    BOOST_REQUIRE(RunUntil(loop, [&] {
        int waiting = 0;
        return ::ioctl(client.Handle(), FIONREAD, &waiting) == 0 && waiting == 0;
    }));
    Spin(loop);
    BOOST_CHECK_EQUAL(client.counts.receive, receives);
    BOOST_CHECK_EQUAL(got, "pong from s_server\n");

    // The new keys work in both directions, and the KeyUpdate s_server asked
    // for goes before our next bytes (RFC 8446, 4.6.3).
    server.Peer().Write("after the update\n");
    BOOST_REQUIRE(RunUntil(loop, [&] { return got == "pong from s_server\nafter the update\n"; }));
    BOOST_REQUIRE_EQUAL(client.Send("xsock after the update\n", 23), 23);
    server.Peer().WaitForOutput(loop, "xsock after the update\n");
    std::size_t answer = server.Peer().Output().find(kReceivedKeyUpdate);
    BOOST_CHECK(answer < server.Peer().Output().find("xsock after the update\n"));
    BOOST_CHECK_EQUAL(Occurrences(server.Peer().Output(), kReceivedKeyUpdate), 1u);
    BOOST_CHECK_EQUAL(empty, 0);

    // Our close_notify reaches s_server as an orderly end.
    client.Close();
    server.ExpectOrderlyEnd();
}

BOOST_DATA_TEST_CASE(BlockingSocketExchangesDataAndSurvivesKeyUpdates, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    OpenSslServer server(loop);
    TlsContext context = TestClientContext();
    Socket client;
    client.SetTimeout(kDeadline);
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(StartTls(client, context, "localhost"));
    BOOST_REQUIRE_MESSAGE(client.Connect("127.0.0.1", server.Port()),
                          "handshake: " << AsyncSocket::GetLastErrorCode().message() << "; "
                                        << server.Peer().Transcript());
    std::optional<TlsInfo> info = GetTlsInfo(client);
    BOOST_REQUIRE(info);
    BOOST_CHECK(info->established);

    // Reads until `expected` came, one blocking Receive at a time.
    auto receive = [&](const std::string& expected) {
        std::string got;
        char buffer[256];
        while (got.size() < expected.size()) {
            int n = client.Receive(buffer, sizeof buffer);
            BOOST_REQUIRE_MESSAGE(
                n > 0, "Receive gave " << n << ": " << AsyncSocket::GetLastErrorCode().message()
                                       << " after '" << got << "'");
            got.append(buffer, static_cast<std::size_t>(n));
        }
        BOOST_CHECK_EQUAL(got, expected);
    };

    BOOST_REQUIRE_EQUAL(client.Send("ping from xsock\n", 16), 16);
    server.Peer().WaitForOutput(loop, "ping from xsock\n");
    server.Peer().Write("pong from s_server\n");
    receive("pong from s_server\n");

    // The key updates wait on the descriptor until Receive reads them with
    // the bytes that follow; those come out whole, under the new keys.
    server.UpdateKeys("k");
    server.UpdateKeys("K");
    server.Peer().Write("after the update\n");
    receive("after the update\n");
    BOOST_REQUIRE_EQUAL(client.Send("xsock after the update\n", 23), 23);
    server.Peer().WaitForOutput(loop, "xsock after the update\n");
    BOOST_CHECK_EQUAL(Occurrences(server.Peer().Output(), kReceivedKeyUpdate), 1u);

    BOOST_REQUIRE(client.ShutDown(AsyncSocket::sends));
    server.ExpectOrderlyEnd();
}

BOOST_AUTO_TEST_SUITE_END()
