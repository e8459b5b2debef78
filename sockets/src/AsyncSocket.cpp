// AsyncSocket's lifecycle: making, binding, adopting, attaching, detaching and
// closing a descriptor, and the thread checks every call starts with.
#include <xsock/AsyncSocket.h>
#include <xsock/Descriptor.h>

#include "AsyncSocketInternals.h"
#include "HeldInput.h"
#include "LastError.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <system_error>

namespace xsock {

namespace {

// A socket file left behind by a program that has exited refuses connections;
// one that a live socket owns does not. Only the first is removed, and never
// anything that is not a socket. The probe is a datagram socket whatever the
// owner's type: connecting it queues nothing on a live listener (that gives
// EPROTOTYPE), so the listener is not handed a connection that is already gone.
bool RemoveStaleUnixSocket(const SocketAddress& address) {
    std::string path = address.Host();
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) {
        return false;
    }
    Descriptor probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!probe) {
        return false;
    }
    bool stale = ::connect(probe.Get(), address.Native(), address.NativeLength()) != 0 &&
                 errno == ECONNREFUSED;
    return stale && ::unlink(path.c_str()) == 0;
}

}  // namespace

AsyncSocket::AsyncSocket() noexcept = default;

AsyncSocket::~AsyncSocket() {
    if (loop_ != nullptr && loop_ != SocketLoop::Current()) {
        std::fprintf(stderr,
                     "xsock: socket %d destroyed by a thread that does not own it; "
                     "a socket must be destroyed on the thread whose loop runs it\n",
                     fd_);
        std::abort();
    }
    for (DispatchFrame* frame = frames_; frame != nullptr; frame = frame->outer) {
        frame->destroyed = true;
    }
    if (fd_ != INVALID_SOCKET) {
        AsyncSocket::Close();
    }
}

bool AsyncSocket::CheckThread() const noexcept {
    if (loop_ != nullptr && loop_ != SocketLoop::Current()) {
        detail::SetLastError(EPERM);
        return false;
    }
    return true;
}

bool AsyncSocket::CheckOpen() const noexcept {
    if (!CheckThread()) {
        return false;
    }
    if (fd_ == INVALID_SOCKET) {
        detail::SetLastError(ENOTSOCK);
        return false;
    }
    return true;
}

bool AsyncSocket::CheckHandle() const noexcept {
    if (fd_ == INVALID_SOCKET) {
        detail::SetLastError(ENOTSOCK);
        return false;
    }
    return true;
}

bool AsyncSocket::Create(unsigned port, int type, long events, const char* address) {
    if (address == nullptr || *address == '\0') {
        return Create(SocketAddress::Any(AF_INET, port), type, events);
    }
    int family = AF_INET;
    std::error_code error;
    if (std::string_view(address).substr(0, 5) == "unix:") {
        family = AF_UNIX;
    } else if (SocketAddress::FromHostAndPort(address, port, error).Family() == AF_INET6) {
        family = AF_INET6;
    }
    if (!Socket(type, events, 0, family)) {
        return false;
    }
    if (type == SOCK_STREAM && port != 0 && family != AF_UNIX) {
        SetReuseAddress(true);
    }
    if (!Bind(port, address)) {
        std::error_code failure = detail::LastError();
        Close();
        detail::SetLastError(failure);
        return false;
    }
    return true;
}

bool AsyncSocket::Create(const SocketAddress& local, int type, long events) {
    int family = local.Family();
    if (!Socket(type, events, 0, family)) {
        return false;
    }
    if (type == SOCK_STREAM && local.Port() != 0 && family != AF_UNIX) {
        SetReuseAddress(true);
    }
    if (!Bind(local)) {
        std::error_code failure = detail::LastError();
        Close();
        detail::SetLastError(failure);
        return false;
    }
    return true;
}

bool AsyncSocket::Socket(int type, long events, int protocol, int family) {
    if (!CheckThread()) {
        return false;
    }
    if (fd_ != INVALID_SOCKET) {
        detail::SetLastError(EINVAL);
        return false;
    }
    Descriptor fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    if (!fd) {
        detail::SetLastError(errno);
        return false;
    }
    if (!Adopt(fd.Get(), family, type, events, State::Open)) {
        return false;
    }
    static_cast<void>(fd.Release());  // the socket owns it now
    return true;
}

bool AsyncSocket::Bind(unsigned port, const char* address) {
    if (!CheckOpen()) {
        return false;
    }
    SocketAddress local = SocketAddress::Any(family_, port);
    if (address != nullptr && *address != '\0') {
        std::error_code error;
        std::vector<SocketAddress> found =
            SocketAddress::Resolve(address, port, family_, type_, error);
        if (error) {
            detail::SetLastError(error);
            return false;
        }
        local = found.front();
    }
    return Bind(local);
}

bool AsyncSocket::Bind(const SocketAddress& address) {
    if (!CheckOpen()) {
        return false;
    }
    int error = 0;
    if (::bind(fd_, address.Native(), address.NativeLength()) != 0) {
        error = errno;
        if (error == EADDRINUSE && address.IsUnixPath() && RemoveStaleUnixSocket(address)) {
            error = ::bind(fd_, address.Native(), address.NativeLength()) == 0 ? 0 : errno;
        }
    }
    if (error != 0) {
        detail::SetLastError(error);
        return false;
    }
    // The wildcard address with port 0 is what connect would pick anyway
    // (MFC's Create binds it): such a socket may still change family.
    int family = address.Family();
    bool wildcard = (family == AF_INET || family == AF_INET6) && address.Port() == 0 &&
                    address == SocketAddress::Any(family, 0);
    bound_ = !wildcard;
    return true;
}

// Registers `fd` with the calling thread's loop. On failure nothing is left
// registered, and the descriptor stays with the caller.
bool AsyncSocket::Adopt(SOCKET fd, int family, int type, long events, State state) {
    auto fail = [](std::error_code error) {
        detail::SetLastError(error);
        return false;
    };
    SocketLoop* loop = nullptr;
    try {
        loop = &SocketLoop::ForThisThread();
    } catch (const std::system_error& error) {
        return fail(error.code());
    } catch (const std::exception&) {
        return fail(std::make_error_code(std::errc::not_enough_memory));
    }
    if (!loop->CanWatch(fd)) {
        // The select backend cannot name this descriptor.
        return fail(std::make_error_code(std::errc::too_many_files_open));
    }
    fd_ = fd;
    family_ = static_cast<std::uint8_t>(family);
    type_ = static_cast<std::uint8_t>(type);
    events_ = events;
    state_ = state;
    interest_ = 0;
    readArmed_ = acceptArmed_ = oobArmed_ = true;
    // FD_WRITE is owed to a connection just handed over, and to a datagram
    // socket, which can send at once.
    writeArmed_ = state == State::Connected || type == SOCK_DGRAM;
    peerClosed_ = false;
    bound_ = state != State::Open;
    ownSendBuffer_ = false;
    closeError_ = 0;
    closeErrorUnread_ = false;
    loop_ = loop;
    loop->Register(this, fd);
    if (!UpdateInterest()) {
        // The backend refused the descriptor (epoll out of memory or watches):
        // undo everything, so a failed call leaves nothing open or registered.
        std::error_code error = detail::LastError();
        static_cast<void>(Release());
        detail::SetLastError(error);
        return false;
    }
    return true;
}

void AsyncSocket::Close() {
    if (!CheckThread() || fd_ == INVALID_SOCKET) {
        return;
    }
    std::unique_ptr<StreamFilter> unsent = filtered_ ? FilteredClose() : nullptr;
    bool unread = !TakeHeldInput().empty();
    if (unread) {
        // Unread bytes the loop took off the descriptor: the close resets the
        // connection, as the kernel's own close does with unread data.
        linger abort{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    // Sent bytes the kernel had no room for yet go on after the close, as the
    // kernel's own do (unless the close is abortive): the loop keeps the
    // descriptor, and closes it after them.
    bool kept = loop_ != nullptr && loop_->SendsStreams() && loop_->SendsWaiting(fd_) &&
                loop_->SettleSends(
                    fd_, unread ? SocketLoop::Leaving::AbortiveClose : SocketLoop::Leaving::Close);
    SOCKET fd = Release();
    if (unsent) {
        detail::FlushThenClose(fd, std::move(unsent));
        return;
    }
    if (!kept) {
        ::close(fd);  // never retried: on Linux the descriptor is gone even after EINTR
    }
}

SOCKET AsyncSocket::Detach() {
    if (!CheckThread() || fd_ == INVALID_SOCKET) {
        return INVALID_SOCKET;
    }
    if (loop_ != nullptr && loop_->SendsStreams() && loop_->SendsWaiting(fd_)) {
        loop_->SettleSends(fd_, SocketLoop::Leaving::Detach);  // its next owner's bytes go after
    }
    std::string held = TakeHeldInput();
    SOCKET fd = Release();
    detail::CarryAcrossDetach(fd, std::move(held));
    return fd;
}

// Unhooks the descriptor from this object and its loop, leaving it open.
SOCKET AsyncSocket::Release() noexcept {
    for (DispatchFrame* frame = frames_; frame != nullptr; frame = frame->outer) {
        frame->closed = true;
    }
    if (loop_ != nullptr) {
        if (acceptRetry_ != 0) {
            loop_->KillTimer(acceptRetry_);
        }
        if (filtered_ && filtered_->handshakeTimer != 0) {
            loop_->KillTimer(filtered_->handshakeTimer);
        }
        loop_->Unregister(fd_, interest_);
    }
    SOCKET fd = fd_;
    fd_ = INVALID_SOCKET;
    state_ = State::Closed;
    interest_ = 0;
    readArmed_ = writeArmed_ = acceptArmed_ = oobArmed_ = peerClosed_ = heldBack_ = bound_ = false;
    ownSendBuffer_ = false;
    waitInterest_ = waitReady_ = 0;
    closeError_ = 0;
    closeErrorUnread_ = false;
    acceptRetry_ = 0;
    connect_.reset();
    filtered_.reset();
    loop_ = nullptr;
    return fd;
}

void AsyncSocket::OnLoopDestroyed() noexcept {
    try {
        // Bytes the loop took off the descriptor go with the socket, which
        // reads them first without a loop, and hands them on to an Attach.
        detail::CarryAcrossDetach(fd_, TakeHeldInput());
    } catch (const std::bad_alloc&) {
        // No memory to keep them: they go with the loop.
    }
    loop_ = nullptr;
    interest_ = 0;
    acceptRetry_ = 0;  // the timer went with the loop
    if (filtered_) {
        filtered_->handshakeTimer = 0;
    }
}

bool AsyncSocket::Attach(SOCKET handle, long events) {
    if (!CheckThread()) {
        return false;
    }
    if (fd_ != INVALID_SOCKET) {
        detail::SetLastError(EINVAL);
        return false;
    }
    if (SocketLoop* loop = SocketLoop::Current(); loop != nullptr && loop->Lookup(handle)) {
        detail::SetLastError(EALREADY);  // another object on this thread has it
        return false;
    }
    int type = 0;
    int listening = 0;
    socklen_t length = sizeof type;
    SocketAddress local;
    socklen_t localLength = SocketAddress::Capacity();
    if (::getsockopt(handle, SOL_SOCKET, SO_TYPE, &type, &length) != 0 ||
        ::getsockname(handle, local.Native(), &localLength) != 0) {
        detail::SetLastError(errno == EBADF ? ENOTSOCK : errno);
        return false;
    }
    length = sizeof listening;
    ::getsockopt(handle, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length);
    sockaddr_storage peer{};
    socklen_t peerLength = sizeof peer;
    bool connected = ::getpeername(handle, reinterpret_cast<sockaddr*>(&peer), &peerLength) == 0;
    int flags = ::fcntl(handle, F_GETFL);
    if (flags < 0 || ::fcntl(handle, F_SETFL, flags | O_NONBLOCK) != 0) {
        detail::SetLastError(errno);
        return false;
    }
    State state = listening                          ? State::Listening
                  : connected && type == SOCK_STREAM ? State::Connected
                                                     : State::Open;
    local.SetNativeLength(localLength);
    if (!Adopt(handle, local.Native()->sa_family, type, events, state)) {
        return false;
    }
    if (type == SOCK_STREAM) {
        loop_->Carry(handle, detail::TakeCarried(handle));
    }
    bound_ = bound_ || local.Port() != 0 || local.IsUnixPath();
    return true;
}

AsyncSocket* AsyncSocket::FromHandle(SOCKET handle) noexcept {
    SocketLoop* loop = SocketLoop::Current();
    return loop != nullptr ? loop->Lookup(handle) : nullptr;
}

}  // namespace xsock
