// AsyncSocket's options: IOCtl, GetSockOpt and SetSockOpt, and the typed
// forms of the options people set most.
#include <xsock/AsyncSocket.h>

#include "LastError.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <cerrno>

namespace xsock {

bool AsyncSocket::IOCtl(long command, unsigned long* argument) {
    // Only FIONBIO changes the socket; the others read and may come from any thread.
    if (!(command == FIONBIO ? CheckOpen() : CheckHandle())) {
        return false;
    }
    if (argument == nullptr) {
        detail::SetLastError(EFAULT);
        return false;
    }
    int value = 0;
    int result = -1;
    switch (command) {
        case FIONBIO:
            if (*argument == 0 && events_ != 0) {
                detail::SetLastError(EINVAL);  // AsyncSelect(0) first, as in Winsock
                return false;
            }
            value = *argument != 0;
            result = ::ioctl(fd_, FIONBIO, &value);
            break;
        case FIONREAD:
            result = ::ioctl(fd_, FIONREAD, &value);
            if (std::size_t held = HeldCount(); held > 0) {
                if (value > 0 && loop_ != nullptr && SocketLoop::Current() == loop_) {
                    loop_->MoreWaiting(fd_);  // a Receive of the count then takes it all
                }
                *argument = static_cast<unsigned long>(value) + held;
            } else {
                *argument = static_cast<unsigned long>(value);
            }
            break;
        case SIOCATMARK:
            // Held bytes come before the mark: a receive stops at it.
            result = ::ioctl(fd_, SIOCATMARK, &value);
            *argument = HeldCount() > 0 ? 0ul : static_cast<unsigned long>(value);
            break;
        default:
            errno = EINVAL;
            break;
    }
    if (result != 0) {
        detail::SetLastError(errno);
        return false;
    }
    return true;
}

bool AsyncSocket::GetSockOpt(int option, void* value, int* length, int level) {
    if (!CheckHandle()) {
        return false;
    }
    if (length == nullptr || *length < 0) {
        detail::SetLastError(EFAULT);
        return false;
    }
    auto size = static_cast<socklen_t>(*length);
    if (::getsockopt(fd_, level, option, value, &size) != 0) {
        detail::SetLastError(errno);
        return false;
    }
    *length = static_cast<int>(size);
    return true;
}

bool AsyncSocket::SetSockOpt(int option, const void* value, int length, int level) {
    if (!CheckOpen()) {
        return false;
    }
    if (length < 0) {
        detail::SetLastError(EINVAL);
        return false;
    }
    if (::setsockopt(fd_, level, option, value, static_cast<socklen_t>(length)) != 0) {
        detail::SetLastError(errno);
        return false;
    }
    ownSendBuffer_ = ownSendBuffer_ || (level == SOL_SOCKET && option == SO_SNDBUF);
    return true;
}

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
