// AsyncSocket's datagram forms (MFC's SendTo/ReceiveFrom with a host and port)
// and multicast group membership.
#include <xsock/AsyncSocket.h>

#include "LastError.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace xsock {

namespace {

// An IPv6 interface given by name ("lo", "eth0") or number; nullptr is "any".
bool InterfaceIndex(const char* name, unsigned& index) {
    index = 0;
    if (name == nullptr || *name == '\0') {
        return true;
    }
    std::string_view text(name);
    auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), index);
    if (status == std::errc() && end == text.data() + text.size()) {
        return true;
    }
    index = ::if_nametoindex(name);
    return index != 0;
}

bool Ipv4(const char* text, in_addr& address) {
    if (text == nullptr || *text == '\0') {
        address.s_addr = htonl(INADDR_ANY);
        return true;
    }
    return ::inet_pton(AF_INET, text, &address) == 1;
}

}  // namespace

int AsyncSocket::SendTo(const void* buffer, int length, unsigned port, const char* host,
                        int flags) {
    if (!CheckOpen()) {
        return SOCKET_ERROR;
    }
    SocketAddress to;
    if (host == nullptr || *host == '\0') {
        if (family_ != AF_INET) {
            detail::SetLastError(EDESTADDRREQ);  // only IPv4 has a broadcast address
            return SOCKET_ERROR;
        }
        std::error_code unused;
        to = SocketAddress::FromHostAndPort("255.255.255.255", port, unused);
    } else {
        std::error_code error;
        std::vector<SocketAddress> found =
            SocketAddress::Resolve(host, port, family_, type_, error);
        if (error) {
            detail::SetLastError(error);
            return SOCKET_ERROR;
        }
        to = found.front();
    }
    return SendTo(buffer, length, to, flags);
}

int AsyncSocket::ReceiveFrom(void* buffer, int length, std::string& address, unsigned& port,
                             int flags) {
    SocketAddress from;
    int n = ReceiveFrom(buffer, length, from, flags);
    if (!from.IsEmpty()) {
        address = from.Host();
        port = from.Port();
    }
    return n;
}

bool AsyncSocket::JoinGroup(const char* group, const char* interfaceAddress) {
    return Membership(group, interfaceAddress, true);
}

bool AsyncSocket::LeaveGroup(const char* group, const char* interfaceAddress) {
    return Membership(group, interfaceAddress, false);
}

bool AsyncSocket::Membership(const char* group, const char* interfaceAddress, bool join) {
    if (!CheckOpen()) {
        return false;
    }
    std::error_code error;
    SocketAddress address = SocketAddress::FromHostAndPort(group != nullptr ? group : "", 0, error);
    if (error) {
        detail::SetLastError(EINVAL);
        return false;
    }
    if (address.Family() == AF_INET) {
        ip_mreq request{};
        request.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(address.Native())->sin_addr;
        if (!Ipv4(interfaceAddress, request.imr_interface)) {
            detail::SetLastError(EINVAL);
            return false;
        }
        return SetSockOpt(join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &request, sizeof request,
                          IPPROTO_IP);
    }
    ipv6_mreq request{};
    request.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(address.Native())->sin6_addr;
    if (!InterfaceIndex(interfaceAddress, request.ipv6mr_interface)) {
        detail::SetLastError(ENODEV);
        return false;
    }
    return SetSockOpt(join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &request, sizeof request,
                      IPPROTO_IPV6);
}

bool AsyncSocket::SetMulticastHops(int hops) {
    if (family_ == AF_INET6) {
        return SetSockOpt(IPV6_MULTICAST_HOPS, &hops, sizeof hops, IPPROTO_IPV6);
    }
    return SetSockOpt(IP_MULTICAST_TTL, &hops, sizeof hops, IPPROTO_IP);
}

bool AsyncSocket::SetMulticastLoopback(bool on) {
    if (family_ == AF_INET6) {
        return SetFlag(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on);
    }
    return SetFlag(IPPROTO_IP, IP_MULTICAST_LOOP, on);
}

bool AsyncSocket::SetMulticastInterface(const char* interfaceAddress) {
    if (family_ == AF_INET6) {
        unsigned index = 0;
        if (!InterfaceIndex(interfaceAddress, index)) {
            detail::SetLastError(ENODEV);
            return false;
        }
        return SetSockOpt(IPV6_MULTICAST_IF, &index, sizeof index, IPPROTO_IPV6);
    }
    in_addr address{};
    if (!Ipv4(interfaceAddress, address)) {
        detail::SetLastError(EINVAL);
        return false;
    }
    return SetSockOpt(IP_MULTICAST_IF, &address, sizeof address, IPPROTO_IP);
}

}  // namespace xsock
