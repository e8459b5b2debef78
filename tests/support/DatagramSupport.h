// Helpers shared by the datagram tests.
#pragma once

#include "TestSupport.h"

#include <cstring>
#include <string>

namespace xsock::test {

// Creates a datagram socket bound to `address` (nullptr: the IPv4 wildcard)
// with a kernel-chosen port, and returns the port.
inline unsigned BindDatagram(AsyncSocket& socket, const char* address) {
    BOOST_REQUIRE_MESSAGE(socket.Create(0, SOCK_DGRAM, FD_ALL, address),
                          "Create(" << (address != nullptr ? address : "any")
                                    << "): " << AsyncSocket::GetLastErrorCode().message());
    SocketAddress local;
    BOOST_REQUIRE(socket.GetSockName(local));
    BOOST_REQUIRE(local.Port() != 0);
    return local.Port();
}

inline int Send(AsyncSocket& socket, const std::string& text, unsigned port, const char* host) {
    return socket.SendTo(text.data(), static_cast<int>(text.size()), port, host);
}

// Reads one datagram; `from` gets its sender.
inline std::string TakeDatagram(AsyncSocket& socket, SocketAddress& from) {
    char buffer[2048];
    int n = socket.ReceiveFrom(buffer, sizeof buffer, from);
    BOOST_REQUIRE_MESSAGE(n >= 0, "ReceiveFrom: " << std::strerror(AsyncSocket::GetLastError()));
    return std::string(buffer, static_cast<std::size_t>(n));
}

inline bool NothingWaiting(AsyncSocket& socket) {
    char byte;
    return socket.Receive(&byte, 1) == SOCKET_ERROR && AsyncSocket::GetLastError() == EWOULDBLOCK;
}

// Nothing more is waiting and nothing more is announced: `receives`
// notifications in all, and no OnClose, which a datagram socket never gets.
inline void CheckSettled(SocketLoop& loop, Probe& socket, int receives) {
    BOOST_CHECK(NothingWaiting(socket));
    Spin(loop);
    BOOST_CHECK_EQUAL(socket.counts.receive, receives);
    BOOST_CHECK_EQUAL(socket.counts.close, 0);
}

inline int IntOption(AsyncSocket& socket, int option, int level = SOL_SOCKET) {
    int value = -1;
    int length = sizeof value;
    BOOST_REQUIRE(socket.GetSockOpt(option, &value, &length, level));
    return value;
}

}  // namespace xsock::test
