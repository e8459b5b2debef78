// AsyncSocket as a client: Connect and the walk through its candidates, which
// reopens the socket when the next candidate is of another family.
#include <xsock/AsyncSocket.h>

#include <xsock/Descriptor.h>

#include "AsyncSocketInternals.h"
#include "LastError.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>

namespace xsock {

namespace {

// Carries an option the user set over to a reopened socket. Only values that
// differ from a fresh socket's are copied: setting a buffer size turns off the
// kernel's automatic sizing, so a default must stay a default.
void CopyIntOption(int from, int to, int level, int option) {
    int value = 0;
    int fresh = 0;
    socklen_t length = sizeof value;
    socklen_t freshLength = sizeof fresh;
    if (::getsockopt(from, level, option, &value, &length) != 0 ||
        ::getsockopt(to, level, option, &fresh, &freshLength) != 0 || value == fresh) {
        return;
    }
#ifdef __linux__
    if (option == SO_RCVBUF || option == SO_SNDBUF) {
        value /= 2;  // Linux reports twice what was set, and doubles what is set
    }
#endif
    ::setsockopt(to, level, option, &value, sizeof value);
}

void CopyOptions(int from, int to) {
    CopyIntOption(from, to, SOL_SOCKET, SO_RCVBUF);
    CopyIntOption(from, to, SOL_SOCKET, SO_SNDBUF);
    CopyIntOption(from, to, SOL_SOCKET, SO_KEEPALIVE);
    CopyIntOption(from, to, IPPROTO_TCP, TCP_NODELAY);  // fails quietly off TCP
    linger value{};
    socklen_t length = sizeof value;
    if (::getsockopt(from, SOL_SOCKET, SO_LINGER, &value, &length) == 0 && value.l_onoff != 0) {
        ::setsockopt(to, SOL_SOCKET, SO_LINGER, &value, sizeof value);
    }
}

}  // namespace

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

bool AsyncSocket::Connect(const std::vector<SocketAddress>& candidates) {
    if (!CheckOpen()) {
        return false;
    }
    return ConnectHelper(candidates);
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
        if (address.Family() != family_ && !Reopen(address.Family())) {
            lastError = detail::LastError().value();
            continue;
        }
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

// Replaces the descriptor with a new socket of `family` and the same type,
// under the same handle number, so the loop's registration, FromHandle and a
// handle the application kept stay valid. A bound socket keeps its family.
bool AsyncSocket::Reopen(int family) noexcept {
    if (bound_) {
        detail::SetLastError(EAFNOSUPPORT);
        return false;
    }
    Descriptor fresh(::socket(family, type_ | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fresh) {
        detail::SetLastError(errno);
        return false;
    }
    CopyOptions(fd_, fresh.Get());
    if (interest_ != 0 && loop_ != nullptr) {
        // The backend forgets the old socket before its descriptor is reused.
        loop_->Watch(fd_, interest_, 0);
        interest_ = 0;
    }
    if (::dup3(fresh.Get(), fd_, O_CLOEXEC) < 0) {
        detail::SetLastError(errno);
        return false;
    }
    family_ = static_cast<std::uint8_t>(family);
    return true;
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
    if (Handshaking()) {
        // The filter's handshake cannot be taken up again: it fails here.
        FailHandshake(detail::LastError());
        UpdateInterest();
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

}  // namespace xsock
