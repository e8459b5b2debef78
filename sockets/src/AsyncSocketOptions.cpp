// Typed forms of the socket options people set most, over SetSockOpt.
#include <xsock/AsyncSocket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace xsock {

bool AsyncSocket::SetFlag(int level, int option, bool on) {
    int value = on ? 1 : 0;
    return SetSockOpt(option, &value, sizeof value, level);
}

bool AsyncSocket::SetReuseAddress(bool on) {
    return SetFlag(SOL_SOCKET, SO_REUSEADDR, on);
}
bool AsyncSocket::SetKeepAlive(bool on) {
    return SetFlag(SOL_SOCKET, SO_KEEPALIVE, on);
}
bool AsyncSocket::SetNoDelay(bool on) {
    return SetFlag(IPPROTO_TCP, TCP_NODELAY, on);
}
bool AsyncSocket::SetBroadcast(bool on) {
    return SetFlag(SOL_SOCKET, SO_BROADCAST, on);
}
bool AsyncSocket::SetV6Only(bool on) {
    return SetFlag(IPPROTO_IPV6, IPV6_V6ONLY, on);
}

bool AsyncSocket::SetSendBufferSize(int bytes) {
    return SetSockOpt(SO_SNDBUF, &bytes, sizeof bytes);
}

bool AsyncSocket::SetReceiveBufferSize(int bytes) {
    return SetSockOpt(SO_RCVBUF, &bytes, sizeof bytes);
}

bool AsyncSocket::GetSendBufferSize(int& bytes) {
    int length = sizeof bytes;
    return GetSockOpt(SO_SNDBUF, &bytes, &length);
}

bool AsyncSocket::GetReceiveBufferSize(int& bytes) {
    int length = sizeof bytes;
    return GetSockOpt(SO_RCVBUF, &bytes, &length);
}

bool AsyncSocket::SetLinger(bool on, int seconds) {
    linger value{on ? 1 : 0, seconds};
    return SetSockOpt(SO_LINGER, &value, sizeof value);
}

}  // namespace xsock
