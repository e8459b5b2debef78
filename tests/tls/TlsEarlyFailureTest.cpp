// A server's StartTls right after Accept when the peer's first flight is
// already waiting, and wrong: the handshake fails inside the call, and must
// still fail as SPEC section 9 says, with OnClose(EPROTO) and the reason,
// from the loop, instead of a false StartTls that no notification follows
// (a server written as Tls.h shows it would keep that connection forever).
// On every backend.
#include "Fixtures.h"
#include "TlsSupport.h"

#include <poll.h>

#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(TlsEarlyFailure)

BOOST_DATA_TEST_CASE(AWrongFirstFlightAlreadyThereGivesOnClose, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    peer.SendAll("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    AwaitReady(server.Handle(), POLLIN);

    BOOST_REQUIRE_MESSAGE(StartTls(server, context),
                          "StartTls: " << AsyncSocket::GetLastErrorCode().message());
    BOOST_CHECK_EQUAL(server.counts.close, 0);  // never inside the call
    std::string reason;
    server.onClose = [&](Probe&) { reason = AsyncSocket::GetLastErrorCode().message(); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close > 0; }));
    BOOST_CHECK_EQUAL(server.closeError, EPROTO);
    BOOST_CHECK_MESSAGE(reason.find("http request") != std::string::npos, "reason: " << reason);
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.close, 1);
    BOOST_CHECK_EQUAL(server.counts.send, 0);
    BOOST_CHECK_EQUAL(server.counts.receive, 0);
}

// Closed before the loop ran: nothing is delivered to a closed socket.
BOOST_DATA_TEST_CASE(CloseBeforeTheFailureIsReportedEndsIt, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TlsContext context = TestServerContext();
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    peer.SendAll("GET / HTTP/1.1\r\n\r\n");
    AwaitReady(server.Handle(), POLLIN);
    BOOST_REQUIRE(StartTls(server, context));
    server.Close();
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.close, 0);
    ExpectConnectionEnded(peer);
}

BOOST_AUTO_TEST_SUITE_END()
