// AsyncSocket's data transfer, shutdown, event selection and names. Send and
// Receive are where FD_WRITE and FD_READ/FD_OOB are re-enabled, as Winsock's
// send and recv are.
#include <xsock/AsyncSocket.h>

#include "HeldInput.h"
#include "LastError.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>

namespace xsock {

namespace {

int Portable(int error) {
    return error == EAGAIN ? EWOULDBLOCK : error;
}

bool CheckBuffer(const void* buffer, int length) {
    if (length < 0) {
        detail::SetLastError(EINVAL);
        return false;
    }
    if (buffer == nullptr && length > 0) {
        detail::SetLastError(EFAULT);
        return false;
    }
    return true;
}

using NameCall = int (*)(int, sockaddr*, socklen_t*);

bool QueryName(int fd, NameCall call, SocketAddress& address) {
    SocketAddress result;
    socklen_t length = SocketAddress::Capacity();
    if (call(fd, result.Native(), &length) != 0) {
        detail::SetLastError(errno);
        return false;
    }
    result.SetNativeLength(length);
    address = result;
    return true;
}

}  // namespace

int AsyncSocket::Send(const void* buffer, int length, int flags) {
    return SendImpl(buffer, length, flags, nullptr);
}

int AsyncSocket::Receive(void* buffer, int length, int flags) {
    return ReceiveImpl(buffer, length, flags, nullptr);
}

int AsyncSocket::SendTo(const void* buffer, int length, const SocketAddress& to, int flags) {
    return SendImpl(buffer, length, flags, &to);
}

int AsyncSocket::ReceiveFrom(void* buffer, int length, SocketAddress& from, int flags) {
    return ReceiveImpl(buffer, length, flags, &from);
}

int AsyncSocket::SendImpl(const void* buffer, int length, int flags, const SocketAddress* to) {
    if (!CheckOpen() || !CheckBuffer(buffer, length)) {
        return SOCKET_ERROR;
    }
    if (filtered_) {
        return FilteredSend(buffer, length, flags);  // a connected stream: `to` means nothing
    }
    ssize_t n = SocketLoop::kSendYourself;
    if (type_ == SOCK_STREAM && state_ == State::Connected && loop_ != nullptr &&
        loop_->SendsStreams()) {
        // A socket that sized its buffer sends by itself, but only after
        // what the loop took from it before.
        n = SendThroughLoop(buffer, length,
                            (flags & ~MSG_NOSIGNAL) != 0 || to != nullptr || ownSendBuffer_);
    }
    while (n == SocketLoop::kSendYourself || (n < 0 && errno == EINTR)) {
        n = to == nullptr
                ? ::send(fd_, buffer, static_cast<std::size_t>(length), flags | MSG_NOSIGNAL)
                : ::sendto(fd_, buffer, static_cast<std::size_t>(length), flags | MSG_NOSIGNAL,
                           to->Native(), to->NativeLength());
    }
    if (n >= 0) {
        return static_cast<int>(n);
    }
    int error = Portable(errno);
    if (error == EWOULDBLOCK) {
        writeArmed_ = true;  // OnSend once there is room again
        UpdateInterestAfterIo();
    }
    detail::SetLastError(error);
    return SOCKET_ERROR;
}

// A connected stream's send on a loop that batches them (io_uring): taken
// for the end of the iteration, or refused while earlier bytes wait for room;
// SocketLoop::kSendYourself when the socket sends it now (outside an
// iteration, or urgent data and other flags, or a socket that sized its send
// buffer: each goes after what waits).
ssize_t AsyncSocket::SendThroughLoop(const void* buffer, int length, bool special) {
    if (special || length == 0) {
        if (!loop_->SendsWaiting(fd_)) {
            return SocketLoop::kSendYourself;
        }
        loop_->FlushSends();
        if (!loop_->SendsWaiting(fd_)) {
            return SocketLoop::kSendYourself;
        }
        length = 0;  // what waits answers for this send too: would block, or why it fails
    }
    long n = loop_->QueueSend(fd_, buffer, static_cast<std::size_t>(length));
    if (n == 0) {
        errno = EWOULDBLOCK;
        return -1;
    }
    return n;
}

// recvfrom, filling `from` only when something was received.
ssize_t AsyncSocket::ReceiveWithSource(void* buffer, int length, int flags, SocketAddress& from) {
    SocketAddress source;
    socklen_t sourceLength = SocketAddress::Capacity();
    ssize_t n;
    do {
        n = ::recvfrom(fd_, buffer, static_cast<std::size_t>(length), flags, source.Native(),
                       &sourceLength);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
        if (sourceLength == 0 && family_ == AF_UNIX) {
            // Linux gives no address at all for an unnamed sender; report it
            // as getpeername does, an AF_UNIX address without a name.
            source.Native()->sa_family = AF_UNIX;
            sourceLength = sizeof(sa_family_t);
        }
        source.SetNativeLength(sourceLength);
        from = source;
    }
    return n;
}

int AsyncSocket::ReceiveImpl(void* buffer, int length, int flags, SocketAddress* from) {
    if (!CheckOpen() || !CheckBuffer(buffer, length)) {
        return SOCKET_ERROR;
    }
    if (filtered_) {
        int n = FilteredReceive(buffer, length, flags);
        if (n >= 0 && from != nullptr) {
            GetPeerName(*from);
        }
        return n;
    }
    // Any receive, even a failed one, re-enables OnReceive and OnOutOfBandData.
    readArmed_ = oobArmed_ = true;
    bool datagram = type_ != SOCK_STREAM;
#ifdef MSG_TRUNC
    // With MSG_TRUNC a datagram socket returns the datagram's real length, so
    // one that did not fit is told apart from one that filled the buffer.
    int extra = datagram ? MSG_TRUNC : 0;
#else
    int extra = 0;
#endif
    ssize_t n;
    if (!datagram && !(flags & MSG_OOB) &&
        (loop_ != nullptr ? loop_->MayHold() : detail::AnyCarried())) {
        if (int held = ReceiveHeld(buffer, length, flags); held > 0) {
            if (from != nullptr) {
                GetPeerName(*from);
            }
            return held;
        }
    }
    if (from == nullptr) {
        do {
            n = ::recv(fd_, buffer, static_cast<std::size_t>(length), flags | extra);
        } while (n < 0 && errno == EINTR);
    } else {
        n = ReceiveWithSource(buffer, length, flags | extra, *from);
    }
    int error = Portable(errno);
    if (n > 0 && !datagram && !(flags & (MSG_PEEK | MSG_OOB)) && loop_ != nullptr) {
        loop_->Consumed(fd_);
    }
    UpdateInterestAfterIo();
    if (n == 0 && closeErrorUnread_ && !datagram) {
        n = -1;  // the backend took the reset off the socket: it is reported here
        error = closeError_;
    }
    if (n >= 0) {
        if (datagram && n > length) {
            detail::SetLastError(EMSGSIZE);
            return SOCKET_ERROR;
        }
        return static_cast<int>(n);
    }
    closeErrorUnread_ = false;
    if (error == ECONNRESET || error == ECONNABORTED || error == ETIMEDOUT) {
        closeError_ = error;  // the reset is consumed here; OnClose still reports it
    }
    detail::SetLastError(error);
    return SOCKET_ERROR;
}

// Bytes the loop holds for this socket come first; if the descriptor had more
// when they came and there is room, those follow in the same call, as one
// recv returns all that is waiting. 0 if none were held.
int AsyncSocket::ReceiveHeld(void* buffer, int length, int flags) {
    bool more = false;
    auto wanted = static_cast<std::size_t>(length);
    bool peek = (flags & MSG_PEEK) != 0;
    std::size_t n = 0;
    if (loop_ != nullptr) {
        n = loop_->Received(fd_, buffer, wanted, peek, more);
    } else {
        // The loop that held them is gone: they were kept by the socket's cookie.
        n = detail::ReadCarried(fd_, buffer, wanted, peek);
        more = true;
    }
    if (n == 0) {
        return 0;
    }
    // A peek sees all that is there, as on the socket itself; a Receive goes
    // on when the socket had more as the held bytes came, or FIONREAD said so
    // since (more that came later is a short read, and another OnReceive).
    more = more || (flags & MSG_PEEK);
    int atMark = 0;
    if (n < wanted && more && (events_ & FD_OOB)) {
        ::ioctl(fd_, SIOCATMARK, &atMark);  // the urgent byte's place: never stepped over here
    }
    if (n < wanted && more && atMark == 0) {
        ssize_t rest;
        do {
            rest = ::recv(fd_, static_cast<char*>(buffer) + n, wanted - n, flags | MSG_DONTWAIT);
        } while (rest < 0 && errno == EINTR);
        if (rest > 0) {
            n += static_cast<std::size_t>(rest);
        } else if (rest < 0 &&
                   (errno == ECONNRESET || errno == ECONNABORTED || errno == ETIMEDOUT)) {
            closeError_ = errno;  // taken off the socket: the next Receive and OnClose report it
            closeErrorUnread_ = true;
        }
    }
    readArmed_ = oobArmed_ = true;
    if (!peek && loop_ != nullptr) {
        loop_->Consumed(fd_);
    }
    UpdateInterestAfterIo();
    return static_cast<int>(n);
}

bool AsyncSocket::ShutDown(int how) {
    if (!CheckOpen()) {
        return false;
    }
    int mode = how == receives ? SHUT_RD : how == sends ? SHUT_WR : how == both ? SHUT_RDWR : -1;
    if (mode < 0) {
        detail::SetLastError(EINVAL);
        return false;
    }
    if (filtered_ && how != receives && state_ == State::Connected) {
        return FilteredShutDown(how);
    }
    if (how != receives && loop_ != nullptr && loop_->SendsStreams() && loop_->SendsWaiting(fd_) &&
        loop_->SettleSends(fd_, SocketLoop::Leaving::ShutDown)) {
        // The end of sending follows the bytes that still wait for room.
        if (how == both && ::shutdown(fd_, SHUT_RD) != 0) {
            detail::SetLastError(errno);
            return false;
        }
        return true;
    }
    if (::shutdown(fd_, mode) != 0) {
        detail::SetLastError(errno);
        return false;
    }
    return true;
}

bool AsyncSocket::AsyncSelect(long events) {
    if (!CheckOpen()) {
        return false;
    }
    if (events != 0) {
        int flags = ::fcntl(fd_, F_GETFL);
        if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0) {
            detail::SetLastError(errno);
            return false;
        }
    }
    events_ = events;
    // Events that are already pending are reported again, as WSAAsyncSelect does.
    readArmed_ = oobArmed_ = true;
    if (acceptRetry_ == 0) {
        acceptArmed_ = true;
    }
    writeArmed_ = state_ == State::Connected || type_ == SOCK_DGRAM;
    return UpdateInterest();
}

bool AsyncSocket::GetPeerName(SocketAddress& address) {
    return CheckHandle() && QueryName(fd_, ::getpeername, address);
}

bool AsyncSocket::GetSockName(SocketAddress& address) {
    return CheckHandle() && QueryName(fd_, ::getsockname, address);
}

bool AsyncSocket::GetPeerName(std::string& address, unsigned& port) {
    SocketAddress result;
    if (!GetPeerName(result)) {
        return false;
    }
    address = result.Host();
    port = result.Port();
    return true;
}

bool AsyncSocket::GetSockName(std::string& address, unsigned& port) {
    SocketAddress result;
    if (!GetSockName(result)) {
        return false;
    }
    address = result.Host();
    port = result.Port();
    return true;
}

}  // namespace xsock
