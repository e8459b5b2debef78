#include <xsock/Socket.h>

#include "LastError.h"
#include "Readiness.h"

#include <xsock/StreamFilter.h>

#include <algorithm>
#include <cerrno>

namespace xsock {

// Lives on the stack of a waiting call, so a Socket destroyed by a timer or
// task while its own call waits is noticed before the call touches it again.
struct Socket::Wait {
    bool destroyed = false;
};

Socket::Socket() noexcept = default;

Socket::~Socket() {
    if (wait_ != nullptr) {
        wait_->destroyed = true;
    }
}

bool Socket::Create(unsigned port, int type, const char* address) {
    return AsyncSocket::Create(port, type, FD_ALL, address);
}

bool Socket::Create(const SocketAddress& local, int type) {
    return AsyncSocket::Create(local, type, FD_ALL);
}

bool Socket::IsBlocking() const noexcept {
    return waitingLoop_.load() != nullptr;
}

void Socket::CancelBlockingCall() {
    std::lock_guard<std::mutex> lock(cancelMutex_);
    // Set even between two waits of one call (its connect done, its TLS
    // handshake not begun yet): the next wait ends at once. A call that
    // starts later clears it (BeginCall).
    cancelled_.store(true);
    if (SocketLoop* loop = waitingLoop_.load()) {
        loop->Post([] {});  // wakes the wait; the flag does the rest
    }
}

void Socket::Close() {
    if (!CheckThread()) {
        return;
    }
    CancelBlockingCall();
    AsyncSocket::Close();
}

// MFC's default dispatches WM_PAINT; here a host toolkit's pump repaints.
int Socket::OnMessagePending() {
    if (SocketLoop* loop = Loop(); loop != nullptr && loop->blockingPump_) {
        // A copy: the pump may replace itself (an attachment destroyed inside it).
        std::function<void()> pump = loop->blockingPump_;
        pump();
    }
    return 0;
}

bool Socket::BeginCall() {
    if (!CheckOpen()) {
        return false;
    }
    if (waitingLoop_.load() != nullptr) {
        detail::SetLastError(EINPROGRESS);
        return false;
    }
    // Once per call, not per wait: a call that waits more than once (a
    // connect, then its TLS handshake) ends at a cancel that came while any
    // of its waits ran, even one that came as a wait was ending.
    std::lock_guard<std::mutex> lock(cancelMutex_);
    cancelled_.store(false);
    return true;
}

Socket::Clock::time_point Socket::Deadline() const {
    return timeout_.count() > 0 ? Clock::now() + timeout_ : Clock::time_point::max();
}

// Runs the loop until the socket reports `interest` (or a hang-up or error,
// which the next attempt will meet), the call is cancelled, or `deadline`.
Socket::Outcome Socket::WaitFor(unsigned interest, Clock::time_point deadline) {
    SocketLoop& loop = *Loop();
    Wait wait;
    wait_ = &wait;
    {
        std::lock_guard<std::mutex> lock(cancelMutex_);
        waitingLoop_.store(&loop);
    }
    BeginWait(interest);
    SocketLoop::BlockingScope blocking(loop);
    // However the wait ends, a socket that still exists waits no more. Runs
    // before `blocking` ends, so nothing is delivered to it as a wait result.
    struct Leave {
        Socket& socket;
        Wait& wait;
        ~Leave() {
            if (!wait.destroyed) {
                {
                    std::lock_guard<std::mutex> lock(socket.cancelMutex_);
                    socket.waitingLoop_.store(nullptr);
                }
                socket.wait_ = nullptr;
                socket.EndWait();
            }
        }
    } leave{*this, wait};

    for (;;) {
        if (cancelled_.load() || Handle() == INVALID_SOCKET) {
            detail::SetLastError(EINTR);
            return Outcome::Failed;
        }
        if (WaitReady() & (interest | detail::kHangup | detail::kError)) {
            return Outcome::Ready;
        }
        Clock::time_point now = Clock::now();
        if (now >= deadline) {
            detail::SetLastError(ETIMEDOUT);
            return Outcome::Failed;
        }
        // OnMessagePending runs at least every kPumpInterval, as MFC's pump
        // dispatches WM_PAINT while a call waits.
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
        if (deadline == Clock::time_point::max() || left > kPumpInterval) {
            left = kPumpInterval;
        }
        loop.RunOnce(left);
        if (wait.destroyed) {
            detail::SetLastError(EINTR);
            return Outcome::Destroyed;
        }
        OnMessagePending();
        if (wait.destroyed) {
            detail::SetLastError(EINTR);
            return Outcome::Destroyed;
        }
    }
}

// Repeats `attempt` (a non-blocking call) until it does not report
// EWOULDBLOCK, waiting for `interest` in between.
template <typename Attempt>
int Socket::Transfer(unsigned interest, Clock::time_point deadline, Attempt attempt) {
    for (;;) {
        int result = attempt();
        if (result != SOCKET_ERROR || GetLastError() != EWOULDBLOCK) {
            return result;
        }
        if (WaitFor(interest, deadline) != Outcome::Ready) {
            return SOCKET_ERROR;
        }
    }
}

bool Socket::Accept(AsyncSocket& connected, SocketAddress* peer) {
    if (!BeginCall()) {
        return false;
    }
    return Transfer(detail::kReadable, Deadline(),
                    [&] { return AsyncSocket::Accept(connected, peer) ? 0 : SOCKET_ERROR; }) == 0;
}

bool Socket::ConnectHelper(std::vector<SocketAddress> candidates) {
    if (!BeginCall()) {
        return false;
    }
    if (AsyncSocket::ConnectHelper(std::move(candidates))) {
        return true;  // a datagram socket's default destination
    }
    if (GetLastError() != EWOULDBLOCK) {
        return false;
    }
    Clock::time_point deadline = Deadline();
    for (;;) {
        switch (WaitFor(ConnectInterest(), std::min(deadline, HandshakeDeadline()))) {
            case Outcome::Destroyed:
                return false;
            case Outcome::Failed:
                HandshakeOverdue();
                AbandonConnect();  // timed out or cancelled: the socket may connect again
                return false;
            case Outcome::Ready:
                break;
        }
        int error = ContinueConnect();  // the TCP connect, then a filter's handshake
        if (error == 0) {
            return true;
        }
        if (error > 0) {
            return false;  // GetLastErrorCode() has the reason
        }
        // error < 0: the next resolved address is being tried
    }
}

// A filter's handshake on a connected socket (a server's TLS after Accept),
// which a blocking Send or Receive finishes first.
bool Socket::FinishHandshake(Clock::time_point deadline) {
    while (Handshaking()) {
        int error = StepHandshake();
        if (error >= 0) {
            return error == 0;
        }
        switch (WaitFor(ConnectInterest(), std::min(deadline, HandshakeDeadline()))) {
            case Outcome::Destroyed:
                return false;
            case Outcome::Failed:
                HandshakeOverdue();
                return false;
            case Outcome::Ready:
                break;
        }
    }
    return true;
}

// A wait that ended at the handshake's own deadline fails the handshake with
// the filter's reason rather than a bare ETIMEDOUT.
void Socket::HandshakeOverdue() {
    if (Handshaking() && GetLastError() == ETIMEDOUT && Clock::now() >= HandshakeDeadline()) {
        FailHandshake(Filter()->HandshakeTimedOut());
    }
}

int Socket::Send(const void* buffer, int length, int flags) {
    if (!BeginCall()) {
        return SOCKET_ERROR;
    }
    if (!FinishHandshake(Deadline())) {
        return SOCKET_ERROR;
    }
    if (length < 0 || (buffer == nullptr && length > 0)) {
        return AsyncSocket::Send(buffer, length, flags);  // reports the bad argument
    }
    Clock::time_point deadline = Deadline();
    const char* bytes = static_cast<const char*>(buffer);
    int sent = 0;
    bool waited = false;
    while (sent < length) {
        int n = AsyncSocket::Send(bytes + sent, length - sent, flags);
        if (n >= 0) {
            sent += n;
            continue;
        }
        if (GetLastError() != EWOULDBLOCK) {
            return SOCKET_ERROR;
        }
        if (WaitFor(detail::kWritable, deadline) != Outcome::Ready) {
            return SOCKET_ERROR;
        }
        waited = true;
    }
    if (waited) {
        // The wait took the FD_WRITE that the EWOULDBLOCK armed, as CSocket's pump does.
        TakeWriteNotification();
    }
    return sent;
}

int Socket::Receive(void* buffer, int length, int flags) {
    if (!BeginCall() || !FinishHandshake(Deadline())) {
        return SOCKET_ERROR;
    }
    unsigned interest = (flags & MSG_OOB) ? detail::kPriority : detail::kReadable;
    return Transfer(interest, Deadline(),
                    [&] { return AsyncSocket::Receive(buffer, length, flags); });
}

int Socket::SendTo(const void* buffer, int length, const SocketAddress& to, int flags) {
    if (!BeginCall()) {
        return SOCKET_ERROR;
    }
    return Transfer(detail::kWritable, Deadline(),
                    [&] { return AsyncSocket::SendTo(buffer, length, to, flags); });
}

int Socket::ReceiveFrom(void* buffer, int length, SocketAddress& from, int flags) {
    if (!BeginCall()) {
        return SOCKET_ERROR;
    }
    return Transfer(detail::kReadable, Deadline(),
                    [&] { return AsyncSocket::ReceiveFrom(buffer, length, from, flags); });
}

}  // namespace xsock
