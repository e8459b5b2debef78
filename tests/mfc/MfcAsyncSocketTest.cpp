// afxsock.h's Winsock names over the core: WSAE* codes as the errno values
// xsock reports, ::GetLastError(), SOCKADDR and DWORD overloads, m_hSocket,
// and CAsyncSocket's non-blocking connect reporting WSAEWOULDBLOCK.
#include <afxsock.h>

#include <xsock/SocketLoop.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <string>

namespace {

constexpr std::chrono::milliseconds kDeadline{20000};

class CConnector : public CAsyncSocket {
    DECLARE_DYNAMIC(CConnector)
  public:
    int m_connectError = -1;

  protected:
    void OnConnect(int errorCode) override { m_connectError = errorCode; }
};
IMPLEMENT_DYNAMIC(CConnector, CAsyncSocket)

}  // namespace

BOOST_AUTO_TEST_CASE(WinsockNamesAreTheErrnoValues) {
    BOOST_CHECK_EQUAL(WSAEWOULDBLOCK, EWOULDBLOCK);
    BOOST_CHECK_EQUAL(WSAECONNREFUSED, ECONNREFUSED);
    BOOST_CHECK_EQUAL(WSAECONNRESET, ECONNRESET);
    BOOST_CHECK_EQUAL(SOCKET_ERROR, -1);
    BOOST_CHECK_EQUAL(INVALID_SOCKET, -1);
    WSADATA data;
    BOOST_CHECK(AfxSocketInit(&data));
}

BOOST_AUTO_TEST_CASE(ANonBlockingConnectReportsWouldBlockThenOnConnect) {
    CAsyncSocket listener;
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, FD_ACCEPT, _T("127.0.0.1")));
    BOOST_REQUIRE(listener.Listen());
    SOCKADDR_IN address{};
    int length = sizeof address;
    BOOST_REQUIRE(listener.GetSockName(reinterpret_cast<SOCKADDR*>(&address), &length));
    BOOST_CHECK_EQUAL(length, static_cast<int>(sizeof address));
    BOOST_CHECK_EQUAL(address.sin_family, AF_INET);

    CConnector connector;
    BOOST_REQUIRE(connector.Create());
    if (!connector.Connect(reinterpret_cast<SOCKADDR*>(&address), length)) {
        BOOST_CHECK_EQUAL(::GetLastError(), static_cast<DWORD>(WSAEWOULDBLOCK));
        BOOST_CHECK_EQUAL(WSAGetLastError(), WSAEWOULDBLOCK);
    }
    xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
    BOOST_REQUIRE(loop.RunUntil([&] { return connector.m_connectError != -1; }, kDeadline));
    BOOST_CHECK_EQUAL(connector.m_connectError, 0);

    CAsyncSocket accepted;
    SOCKADDR_IN peer{};
    int peerLength = sizeof peer;
    BOOST_REQUIRE(loop.RunUntil(
        [&] { return listener.Accept(accepted, reinterpret_cast<SOCKADDR*>(&peer), &peerLength); },
        kDeadline));
    CString local;
    UINT localPort = 0;
    BOOST_REQUIRE(connector.GetSockName(local, localPort));
    BOOST_CHECK_EQUAL(ntohs(peer.sin_port), localPort);

    BOOST_REQUIRE_EQUAL(connector.Send("12345", 5), 5);
    DWORD pending = 0;
    BOOST_REQUIRE(loop.RunUntil([&] { return accepted.IOCtl(FIONREAD, &pending) && pending == 5; },
                                kDeadline));
    BOOST_CHECK(static_cast<SOCKET>(accepted.m_hSocket) == accepted.Handle());
}

BOOST_AUTO_TEST_CASE(ARefusedConnectIsWsaeConnRefused) {
    CAsyncSocket probe;
    BOOST_REQUIRE(probe.Create(0, SOCK_STREAM, FD_ALL, _T("127.0.0.1")));
    CString address;
    UINT port = 0;
    BOOST_REQUIRE(probe.GetSockName(address, port));
    probe.Close();  // nothing listens on the port now

    CSocket socket;
    BOOST_REQUIRE(socket.Create());
    socket.SetTimeout(kDeadline);
    BOOST_CHECK(!socket.Connect(_T("127.0.0.1"), port));
    BOOST_CHECK_EQUAL(::GetLastError(), static_cast<DWORD>(WSAECONNREFUSED));
    BOOST_CHECK_EQUAL(socket.GetLastError(), WSAECONNREFUSED);
}

// What MFC code reaches through <winsock2.h>, which afxsock.h includes.
BOOST_AUTO_TEST_CASE(WinsockFunctionsAreReachable) {
    char name[256] = {};
    BOOST_CHECK_EQUAL(gethostname(name, sizeof name), 0);
    BOOST_CHECK_EQUAL(inet_addr("127.0.0.1"), htonl(0x7F000001));
    IN_ADDR address{};
    address.s_addr = htonl(0x7F000001);
    BOOST_CHECK_EQUAL(std::strcmp(inet_ntoa(address), "127.0.0.1"), 0);
    BOOST_CHECK_EQUAL(ntohs(htons(80)), 80);
}

// MFC's Ex members, as IPv6-aware MFC code calls them, with an ADDRINFOT
// from getaddrinfo.
BOOST_AUTO_TEST_CASE(TheExMembersTakeAddrInfoAndNameBothFamilies) {
    ADDRINFOT hints{};
    hints.ai_family = AF_INET6;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    ADDRINFOT* info = nullptr;
    BOOST_REQUIRE_EQUAL(getaddrinfo("::1", "0", &hints, &info), 0);
    CAsyncSocket listener;
    BOOST_CHECK(!listener.CreateEx(nullptr));
    BOOST_CHECK_EQUAL(CAsyncSocket::GetLastError(), WSAEINVAL);
    // CreateEx only creates; BindEx binds, as in MFC.
    const BOOL created = listener.CreateEx(info) && listener.BindEx(info);
    freeaddrinfo(info);
    BOOST_REQUIRE(created);
    BOOST_REQUIRE(listener.Listen());
    CString local;
    UINT port = 0;
    BOOST_REQUIRE(listener.GetSockNameEx(local, port));
    BOOST_CHECK(local == _T("::1"));

    const CString service = [&] {
        CString text;
        text.Format(_T("%u"), port);
        return text;
    }();
    BOOST_REQUIRE_EQUAL(getaddrinfo("::1", service.GetString(), &hints, &info), 0);
    CConnector connector;
    BOOST_REQUIRE(connector.CreateEx(info));
    const BOOL started = connector.ConnectEx(info);
    freeaddrinfo(info);
    BOOST_REQUIRE(started || CAsyncSocket::GetLastError() == WSAEWOULDBLOCK);
    xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
    BOOST_REQUIRE(loop.RunUntil([&] { return connector.m_connectError != -1; }, kDeadline));
    BOOST_CHECK_EQUAL(connector.m_connectError, 0);
    CString peer;
    UINT peerPort = 0;
    BOOST_REQUIRE(connector.GetPeerNameEx(peer, peerPort));
    BOOST_CHECK(peer == _T("::1"));
    BOOST_CHECK_EQUAL(peerPort, port);

    CAsyncSocket sender;
    CAsyncSocket receiver;
    BOOST_REQUIRE(sender.Create(0, SOCK_DGRAM, FD_ALL, _T("127.0.0.1")));
    BOOST_REQUIRE(receiver.Create(0, SOCK_DGRAM, FD_ALL, _T("127.0.0.1")));
    CString receiverAddress;
    UINT receiverPort = 0;
    BOOST_REQUIRE(receiver.GetSockNameEx(receiverAddress, receiverPort));
    BOOST_CHECK_EQUAL(sender.SendToEx("ping", 4, receiverPort, nullptr), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(CAsyncSocket::GetLastError(), WSAEINVAL);
    BOOST_REQUIRE_EQUAL(sender.SendToEx("ping", 4, receiverPort, _T("127.0.0.1")), 4);
    char buffer[8] = {};
    CString from;
    UINT fromPort = 0;
    BOOST_REQUIRE(loop.RunUntil(
        [&] { return receiver.ReceiveFromEx(buffer, sizeof buffer, from, fromPort) == 4; },
        kDeadline));
    BOOST_CHECK_EQUAL(std::string(buffer, 4), "ping");
    BOOST_CHECK(from == _T("127.0.0.1"));
}
