// AsyncSocket's lifecycle and the WSAAsyncSelect firing rules. The plain
// I/O and option calls are in AsyncSocketIo.cpp.
#include <xsock/AsyncSocket.h>

#include "LastError.h"
#include "poller/Poller.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>
#include <system_error>

namespace xsock {

// Lives on the stack while notifications run, so a socket destroyed or closed
// by one of them is noticed before the next is delivered.
struct AsyncSocket::DispatchFrame {
    bool destroyed = false;
    bool closed = false;
    DispatchFrame* outer = nullptr;
};

struct AsyncSocket::ConnectPlan {
    std::vector<SocketAddress> candidates;
    std::size_t next = 0;
};

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

int AsyncSocket::GetLastError() noexcept {
    std::error_code code = detail::LastError();
    if (code.category() == detail::ResolverCategory()) {
        return detail::ResolverErrno(code.value());
    }
    return code.value();
}

std::error_code AsyncSocket::GetLastErrorCode() noexcept {
    return detail::LastError();
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

bool AsyncSocket::Create(unsigned port, int type, long events, const char* address) {
    int family = AF_INET;
    if (address != nullptr && *address != '\0') {
        std::error_code error;
        if (std::string_view(address).substr(0, 5) == "unix:") {
            family = AF_UNIX;
        } else if (SocketAddress::FromHostAndPort(address, port, error).Family() == AF_INET6) {
            family = AF_INET6;
        }
    }
    if (!Socket(type, events, 0, family)) {
        return false;
    }
    if (type == SOCK_STREAM && port != 0 && family != AF_UNIX) {
        int on = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    }
    if (!Bind(port, address)) {
        std::error_code error = detail::LastError();
        Close();
        detail::SetLastError(error);
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
    int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        detail::SetLastError(errno);
        return false;
    }
    return Adopt(fd, family, type, events, State::Open, true);
}

bool AsyncSocket::Adopt(SOCKET fd, int family, int type, long events, State state,
                        bool closeOnFailure) {
    auto fail = [&](std::error_code error) {
        if (closeOnFailure) {
            ::close(fd);
        }
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
    closeError_ = 0;
    loop_ = loop;
    loop->Adopt(this, fd);
    if (!UpdateInterest()) {
        // The backend refused the descriptor (epoll out of memory or watches):
        // undo everything, so a failed call leaves nothing open or registered.
        std::error_code error = detail::LastError();
        SOCKET released = Release();
        if (closeOnFailure) {
            ::close(released);
        }
        detail::SetLastError(error);
        return false;
    }
    return true;
}

void AsyncSocket::Close() {
    if (!CheckThread() || fd_ == INVALID_SOCKET) {
        return;
    }
    ::close(Release());  // never retried: on Linux the descriptor is gone even after EINTR
}

SOCKET AsyncSocket::Detach() {
    if (!CheckThread() || fd_ == INVALID_SOCKET) {
        return INVALID_SOCKET;
    }
    return Release();
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
        loop_->Forget(fd_, interest_);
    }
    SOCKET fd = fd_;
    fd_ = INVALID_SOCKET;
    state_ = State::Closed;
    interest_ = 0;
    readArmed_ = writeArmed_ = acceptArmed_ = oobArmed_ = peerClosed_ = deferred_ = false;
    waitInterest_ = waitReady_ = 0;
    closeError_ = 0;
    acceptRetry_ = 0;
    connect_.reset();
    loop_ = nullptr;
    return fd;
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
    return Adopt(handle, local.Native()->sa_family, type, events, state, false);
}

AsyncSocket* AsyncSocket::FromHandle(SOCKET handle) noexcept {
    SocketLoop* loop = SocketLoop::Current();
    return loop != nullptr ? loop->Lookup(handle) : nullptr;
}

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
    int fd;
    do {
        fd = ::accept4(fd_, address.Native(), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int error = errno == EAGAIN ? EWOULDBLOCK : errno;
        if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
            HoldBackAccept();
        }
        UpdateInterest();
        detail::SetLastError(error);
        return false;
    }
    address.SetNativeLength(length);
    if (!connected.Adopt(fd, family_, type_, events_, State::Connected, true)) {
        std::error_code error = detail::LastError();
        if (error.value() == EMFILE) {
            HoldBackAccept();
        }
        UpdateInterest();
        detail::SetLastError(error);
        return false;
    }
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

bool AsyncSocket::Connect(const char* host, unsigned port) {
    if (!CheckOpen()) {
        return false;
    }
    std::error_code error;
    std::vector<SocketAddress> candidates =
        SocketAddress::Resolve(host, port, family_, type_, error);
    if (error) {
        detail::SetLastError(error);
        return false;
    }
    return ConnectHelper(std::move(candidates));
}

bool AsyncSocket::Connect(const SocketAddress& address) {
    if (!CheckOpen()) {
        return false;
    }
    return ConnectHelper({address});
}

bool AsyncSocket::ConnectHelper(std::vector<SocketAddress> candidates) {
    if (!CheckOpen()) {
        return false;
    }
    if (state_ == State::Connecting) {
        detail::SetLastError(EALREADY);
        return false;
    }
    if (state_ != State::Open) {
        detail::SetLastError(state_ == State::Connected ? EISCONN : EINVAL);
        return false;
    }
    if (candidates.empty()) {
        detail::SetLastError(EHOSTUNREACH);
        return false;
    }
    connect_ = std::make_unique<ConnectPlan>(ConnectPlan{std::move(candidates), 0});
    if (!StartConnect()) {
        return false;
    }
    if (!UpdateInterest()) {
        return false;
    }
    if (type_ == SOCK_DGRAM) {
        return true;  // a datagram socket only records its default destination
    }
    detail::SetLastError(EWOULDBLOCK);
    return false;
}

// Starts a connect to the next candidate that does not fail at once. A
// datagram socket connects synchronously and stays Open.
bool AsyncSocket::StartConnect() noexcept {
    int lastError = EHOSTUNREACH;
    while (connect_->next < connect_->candidates.size()) {
        const SocketAddress& address = connect_->candidates[connect_->next++];
        if (::connect(fd_, address.Native(), address.NativeLength()) == 0) {
            if (type_ == SOCK_DGRAM) {
                connect_.reset();
                return true;
            }
            state_ = State::Connecting;  // OnConnect(0) follows from the loop, as usual
            return true;
        }
        // EINTR: the connection goes on in the background, like EINPROGRESS.
        if (errno == EINPROGRESS || errno == EINTR) {
            state_ = State::Connecting;
            return true;
        }
        // EAGAIN is never a connect under way: a Unix-domain listener's queue
        // is full. Winsock reports a full backlog as a refusal, and EAGAIN
        // would read as EWOULDBLOCK, promising an OnConnect that never comes.
        lastError = errno == EAGAIN ? ECONNREFUSED : errno;
    }
    connect_.reset();
    state_ = State::Open;
    detail::SetLastError(lastError);
    return false;
}

unsigned AsyncSocket::DesiredInterest() const noexcept {
    if (deferred_) {
        return 0;  // held back while another socket's blocking call runs
    }
    if (waitInterest_ != 0) {
        return waitInterest_;  // a blocking call waits for exactly this
    }
    switch (state_) {
        case State::Listening:
            return acceptArmed_ && (events_ & FD_ACCEPT) ? unsigned{detail::kReadable} : 0u;
        case State::Connecting:
            return detail::kWritable;  // watched even without FD_CONNECT, to start reading
        case State::Open:
            if (type_ != SOCK_DGRAM) {
                return 0;  // an unconnected stream socket polls as hung up: never watch it
            }
            [[fallthrough]];
        case State::Connected: {
            unsigned want = 0;
            if (readArmed_ && !peerClosed_ && (events_ & (FD_READ | FD_CLOSE))) {
                want |= detail::kReadable;
            }
            if (oobArmed_ && (events_ & FD_OOB) && type_ == SOCK_STREAM) {
                want |= detail::kPriority;
            }
            if (writeArmed_ && (events_ & FD_WRITE)) {
                want |= detail::kWritable;
            }
            return want;
        }
        case State::Closed:
            break;
    }
    return 0;
}

bool AsyncSocket::UpdateInterest() noexcept {
    if (loop_ == nullptr || fd_ == INVALID_SOCKET) {
        return true;
    }
    unsigned want = DesiredInterest();
    if (want == interest_) {
        return true;
    }
    if (!loop_->Watch(fd_, interest_, want)) {
        detail::SetLastError(errno);
        return false;
    }
    interest_ = static_cast<std::uint8_t>(want);
    return true;
}

void AsyncSocket::UpdateInterestAfterIo() noexcept {
    if (frames_ == nullptr || waitInterest_ != 0) {
        UpdateInterest();
    }
}

bool AsyncSocket::StillOpen(const DispatchFrame& frame) noexcept {
    return !frame.destroyed && !frame.closed;
}

void AsyncSocket::HandleReady(unsigned events) {
    if (waitInterest_ != 0) {
        waitReady_ |=
            static_cast<std::uint8_t>(events);  // for the blocking call, not a notification
        return;
    }
    // However the notifications end (return, exception, Close, delete), the
    // frame is unlinked and the backend is told what to watch now.
    struct Scope {
        AsyncSocket* socket;
        DispatchFrame& frame;
        Scope(AsyncSocket* s, DispatchFrame& f) : socket(s), frame(f) {
            frame.outer = socket->frames_;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// The destructor below unlinks the frame before it goes out of scope.
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
            socket->frames_ = &frame;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
        }
        ~Scope() {
            if (!frame.destroyed) {
                socket->frames_ = frame.outer;
                socket->UpdateInterest();
            }
        }
    };
    DispatchFrame frame;
    Scope scope(this, frame);

    switch (state_) {
        case State::Listening:
            if (acceptArmed_ && (events_ & FD_ACCEPT)) {
                acceptArmed_ = false;
                OnAccept(0);
            }
            return;
        case State::Connecting:
            if (!HandleConnectDone(frame, events)) {
                return;
            }
            break;
        case State::Open:
        case State::Connected:
            if ((events & detail::kPriority) && oobArmed_ && (events_ & FD_OOB)) {
                oobArmed_ = false;
                OnOutOfBandData(0);
                if (!StillOpen(frame)) {
                    return;
                }
            }
            if (events & (detail::kReadable | detail::kHangup | detail::kError)) {
                HandleReadable(events);
                if (!StillOpen(frame)) {
                    return;
                }
            }
            break;
        case State::Closed:
            return;
    }
    if ((events & detail::kWritable) && writeArmed_ && (events_ & FD_WRITE)) {
        writeArmed_ = false;
        OnSend(0);
    }
}

// Returns true if the socket is now connected and still open, so the caller
// may go on to OnSend.
bool AsyncSocket::HandleConnectDone(DispatchFrame& frame, unsigned events) {
    if (!(events & (detail::kWritable | detail::kError | detail::kHangup))) {
        return false;
    }
    int error = CompleteConnect();
    if (error < 0) {
        return false;  // in progress again; OnConnect waits for the outcome
    }
    if (events_ & FD_CONNECT) {
        OnConnect(error);
        if (!StillOpen(frame)) {
            return false;
        }
    }
    return error == 0 && state_ == State::Connected;
}

// Ends a connect that the backend reported done: 0 when connected, the errno
// when it failed, -1 when the next resolved address is being tried.
int AsyncSocket::CompleteConnect() noexcept {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
    }
    // The same descriptor may connect again after a failure: try the next
    // resolved address before telling the application.
    while (error != 0 && connect_ && connect_->next < connect_->candidates.size()) {
        if (StartConnect()) {
            return -1;
        }
        error = detail::LastError().value();
    }
    connect_.reset();
    if (error == 0) {
        state_ = State::Connected;
        readArmed_ = oobArmed_ = writeArmed_ = true;
    } else {
        state_ = State::Open;
    }
    return error;
}

// Gives up a connect under way (a blocking Connect that timed out or was
// cancelled): connecting to AF_UNSPEC dissolves the attempt, so the socket can
// connect again.
void AsyncSocket::AbandonConnect() noexcept {
    if (state_ != State::Connecting) {
        return;
    }
    sockaddr none{};
    none.sa_family = AF_UNSPEC;
    if (::connect(fd_, &none, sizeof none) != 0) {
        return;  // not dissolved: the attempt goes on, and the socket says so
    }
    connect_.reset();
    state_ = State::Open;
    UpdateInterest();
}

void AsyncSocket::HandleReadable(unsigned events) {
    if (!readArmed_ || peerClosed_) {
        return;
    }
    enum class Found { Data, EndOfStream, Failure, Nothing } found = Found::Data;
    int error = 0;
    bool ambiguous = !loop_->reportsHangup_ || (events & (detail::kHangup | detail::kError));
    if (type_ == SOCK_STREAM && ambiguous) {
        // Readable may mean data, an orderly end or a reset: peek to tell,
        // without taking anything the application has not read.
        char byte;
        ssize_t n;
        do {
            n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            found = Found::Data;
        } else if (n == 0) {
            found = Found::EndOfStream;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            found = Found::Nothing;
        } else {
            found = Found::Failure;
            error = errno;
        }
    }
    switch (found) {
        case Found::Nothing:
            return;
        case Found::Data:
            // Without FD_READ the data waits for a Receive the application
            // makes on its own; either way, watching stops until then.
            readArmed_ = false;
            if (events_ & FD_READ) {
                OnReceive(0);
            }
            return;
        case Found::EndOfStream:
        case Found::Failure:
            readArmed_ = false;
            peerClosed_ = true;
            if (events_ & FD_CLOSE) {
                OnClose(found == Found::Failure ? error : closeError_);
            }
            return;
    }
}

void AsyncSocket::OnReceive(int) {}
void AsyncSocket::OnSend(int) {}
void AsyncSocket::OnOutOfBandData(int) {}
void AsyncSocket::OnAccept(int) {}
void AsyncSocket::OnConnect(int) {}
void AsyncSocket::OnClose(int) {}

}  // namespace xsock
