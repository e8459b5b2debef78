// AsyncSocket as a listener: Listen, Accept, and holding OnAccept back while
// the process is out of descriptors.
#include <xsock/AsyncSocket.h>
#include <xsock/Descriptor.h>

#include "LastError.h"
#include "Readiness.h"

#include <cerrno>

namespace xsock {

bool AsyncSocket::Listen(int backlog) {
    if (!CheckOpen()) {
        return false;
    }
    if (::listen(fd_, backlog) != 0) {
        detail::SetLastError(errno);
        return false;
    }
    state_ = State::Listening;
    acceptArmed_ = true;
    return UpdateInterest();
}

bool AsyncSocket::Accept(AsyncSocket& connected, SocketAddress* peer) {
    if (!CheckOpen() || !connected.CheckThread()) {
        return false;
    }
    if (state_ != State::Listening || &connected == this || connected.fd_ != INVALID_SOCKET) {
        detail::SetLastError(EINVAL);
        return false;
    }
    acceptArmed_ = true;  // any Accept, even a failed one, re-enables OnAccept
    SocketAddress address;
    socklen_t length = SocketAddress::Capacity();
    Descriptor fd;
    do {
        fd.Reset(::accept4(fd_, address.Native(), &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
    } while (!fd && errno == EINTR);
    if (!fd) {
        int error = errno == EAGAIN ? EWOULDBLOCK : errno;
        if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
            HoldBackAccept();
        }
        UpdateInterest();
        detail::SetLastError(error);
        return false;
    }
    address.SetNativeLength(length);
    if (!connected.Adopt(fd.Get(), family_, type_, events_, State::Connected)) {
        std::error_code error = detail::LastError();
        if (error.value() == EMFILE) {
            HoldBackAccept();
        }
        UpdateInterest();
        detail::SetLastError(error);
        return false;
    }
    static_cast<void>(fd.Release());            // `connected` owns it now
    connected.ownSendBuffer_ = ownSendBuffer_;  // the kernel gave it the listener's size
    if (peer != nullptr) {
        *peer = address;
    }
    return UpdateInterest();
}

// Out of descriptors: the pending connection stays in the backlog and OnAccept
// waits a little instead of firing again at once, which would spin.
void AsyncSocket::HoldBackAccept() {
    acceptArmed_ = false;
    if (acceptRetry_ != 0 || loop_ == nullptr) {
        return;
    }
    acceptRetry_ = loop_->SetTimer(
        kAcceptRetry,
        [this] {
            acceptRetry_ = 0;
            acceptArmed_ = true;
            UpdateInterest();
        },
        false);
}

}  // namespace xsock
