// The WSAAsyncSelect firing rules: what the backend watches for a socket, and
// which notification a reported readiness becomes.
#include <xsock/AsyncSocket.h>

#include "AsyncSocketInternals.h"
#include "LastError.h"
#include "Readiness.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>

namespace xsock {

unsigned AsyncSocket::DesiredInterest() const noexcept {
    // A blocking call of this socket's own waits for exactly this, even when
    // a notification of it was held back during an earlier call of another.
    if (waitInterest_ != 0) {
        return WithStreamHint(waitInterest_);
    }
    if (heldBack_) {
        return 0;  // held back while another socket's blocking call runs
    }
    if (filtered_) {
        return FilteredInterest();
    }
    return WithStreamHint(DesiredEvents());
}

// A connected, unfiltered stream socket tells the backend so: readable then
// means data, its end or an error, which a backend may learn by peeking.
unsigned AsyncSocket::WithStreamHint(unsigned interest) const noexcept {
    if ((interest & detail::kReadable) && state_ == State::Connected && type_ == SOCK_STREAM &&
        !filtered_) {
        interest |= detail::kConnectedStream;
        if (events_ & FD_OOB) {
            interest |= detail::kUrgentSelected;
        }
    }
    return interest;
}

unsigned AsyncSocket::DesiredEvents() const noexcept {
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
    if (filtered_) {
        MarkBufferedInput();
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

AsyncSocket::DispatchScope::DispatchScope(AsyncSocket& socket, DispatchFrame& frame) noexcept
    : socket_(socket), frame_(frame) {
    frame_.outer = socket_.frames_;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// The frame lives on the caller's stack and ~DispatchScope unlinks it before
// the caller returns; GCC cannot see that once this is inlined.
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
    socket_.frames_ = &frame_;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
}

AsyncSocket::DispatchScope::~DispatchScope() {
    if (!frame_.destroyed) {
        socket_.frames_ = frame_.outer;
        socket_.UpdateInterest();
    }
}

void AsyncSocket::SetHeldBack(bool held) noexcept {
    heldBack_ = held;
    if (held) {
        UpdateInterest();  // stop watching, so a blocking wait does not spin on it
    }
}

void AsyncSocket::BeginWait(unsigned interest) noexcept {
    waitInterest_ = static_cast<std::uint8_t>(interest);
    waitReady_ = 0;
    UpdateInterest();
}

void AsyncSocket::EndWait() noexcept {
    waitInterest_ = 0;
    UpdateInterest();
}

void AsyncSocket::TakeWriteNotification() noexcept {
    writeArmed_ = false;
    UpdateInterest();
}

bool AsyncSocket::StillOpen(const DispatchFrame& frame) noexcept {
    return !frame.destroyed && !frame.closed;
}

void AsyncSocket::HandleReady(unsigned events, int error) {
    if (error != 0) {
        closeError_ = error;  // gone from the socket: Receive and OnClose report it
        closeErrorUnread_ = true;
    }
    if (filtered_) {
        filtered_->marked = false;
    }
    if (waitInterest_ != 0) {
        waitReady_ |=
            static_cast<std::uint8_t>(events);  // for the blocking call, not a notification
        return;
    }
    if (error != 0 && !(DesiredEvents() & detail::kReadable)) {
        // Taken off a socket that watches no reading now (it stopped just
        // as the backend met the reset): kept until it reads or asks for
        // FD_CLOSE again, as the socket itself would have kept it.
        events &= ~static_cast<unsigned>(detail::kReadable | detail::kError | detail::kHangup |
                                         detail::kData);
        if (events == 0) {
            return;
        }
    }
    DispatchFrame frame;
    DispatchScope scope(*this, frame);

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
            if (filtered_) {
                HandleFilteredReady(frame, events);
                return;
            }
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

// A handshake that failed inside SetFilter (the peer's first flight was
// already there, and wrong) fails as one that fails later does: OnClose(err)
// from the loop, never inside the call. The timer goes with the socket.
void AsyncSocket::ReportHandshakeFailure(std::error_code error) {
    if (loop_ == nullptr) {
        return;
    }
    filtered_->handshakeTimer = loop_->SetTimer(
        std::chrono::milliseconds(0),
        [this, error] {
            filtered_->handshakeTimer = 0;
            detail::SetLastError(error);
            DispatchFrame frame;
            DispatchScope scope(*this, frame);
            if (events_ & FD_CLOSE) {
                OnClose(GetLastError());
            }
        },
        false);
}

// Returns true if the socket is now connected and still open, so the caller
// may go on to OnSend.
bool AsyncSocket::HandleConnectDone(DispatchFrame& frame, unsigned events) {
    unsigned progress = detail::kWritable | detail::kError | detail::kHangup |
                        (Handshaking() ? unsigned{detail::kReadable} : 0u);
    if (!(events & progress)) {
        return false;
    }
    int error = ContinueConnect();
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

void AsyncSocket::HandleReadable(unsigned events) {
    if (!readArmed_ || peerClosed_) {
        return;
    }
    enum class Found { Data, EndOfStream, Failure, Nothing } found = Found::Data;
    int error = 0;
    bool ambiguous = !loop_->ReportsHangup() || (events & (detail::kHangup | detail::kError));
    if (filtered_) {
        // Only the filter knows whether application bytes, its orderly end,
        // or nothing but its own records (TLS tickets, key updates) came.
        char byte;
        std::error_code filterError;
        long n = filtered_->filter->Read(fd_, &byte, 1, true, filterError);
        if (n > 0) {
            found = Found::Data;
        } else if (n == 0) {
            found = Found::EndOfStream;
        } else if (filterError == std::errc::operation_would_block ||
                   filterError == std::errc::resource_unavailable_try_again) {
            found = Found::Nothing;
        } else {
            found = Found::Failure;
            detail::SetLastError(filterError);
            error = GetLastError();
        }
    } else if (type_ == SOCK_STREAM && ambiguous && !(events & detail::kData) &&
               !(loop_->MayHold() && loop_->HeldBytes(fd_) > 0)) {
        // Readable may mean data, an orderly end or a reset: peek to tell,
        // without taking anything the application has not read (nor looking
        // past bytes the loop holds for it).
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
            closeErrorUnread_ = false;
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
