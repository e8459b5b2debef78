// Socket: a socket whose calls block, MFC's CSocket.
//
// Accept, Connect, Send, Receive, SendTo and ReceiveFrom wait until they can
// finish and never report EWOULDBLOCK: Send sends every byte or fails, Receive
// returns what is available (at least one byte), 0 at an orderly close. While a
// call waits, the thread's SocketLoop does what MFC's CSocket::PumpMessages
// does and no more: it waits for this socket's progress and the call's
// deadline, and calls OnMessagePending() after each wake-up and at least every
// kPumpInterval. Notifications for the thread's other sockets, timers and
// posted tasks are held back and run, in order, right after the call returns
// (MFC leaves other windows' WM_TIMER and posted messages in the queue), so a
// timer that sends on the same socket runs after the Receive, not inside it.
// SocketLoop::SetPumpWhileBlocking(true) runs timers and tasks inside the call
// instead. OnConnect is never called for a Socket, as in MFC; its other
// notifications work as AsyncSocket's do while no call is waiting.
//
// Beyond MFC: SetTimeout gives every blocking call a deadline; a call that
// passes it fails with ETIMEDOUT and leaves the socket usable (a timed-out
// Receive can simply be retried; a timed-out Connect can be started again).
//
// Errors: as AsyncSocket. A call cancelled by CancelBlockingCall or by Close
// fails with EINTR; a second blocking call on the same socket while one waits
// (from OnMessagePending, or a timer or task with pumpWhileBlocking) fails
// with EINPROGRESS.
//
// Thread safety: as AsyncSocket, except CancelBlockingCall and IsBlocking,
// which any thread may call.
#pragma once

#include <xsock/AsyncSocket.h>
#include <xsock/SocketsExport.h>

#include <atomic>
#include <chrono>
#include <mutex>

namespace xsock {

class XSOCK_SOCKETS_EXPORT Socket : public AsyncSocket {
  public:
    // The longest a waiting call goes without calling OnMessagePending.
    static constexpr std::chrono::milliseconds kPumpInterval{100};

    Socket() noexcept;
    ~Socket() override;

    // AsyncSocket::Create with every event selected.
    bool Create(unsigned port = 0, int type = SOCK_STREAM, const char* address = nullptr);
    bool Create(const SocketAddress& local, int type = SOCK_STREAM);

    bool Accept(AsyncSocket& connected, SocketAddress* peer = nullptr) override;
    int Send(const void* buffer, int length, int flags = 0) override;
    int Receive(void* buffer, int length, int flags = 0) override;
    using AsyncSocket::ReceiveFrom;
    using AsyncSocket::SendTo;
    int SendTo(const void* buffer, int length, const SocketAddress& to, int flags = 0) override;
    int ReceiveFrom(void* buffer, int length, SocketAddress& from, int flags = 0) override;
    // Cancels a waiting call first; it then fails with EINTR.
    void Close() override;

    // True while a blocking call on this socket waits. Any thread.
    bool IsBlocking() const noexcept;
    // Makes the call in progress fail with EINTR, even one between two of
    // its waits (a Connect's connect and its TLS handshake); a call that
    // starts afterwards is not affected. Any thread, or OnMessagePending
    // (and, with pumpWhileBlocking, a timer or a task) on the owner's.
    void CancelBlockingCall();

    // 0 (the default) means no deadline.
    void SetTimeout(std::chrono::milliseconds timeout) noexcept { timeout_ = timeout; }
    std::chrono::milliseconds GetTimeout() const noexcept { return timeout_; }

  protected:
    // Called after every wake-up of the loop while a call waits. The default
    // runs the loop's blocking pump (SocketLoop::SetBlockingPump), which lets
    // an attached Qt window repaint; an override calls it to keep that, as an
    // MFC override calls CSocket::OnMessagePending. It returns int, MFC's
    // BOOL, so that an MFC override declared `BOOL OnMessagePending()`
    // overrides it (an override must repeat the return type exactly); the
    // value is not used.
    virtual int OnMessagePending();
    bool ConnectHelper(std::vector<SocketAddress> candidates) override;

  private:
    struct Wait;
    using Clock = std::chrono::steady_clock;
    enum class Outcome { Ready, Failed, Destroyed };

    bool BeginCall();
    Outcome WaitFor(unsigned interest, Clock::time_point deadline);
    bool FinishHandshake(Clock::time_point deadline);
    void HandshakeOverdue();
    Clock::time_point Deadline() const;
    template <typename Attempt>
    int Transfer(unsigned interest, Clock::time_point deadline, Attempt attempt);

    std::chrono::milliseconds timeout_{0};
    Wait* wait_ = nullptr;
    std::mutex cancelMutex_;
    std::atomic<SocketLoop*> waitingLoop_{nullptr};
    std::atomic<bool> cancelled_{false};
};

}  // namespace xsock
