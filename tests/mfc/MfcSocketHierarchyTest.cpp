// CSocket as MFC declares it: a CAsyncSocket subclass, both CObjects with
// DECLARE_DYNAMIC, whose blocking members are virtual overrides reached
// through a CAsyncSocket*, and whose overridable is BOOL OnMessagePending().
#include <afxsock.h>

#include <xsock/SocketLoop.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <type_traits>

namespace {

constexpr std::chrono::milliseconds kDeadline{20000};

static_assert(std::is_base_of_v<CAsyncSocket, CSocket>, "CSocket derives from CAsyncSocket");
static_assert(std::is_base_of_v<CObject, CAsyncSocket>, "CAsyncSocket is a CObject");

// MFC's override, word for word: BOOL, not bool. While a blocking call
// waits, it lets the peer send, as a real program's other windows would.
class CPumpingSocket : public CSocket {
    DECLARE_DYNAMIC(CPumpingSocket)
  public:
    int m_nPending = 0;
    CAsyncSocket* m_pPeer = nullptr;
    const char* m_pszReply = nullptr;

  protected:
    virtual BOOL OnMessagePending() override {
        ++m_nPending;
        if (m_pPeer != nullptr && m_pszReply != nullptr) {
            m_pPeer->Send(m_pszReply, static_cast<int>(std::strlen(m_pszReply)));
            m_pszReply = nullptr;
        }
        return CSocket::OnMessagePending();
    }
};
IMPLEMENT_DYNAMIC(CPumpingSocket, CSocket)

class CCountingSocket : public CSocket {
    DECLARE_DYNAMIC(CCountingSocket)
  public:
    int m_nReceive = 0;
    int m_nClose = -1;

  protected:
    virtual void OnReceive(int nErrorCode) override {
        CSocket::OnReceive(nErrorCode);
        ++m_nReceive;
        char buffer[16];
        Receive(buffer, sizeof buffer);
    }
    virtual void OnClose(int nErrorCode) override { m_nClose = nErrorCode; }
};
IMPLEMENT_DYNAMIC(CCountingSocket, CSocket)

// A listener on 127.0.0.1 and its port.
UINT Listen(CAsyncSocket& listener) {
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, FD_ALL, _T("127.0.0.1")));
    BOOST_REQUIRE(listener.Listen());
    CString address;
    UINT port = 0;
    BOOST_REQUIRE(listener.GetSockName(address, port));
    return port;
}

// What MFC code does with a CAsyncSocket* it was handed.
int ReceiveThrough(CAsyncSocket* pSocket, char* buffer, int length) {
    return pSocket->Receive(buffer, length);
}

}  // namespace

BOOST_AUTO_TEST_CASE(ACSocketIsKindOfCAsyncSocket) {
    CSocket socket;
    CAsyncSocket async;
    CAsyncSocket* pAsync = &socket;
    BOOST_CHECK(socket.IsKindOf(RUNTIME_CLASS(CAsyncSocket)));
    BOOST_CHECK(socket.IsKindOf(RUNTIME_CLASS(CObject)));
    BOOST_CHECK(pAsync->IsKindOf(RUNTIME_CLASS(CSocket)));
    BOOST_CHECK(!async.IsKindOf(RUNTIME_CLASS(CSocket)));
    BOOST_CHECK(DYNAMIC_DOWNCAST(CSocket, pAsync) == &socket);
    CAsyncSocket* pPlain = &async;
    BOOST_CHECK(DYNAMIC_DOWNCAST(CSocket, pPlain) == nullptr);
    BOOST_CHECK(RUNTIME_CLASS(CSocket)->IsDerivedFrom(RUNTIME_CLASS(CAsyncSocket)));
    CPumpingSocket derived;
    BOOST_CHECK(derived.IsKindOf(RUNTIME_CLASS(CAsyncSocket)));
    BOOST_CHECK_EQUAL(std::strcmp(derived.GetRuntimeClass()->m_lpszClassName, "CPumpingSocket"), 0);
}

BOOST_AUTO_TEST_CASE(ABoolOnMessagePendingRunsWhileACallBlocks) {
    CAsyncSocket listener;
    const UINT port = Listen(listener);
    CPumpingSocket client;
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(client.Connect(_T("127.0.0.1"), port));
    CAsyncSocket server;
    xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
    BOOST_REQUIRE(loop.RunUntil([&] { return listener.Accept(server); }, kDeadline));

    client.m_pPeer = &server;
    client.m_pszReply = "pong";
    client.SetTimeout(kDeadline);
    char buffer[8] = {};
    // Nothing is there yet: only the override, run while Receive waits,
    // makes the peer send.
    BOOST_REQUIRE_EQUAL(client.Receive(buffer, 4), 4);
    BOOST_CHECK_EQUAL(std::string(buffer, 4), "pong");
    BOOST_CHECK_GE(client.m_nPending, 1);
}

BOOST_AUTO_TEST_CASE(ACSocketBlocksThroughACAsyncSocketPointer) {
    CSocket listener;
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, _T("127.0.0.1")));
    BOOST_REQUIRE(listener.Listen());
    CString address;
    UINT port = 0;
    BOOST_REQUIRE(listener.GetSockName(address, port));

    CAsyncSocket peer;
    BOOST_REQUIRE(peer.Create());
    peer.Connect(_T("127.0.0.1"), port);
    CPumpingSocket accepted;
    SOCKADDR_IN from{};
    int fromLength = sizeof from;
    // CSocket::Accept blocks until the connection is there, through the
    // CAsyncSocket& MFC's signature takes.
    CAsyncSocket& pListener = listener;
    BOOST_REQUIRE(pListener.Accept(accepted, reinterpret_cast<SOCKADDR*>(&from), &fromLength));
    BOOST_CHECK_EQUAL(from.sin_family, AF_INET);

    accepted.m_pPeer = &peer;
    accepted.m_pszReply = "data";
    accepted.SetTimeout(kDeadline);
    char buffer[8] = {};
    BOOST_REQUIRE_EQUAL(ReceiveThrough(&accepted, buffer, 4), 4);
    BOOST_CHECK_EQUAL(std::string(buffer, 4), "data");

    // The same call on a plain CAsyncSocket does not wait.
    BOOST_CHECK_EQUAL(ReceiveThrough(&peer, buffer, 4), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(CAsyncSocket::GetLastError(), WSAEWOULDBLOCK);

    CAsyncSocket* pSocket = &accepted;
    CString peerAddress;
    UINT peerPort = 0;
    BOOST_REQUIRE(pSocket->GetPeerName(peerAddress, peerPort));
    BOOST_CHECK(peerAddress == _T("127.0.0.1"));
    BOOST_CHECK_EQUAL(pSocket->Send("back", 4), 4);
    BOOST_CHECK(pSocket->ShutDown(CAsyncSocket::sends));
    xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
    char received[8] = {};
    int total = 0;
    BOOST_REQUIRE(loop.RunUntil(
        [&] {
            const int n = peer.Receive(received + total, 4 - total);
            total += n > 0 ? n : 0;
            return total == 4;
        },
        kDeadline));
    BOOST_CHECK_EQUAL(std::string(received, 4), "back");
    pSocket->Close();
    BOOST_CHECK(accepted.m_hSocket == INVALID_SOCKET);
}

BOOST_AUTO_TEST_CASE(ACSocketSubclassGetsOnReceiveAndOnClose) {
    CAsyncSocket listener;
    const UINT port = Listen(listener);
    CCountingSocket client;
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(client.Connect(_T("127.0.0.1"), port));
    CAsyncSocket server;
    xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
    BOOST_REQUIRE(loop.RunUntil([&] { return listener.Accept(server); }, kDeadline));
    BOOST_REQUIRE_EQUAL(server.Send("x", 1), 1);
    BOOST_REQUIRE(loop.RunUntil([&] { return client.m_nReceive == 1; }, kDeadline));
    server.Close();
    BOOST_REQUIRE(loop.RunUntil([&] { return client.m_nClose != -1; }, kDeadline));
    BOOST_CHECK_EQUAL(client.m_nClose, 0);
}

BOOST_AUTO_TEST_CASE(FromHandleAttachAndDetachKeepMfcTypes) {
    CSocket socket;
    BOOST_REQUIRE(socket.Create());
    const SOCKET handle = socket.m_hSocket;
    BOOST_CHECK(CSocket::FromHandle(handle) == &socket);
    BOOST_CHECK(CAsyncSocket::FromHandle(handle) == &socket);

    BOOST_CHECK_EQUAL(socket.Detach(), handle);
    BOOST_CHECK(socket.m_hSocket == INVALID_SOCKET);
    BOOST_CHECK(CAsyncSocket::FromHandle(handle) == nullptr);

    CAsyncSocket plain;
    BOOST_REQUIRE(plain.Attach(handle));
    BOOST_CHECK(CAsyncSocket::FromHandle(handle) == &plain);
    // A CAsyncSocket is found, but it is no CSocket.
    BOOST_CHECK(CSocket::FromHandle(handle) == nullptr);
    BOOST_CHECK_EQUAL(plain.Detach(), handle);

    CSocket again;
    BOOST_REQUIRE(again.Attach(handle));
    BOOST_CHECK(CSocket::FromHandle(handle) == &again);
}
