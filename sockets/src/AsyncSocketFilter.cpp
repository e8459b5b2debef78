// AsyncSocket with a StreamFilter (TLS): the handshake between the connect and
// OnConnect (or before a connected socket's OnSend), and Send, Receive and
// ShutDown through the filter, with section 3's rules kept for its bytes.
#include <xsock/AsyncSocket.h>
#include <xsock/StreamFilter.h>

#include "AsyncSocketInternals.h"
#include "LastError.h"
#include "Readiness.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace xsock {

StreamFilter::~StreamFilter() = default;

bool StreamFilter::TakeInput(const void* /*data*/, std::size_t /*length*/) {
    return false;
}

namespace {

// What one Send hands a filter at most, so the output it holds stays bounded.
constexpr int kMaxSendChunk = 64 * 1024;

bool WouldBlock(const std::error_code& error) {
    return error == std::errc::operation_would_block ||
           error == std::errc::resource_unavailable_try_again;
}

// The errno a filter's error is reported as through GetLastError().
int ErrnoOf(const std::error_code& error) {
    if (error.category() == std::generic_category() || error.category() == std::system_category()) {
        return error.value();
    }
    std::error_condition condition = error.default_error_condition();
    return condition.category() == std::generic_category() ? condition.value() : EPROTO;
}

int Fail(int posixError) {
    detail::SetLastError(posixError);
    return SOCKET_ERROR;
}

}  // namespace

bool AsyncSocket::SetFilter(std::unique_ptr<StreamFilter> filter) {
    if (!CheckOpen()) {
        return false;
    }
    int refusal = filter == nullptr || state_ == State::Listening ? EINVAL
                  : type_ != SOCK_STREAM                          ? EOPNOTSUPP
                  : filtered_                                     ? EALREADY
                                                                  : 0;
    if (refusal != 0) {
        detail::SetLastError(refusal);
        return false;
    }
    if (loop_ != nullptr && loop_->SendsStreams() && loop_->SendsWaiting(fd_)) {
        loop_->SettleSends(fd_, SocketLoop::Leaving::Detach);  // the filter's bytes go after
    }
    if (std::string held = TakeHeldInput();
        !held.empty() && !filter->TakeInput(held.data(), held.size())) {
        loop_->Carry(fd_, std::move(held));  // still the socket's own to read
        detail::SetLastError(EOPNOTSUPP);
        return false;
    }
    filtered_ = std::make_unique<Filtered>();
    filtered_->filter = std::move(filter);
    if (state_ == State::Connected) {
        BeginHandshake(false);
        if (StepHandshake() > 0) {
            ReportHandshakeFailure(detail::LastError());
        }
    }
    return UpdateInterest();
}

std::unique_ptr<StreamFilter> AsyncSocket::TakeFilter() {
    if (!CheckOpen() || !filtered_) {
        return nullptr;
    }
    if (filtered_->handshaking) {
        detail::SetLastError(EINPROGRESS);
        return nullptr;
    }
    if (filtered_->handshakeTimer != 0 && loop_ != nullptr) {
        loop_->KillTimer(filtered_->handshakeTimer);
    }
    std::unique_ptr<StreamFilter> filter = std::move(filtered_->filter);
    filtered_.reset();
    UpdateInterest();
    return filter;
}

StreamFilter* AsyncSocket::Filter() const noexcept {
    return filtered_ ? filtered_->filter.get() : nullptr;
}

bool AsyncSocket::Handshaking() const noexcept {
    return filtered_ && filtered_->handshaking;
}

std::chrono::steady_clock::time_point AsyncSocket::HandshakeDeadline() const noexcept {
    return Handshaking() ? filtered_->deadline : std::chrono::steady_clock::time_point::max();
}

void AsyncSocket::BeginHandshake(bool afterConnect) {
    Filtered& filtered = *filtered_;
    filtered.handshaking = true;
    filtered.afterConnect = afterConnect;
    std::chrono::milliseconds timeout = filtered.filter->HandshakeTimeout();
    filtered.deadline = timeout.count() > 0 ? std::chrono::steady_clock::now() + timeout
                                            : std::chrono::steady_clock::time_point::max();
    if (loop_ != nullptr && timeout.count() > 0) {
        filtered.handshakeTimer = loop_->SetTimer(
            timeout, [this] { HandshakeExpired(); }, false);
    }
}

// 0 when the handshake is done, -1 while it goes on, or the errno it failed
// with (GetLastErrorCode() keeps the filter's reason).
int AsyncSocket::StepHandshake() noexcept {
    Filtered& filtered = *filtered_;
    std::error_code error;
    int step = filtered.filter->Handshake(fd_, error);
    if (step == 0) {
        return -1;
    }
    if (step < 0) {
        return FailHandshake(error);
    }
    if (filtered.handshakeTimer != 0 && loop_ != nullptr) {
        loop_->KillTimer(filtered.handshakeTimer);
    }
    filtered.handshakeTimer = 0;
    filtered.handshaking = false;
    if (filtered.afterConnect) {
        state_ = State::Connected;
        readArmed_ = oobArmed_ = true;
    }
    writeArmed_ = true;  // OnSend(0), as after a connect or an Accept
    return 0;
}

int AsyncSocket::FailHandshake(std::error_code error) noexcept {
    Filtered& filtered = *filtered_;
    if (filtered.handshakeTimer != 0 && loop_ != nullptr) {
        loop_->KillTimer(filtered.handshakeTimer);
    }
    filtered.handshakeTimer = 0;
    filtered.handshaking = false;
    filtered.failed = true;
    writeArmed_ = false;
    if (filtered.afterConnect) {
        state_ = State::Open;
    } else {
        readArmed_ = false;
        peerClosed_ = true;
    }
    detail::SetLastError(error);
    return ErrnoOf(error);
}

// The handshake timer: a blocking call waiting on this socket keeps its own
// deadline, which includes the handshake's.
void AsyncSocket::HandshakeExpired() {
    filtered_->handshakeTimer = 0;
    if (!Handshaking() || waitInterest_ != 0) {
        return;
    }
    bool afterConnect = filtered_->afterConnect;
    int error = FailHandshake(filtered_->filter->HandshakeTimedOut());
    DispatchFrame frame;
    DispatchScope scope(*this, frame);
    if (afterConnect && (events_ & FD_CONNECT)) {
        OnConnect(error);
    } else if (!afterConnect && (events_ & FD_CLOSE)) {
        OnClose(error);
    }
}

int AsyncSocket::ContinueConnect() {
    if (Handshaking()) {
        return StepHandshake();
    }
    int error = CompleteConnect();
    if (error > 0) {
        detail::SetLastError(error);
    }
    if (error != 0 || !filtered_) {
        return error;
    }
    state_ = State::Connecting;  // until the handshake is done
    BeginHandshake(true);
    return StepHandshake();
}

unsigned AsyncSocket::ConnectInterest() const noexcept {
    if (!Handshaking()) {
        return detail::kWritable;
    }
    return detail::kReadable | (filtered_->filter->HasPendingOutput() ? detail::kWritable : 0u);
}

unsigned AsyncSocket::FilteredInterest() const noexcept {
    if (state_ == State::Connecting) {
        return ConnectInterest();
    }
    if (state_ != State::Connected) {
        return 0;
    }
    const Filtered& filtered = *filtered_;
    unsigned want = filtered.filter->HasPendingOutput() ? unsigned{detail::kWritable} : 0u;
    if (filtered.handshaking) {
        return want | detail::kReadable;
    }
    if (readArmed_ && !peerClosed_ && (events_ & (FD_READ | FD_CLOSE))) {
        want |= detail::kReadable;
    }
    if (writeArmed_ && (events_ & FD_WRITE) && !filtered.failed) {
        want |= detail::kWritable;
    }
    return want;
}

// Input the filter took off the descriptor is invisible to the backend: the
// loop is told to report the socket readable without waiting for it.
void AsyncSocket::MarkBufferedInput() noexcept {
    Filtered& filtered = *filtered_;
    if (filtered.marked || loop_ == nullptr || (heldBack_ && waitInterest_ == 0) ||
        filtered.handshaking) {
        return;
    }
    bool wanted = waitInterest_ != 0 ? (waitInterest_ & detail::kReadable) != 0
                                     : state_ == State::Connected && readArmed_ && !peerClosed_ &&
                                           (events_ & (FD_READ | FD_CLOSE));
    if (wanted && filtered.filter->HasBufferedInput()) {
        loop_->MarkReadable(fd_);
        filtered.marked = true;
    }
}

void AsyncSocket::HandleFilteredReady(DispatchFrame& frame, unsigned events) {
    Filtered& filtered = *filtered_;
    if ((events & (detail::kWritable | detail::kError | detail::kHangup)) &&
        filtered.filter->HasPendingOutput()) {
        FlushFilter();
    }
    bool writable = (events & detail::kWritable) && !filtered.filter->HasPendingOutput();
    if (filtered.handshaking) {
        int error = StepHandshake();
        if (error < 0) {
            return;
        }
        if (error > 0) {
            if (events_ & FD_CLOSE) {
                OnClose(error);
            }
            return;
        }
    }
    if (events & (detail::kReadable | detail::kHangup | detail::kError)) {
        HandleReadable(events);
        if (!StillOpen(frame)) {
            return;
        }
    }
    if (writable && writeArmed_ && (events_ & FD_WRITE)) {
        writeArmed_ = false;
        OnSend(0);
    }
}

bool AsyncSocket::FlushFilter() noexcept {
    Filtered& filtered = *filtered_;
    std::error_code error;
    if (!filtered.filter->Flush(fd_, error)) {
        return false;
    }
    if (filtered.shutPending) {
        filtered.shutPending = false;
        ::shutdown(fd_, filtered.shutHow);
    }
    return true;
}

int AsyncSocket::FilteredSend(const void* buffer, int length, int flags) {
    Filtered& filtered = *filtered_;
    if (flags & MSG_OOB) {
        return Fail(EOPNOTSUPP);  // a filtered stream has no urgent data
    }
    if (filtered.sendShut) {
        return Fail(EPIPE);
    }
    if (filtered.failed || state_ == State::Open) {
        return Fail(ENOTCONN);
    }
    if (state_ == State::Connecting || filtered.handshaking) {
        writeArmed_ = true;  // OnSend once the handshake is done
        UpdateInterestAfterIo();
        return Fail(EWOULDBLOCK);
    }
    std::error_code error;
    long n = filtered.filter->Write(
        fd_, buffer, static_cast<std::size_t>(std::min(length, kMaxSendChunk)), error);
    if (n < 0 && WouldBlock(error)) {
        writeArmed_ = true;
        error = std::make_error_code(std::errc::operation_would_block);
    }
    UpdateInterestAfterIo();
    if (n >= 0) {
        return static_cast<int>(n);
    }
    detail::SetLastError(error);
    return SOCKET_ERROR;
}

int AsyncSocket::FilteredReceive(void* buffer, int length, int flags) {
    Filtered& filtered = *filtered_;
    readArmed_ = oobArmed_ = true;
    if (flags & MSG_OOB) {
        return Fail(EINVAL);  // as recv with MSG_OOB when no urgent data waits
    }
    if (filtered.failed || state_ == State::Open) {
        return Fail(ENOTCONN);
    }
    if (state_ == State::Connecting || filtered.handshaking) {
        UpdateInterestAfterIo();
        return Fail(EWOULDBLOCK);
    }
    std::error_code error;
    long n = filtered.filter->Read(fd_, buffer, static_cast<std::size_t>(length),
                                   (flags & MSG_PEEK) != 0, error);
    UpdateInterestAfterIo();
    if (n >= 0) {
        return static_cast<int>(n);
    }
    int code = WouldBlock(error) ? EWOULDBLOCK : ErrnoOf(error);
    if (code == ECONNRESET || code == ECONNABORTED || code == ETIMEDOUT) {
        closeError_ = code;  // the end is consumed here; OnClose still reports it
    }
    if (code == EWOULDBLOCK) {
        return Fail(EWOULDBLOCK);
    }
    detail::SetLastError(error);
    return SOCKET_ERROR;
}

// Sends the filter's end (close_notify) before the descriptor's own shutdown,
// which waits until that end has left.
bool AsyncSocket::FilteredShutDown(int how) {
    Filtered& filtered = *filtered_;
    int mode = how == sends ? SHUT_WR : SHUT_RDWR;
    if (!filtered.handshaking && !filtered.failed && !filtered.sendShut) {
        filtered.sendShut = true;
        std::error_code error;
        filtered.filter->Shutdown(fd_, error);
    }
    filtered.sendShut = true;
    if (filtered.filter->HasPendingOutput()) {
        filtered.shutPending = true;
        filtered.shutHow = mode;
        return UpdateInterest();
    }
    if (::shutdown(fd_, mode) != 0) {
        detail::SetLastError(errno);
        return false;
    }
    return true;
}

// Close ends the filter's stream as it ends the descriptor's: an orderly end
// (close_notify) unless a zero linger asks for an abortive close. Output the
// filter still holds (records Send took, then close_notify) is handed back,
// to leave after Close as the kernel's buffer does.
std::unique_ptr<StreamFilter> AsyncSocket::FilteredClose() noexcept {
    Filtered& filtered = *filtered_;
    linger value{};
    socklen_t size = sizeof value;
    bool abortive = ::getsockopt(fd_, SOL_SOCKET, SO_LINGER, &value, &size) == 0 &&
                    value.l_onoff != 0 && value.l_linger == 0;
    // Nor after a reset or a failure: nothing could read it.
    if (abortive || filtered.handshaking || filtered.failed || state_ != State::Connected ||
        closeError_ != 0) {
        return nullptr;
    }
    if (!filtered.sendShut) {
        std::error_code error;
        filtered.filter->Shutdown(fd_, error);
    }
    if (!filtered.filter->HasPendingOutput() || loop_ == nullptr) {
        return nullptr;
    }
    return std::move(filtered.filter);
}

}  // namespace xsock
