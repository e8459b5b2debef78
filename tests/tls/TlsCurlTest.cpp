// curl, an HTTPS client no one here wrote, fetching pages from a small HTTPS
// server built on xsock in the test (an AsyncSocket listener, StartTls after
// Accept, the request line parsed, an HTTP/1.1 200 answer), on every
// backend: a page by host name and by IP address (the certificate names
// both), ALPN choosing http/1.1, and curl refusing the server when it does
// not trust the test CA.
#include "ExternalPeer.h"
#include "TlsSupport.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace interop {

// Answers every GET with `body`, then closes the connection (Connection:
// close), as soon as Send has taken the last byte.
class HttpsServer {
  public:
    struct Exchange {
        Probe socket;
        std::string request;
        std::string requestLine;
        std::optional<TlsInfo> info;  // when the request came
        std::string response;
        std::size_t sent = 0;
        bool answered = false;  // the last byte went to Send, and Close followed
        int closeError = -1;    // OnClose before that
    };

    HttpsServer(TlsContext& context, std::string body, int sendBuffer = 0)
        : context_(context), body_(std::move(body)), sendBuffer_(sendBuffer) {
        port_ = Listen(listener_);
        listener_.onAccept = [this](Probe& listener) { Take(listener); };
    }

    static std::string Response(const std::string& status, const std::string& body) {
        return "HTTP/1.1 " + status +
               "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body;
    }

    // Each Send gets at most `piece` bytes.
    void SetPiece(std::size_t piece) noexcept { piece_ = piece; }

    unsigned Port() const noexcept { return port_; }
    const std::vector<std::unique_ptr<Exchange>>& Exchanges() const noexcept { return exchanges_; }

  private:
    void Take(Probe& listener) {
        auto exchange = std::make_unique<Exchange>();
        Exchange& e = *exchange;
        if (!listener.Accept(e.socket)) {
            return;
        }
        if (sendBuffer_ > 0) {
            BOOST_REQUIRE(e.socket.SetSendBufferSize(sendBuffer_));
        }
        BOOST_REQUIRE(StartTls(e.socket, context_));
        e.socket.onReceive = [this, &e](Probe& self) {
            Drain(self, e.request);
            std::size_t end = e.request.find("\r\n\r\n");
            if (end == std::string::npos || !e.response.empty()) {
                return;
            }
            e.requestLine = e.request.substr(0, e.request.find("\r\n"));
            e.info = GetTlsInfo(self);
            std::string status = e.requestLine.rfind("GET ", 0) == 0 ? "200 OK" : "405 Not Allowed";
            e.response = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " +
                         std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
            Push(e);
        };
        e.socket.onSend = [this, &e](Probe&) {
            if (!e.response.empty() && !e.answered) {
                Push(e);
            }
        };
        e.socket.onClose = [&e](Probe& self) {
            e.closeError = self.closeError;
            self.Close();
        };
        exchanges_.push_back(std::move(exchange));
    }

    // Sends what Send takes; OnSend brings the rest.
    void Push(Exchange& e) const {
        while (e.sent < e.response.size()) {
            std::size_t piece = std::min(e.response.size() - e.sent, piece_);
            int n = e.socket.Send(e.response.data() + e.sent, static_cast<int>(piece));
            if (n < 0) {
                BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
                return;
            }
            e.sent += static_cast<std::size_t>(n);
        }
        e.answered = true;
        e.socket.Close();
    }

    TlsContext& context_;
    std::string body_;
    int sendBuffer_;
    std::size_t piece_ = 1 << 20;
    Probe listener_;
    unsigned port_ = 0;
    std::vector<std::unique_ptr<Exchange>> exchanges_;
};

inline std::vector<std::string> Curl(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"curl", "--silent", "--show-error"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    return args;
}

inline std::string Url(const char* host, unsigned port, const char* path) {
    return std::string("https://") + host + ":" + std::to_string(port) + path;
}

}  // namespace interop

using namespace interop;

BOOST_AUTO_TEST_SUITE(TlsCurl)

BOOST_DATA_TEST_CASE(CurlFetchesAPageByName, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    HttpsServer server(context, "hello from xsock over TLS\n");
    unsigned port = server.Port();
    ExternalPeer curl(Curl(Url("localhost", port, "/hello?from=curl"),
                           {"--cacert", Pki().caCertificate, "--resolve",
                            "localhost:" + std::to_string(port) + ":127.0.0.1"}),
                      "curl");
    BOOST_CHECK_EQUAL(curl.WaitExit(loop), 0);
    BOOST_CHECK_MESSAGE(curl.Output() == "hello from xsock over TLS\n", curl.Transcript());

    BOOST_REQUIRE_EQUAL(server.Exchanges().size(), 1u);
    const HttpsServer::Exchange& exchange = *server.Exchanges().front();
    BOOST_CHECK_EQUAL(exchange.requestLine, "GET /hello?from=curl HTTP/1.1");
    BOOST_CHECK(exchange.answered);
    BOOST_REQUIRE(exchange.info);
    BOOST_CHECK_EQUAL(exchange.info->serverName, "localhost");
    BOOST_CHECK_EQUAL(exchange.info->alpn, "");  // the server offers none
}

// The certificate names 127.0.0.1 as an IP address; curl sends no SNI for it.
// With ALPN on the server, the handshake chooses http/1.1 from curl's offer.
BOOST_DATA_TEST_CASE(CurlFetchesAPageByAddressWithAlpn, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    context.SetAlpn({"http/1.1"});
    HttpsServer server(context, "negotiated\n");
    ExternalPeer curl(Curl(Url("127.0.0.1", server.Port(), "/"),
                           {"--cacert", Pki().caCertificate, "--write-out", "%{http_version}"}),
                      "curl");
    BOOST_CHECK_EQUAL(curl.WaitExit(loop), 0);
    BOOST_CHECK_MESSAGE(curl.Output() == "negotiated\n1.1", curl.Transcript());

    BOOST_REQUIRE_EQUAL(server.Exchanges().size(), 1u);
    const HttpsServer::Exchange& exchange = *server.Exchanges().front();
    BOOST_CHECK_EQUAL(exchange.requestLine, "GET / HTTP/1.1");
    BOOST_REQUIRE(exchange.info);
    BOOST_CHECK_EQUAL(exchange.info->alpn, "http/1.1");
    BOOST_CHECK_EQUAL(exchange.info->serverName, "");
}

// curl checks the certificate for real: trusting another certificate than
// the test CA, it refuses the server (exit 60), which sees a failed handshake.
BOOST_DATA_TEST_CASE(CurlRefusesTheServerWithoutTheTestCa, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    HttpsServer server(context, "must not arrive\n");
    ExternalPeer curl(
        Curl(Url("127.0.0.1", server.Port(), "/"), {"--cacert", Pki().client.certificate}), "curl");
    BOOST_CHECK_EQUAL(curl.WaitExit(loop), 60);
    BOOST_CHECK(curl.Output().empty());
    BOOST_REQUIRE(RunUntil(loop, [&] {
        return !server.Exchanges().empty() && server.Exchanges().front()->closeError >= 0;
    }));
    BOOST_CHECK_EQUAL(server.Exchanges().front()->closeError, EPROTO);
    BOOST_CHECK(server.Exchanges().front()->requestLine.empty());
}

// A page far larger than the socket buffers, read by a curl that takes its
// time (--limit-rate): Send keeps running into EWOULDBLOCK and OnSend brings
// the rest, and the server closes right after the last Send took its bytes,
// as a server may in clear text, where the kernel delivers what Send took.
// The page is a whole number of 32 KiB pieces, so that last Send is one
// that the full connection cannot take at once. Every byte must arrive,
// then close_notify.
BOOST_DATA_TEST_CASE(CurlFetchesALargePageClosedRightAfterTheLastSend, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    constexpr std::size_t kPiece = 32 * 1024;
    std::string body;
    for (int line = 0; body.size() < 2 * 1024 * 1024; ++line) {
        body += "line " + std::to_string(line) + " of a large page\n";
    }
    body.resize(body.size() - HttpsServer::Response("200 OK", body).size() % kPiece);
    BOOST_REQUIRE_EQUAL(HttpsServer::Response("200 OK", body).size() % kPiece, 0u);
    HttpsServer server(context, body, 4096);
    server.SetPiece(kPiece);
    ExternalPeer curl(Curl(Url("127.0.0.1", server.Port(), "/large"),
                           {"--cacert", Pki().caCertificate, "--limit-rate", "4M"}),
                      "curl");
    int code = curl.WaitExit(loop);
    BOOST_CHECK_MESSAGE(code == 0, "curl exit " << code << ": " << curl.Errors());
    BOOST_CHECK_EQUAL(curl.Output().size(), body.size());
    BOOST_CHECK(curl.Output() == body);
    BOOST_REQUIRE_EQUAL(server.Exchanges().size(), 1u);
    BOOST_CHECK(server.Exchanges().front()->answered);
}

BOOST_AUTO_TEST_SUITE_END()
