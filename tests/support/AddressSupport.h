// Address checks shared by the SocketAddress suites.
#pragma once

#include <xsock/SocketAddress.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace xsock::test {

// 127.0.0.0/8, ::1, or an IPv4-mapped 127.x.y.z.
inline bool IsLoopback(const SocketAddress& address) {
    if (address.Family() == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(address.Native());
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (address.Family() == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.Native());
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
            return true;
        }
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

}  // namespace xsock::test
