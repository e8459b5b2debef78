// Readiness through an io_uring, armed in the io_uring_enter that waits, so
// an iteration is one system call however many descriptors changed interest.
// A connected stream socket's readability is watched by a receive into one of
// the loop's provided buffers (UringBuffers.h): its result says at once
// whether data, the end of the stream or an error is waiting, which a poll's
// completion cannot (see FromPoll), and the socket's Receive then takes the
// bytes from that buffer, with no system call of its own. The bytes are held
// for the socket until it reads them (Received): a receive is armed again
// only once they are gone, so a socket holds one buffer at most, and the
// socket counts them in FIONREAD, peeks at them, and hands them on when it
// is detached or a filter takes over. Where the pool is empty, for a socket
// that selected FD_OOB (a receive at the urgent mark steps over the urgent
// byte, and the kernel drops it), and on a ring that is not deferred (where
// completions could be posted between a check of the buffers and a receive
// of the socket's own), a one-byte MSG_PEEK recv watches instead and takes
// nothing. Everything else (accepts,
// connects, writability, urgent data, datagrams) is a one-shot
// IORING_OP_POLL_ADD, which looks at the descriptor when it is armed and so
// gives epoll's level-triggered rules. Each request carries its descriptor,
// its kind and a per-descriptor arm number; a completion for any other than
// the current arm (removed, interest changed, descriptor number reused) is
// dropped.
//
// The class is declared here and defined in two files: UringPoller.cpp (the
// ring, interest, waiting and polls) and UringReceive.cpp (reading a stream:
// the peek, the receive into the loop's buffers, the bytes held for sockets).
#pragma once

#include "Poller.h"
#include "UringBuffers.h"
#include "UringRequests.h"

#include <xsock/Descriptor.h>

#include <liburing.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xsock::detail::uring {

class UringPoller final : public Poller {
  public:
    UringPoller() { receiving_ = batching_ = OpenRing(ring_, true); }

    UringPoller(const UringPoller&) = delete;
    UringPoller& operator=(const UringPoller&) = delete;

    ~UringPoller() override {
        // Cancelled here, in this thread, so no poll keeps a socket's file
        // alive after the loop is gone (the ring's own teardown is deferred),
        // and no receive fills a buffer after it is freed.
        FinishSends();
        CollectReceives();
        for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
            Disarm(slots_[fd], static_cast<int>(fd), true, true);
        }
        Submit();
        io_uring_queue_exit(&ring_);
    }

    bool Update(int fd, std::uint64_t token, unsigned oldInterest, unsigned newInterest) override;

    void Wait(int timeoutMs, std::vector<ReadyEvent>& ready) override;

    // False: a poll's POLLIN cannot tell data from an end of stream (see
    // FromPoll), and a completion may be reaped after the socket was read
    // outside the loop, where epoll_wait looks at the socket as it returns.
    // The socket peeks to tell, as on poll and select.
    bool ReportsHangup() const override { return false; }

    bool PeeksStreams() const override { return true; }

    bool ReceivesStreams() const override { return true; }

    std::size_t Received(std::uint64_t token, void* buffer, std::size_t length, bool peek,
                         bool& more) override;

    std::size_t HeldBytes(std::uint64_t token) override;

    std::size_t HeldBytesOf(int fd) override { return heldCounts_.Read(fd); }

    void MoreWaiting(std::uint64_t token) noexcept override;

    std::string TakeHeld(std::uint64_t token) override;

    // The socket read data outside the loop: a peek that saw it, completed
    // but not yet dispatched, is stale. Completions are reaped (no system
    // call) so the next Wait sees only what is still true; the peek is armed
    // again there and looks afresh.
    void Consumed(std::uint64_t token) noexcept override;

    int NativeHandle() override;

    // A host loop sleeps on the eventfd, not in Wait: what the iteration
    // re-armed must be in the kernel before it returns. The completions that
    // brings (removed polls included) are reaped here, so the eventfd is
    // readable only when something live is waiting for the next Wait.
    void Flush() noexcept override;

    bool SendsStreams() const override { return true; }
    long QueueSend(std::uint64_t token, int fd, const void* data, std::size_t length,
                   bool batch) override;
    void FlushSends() override;
    bool SendsWaiting(std::uint64_t token) override;
    bool SettleSends(std::uint64_t token, Leaving how) override;

  private:
    struct Slot {
        std::uint64_t token = 0;
        std::uint32_t arm = 0;       // the number of the current (or last) poll
        std::uint32_t peekArm = 0;   // the same for the peek
        std::uint32_t peekBase = 0;  // the first peek armed for the socket `token` names
        std::uint8_t interest = 0;
        std::uint8_t polled = 0;   // what the poll numbered `arm` watches for
        bool armed = false;        // a poll with number `arm` is in the kernel
        bool peekArmed = false;    // a peek with number `peekArm` is in the kernel
        bool dirty = false;        // listed in dirty_: to be armed before the next wait
        bool multishot = false;    // the peer shut down its side; reading is not watched
        bool undelivered = false;  // has an event not dispatched yet: not armed again
        bool receiving = false;    // the request numbered peekArm receives into a buffer
        bool cancelling = false;   // ... and its removal is queued
        bool noBuffer = false;     // the last receive found the pool empty: peek next
        bool more = false;         // the socket had more as the held bytes came
        std::uint16_t bid = 0;     // the buffer that holds them
        std::uint16_t offset = 0;  // the first of them not read yet
        std::uint16_t held = 0;    // how many are left
        std::uint8_t send = 0;     // kQueued, kSending: see PendingSend
        bool stuck = false;        // bytes taken by a send wait for room (a Stuck)
        bool direct = false;       // ... did once: the socket sends by itself from then on
    };

    // A send made during this iteration, in arena_, for FlushSends.
    static constexpr std::uint8_t kQueued = 1;   // in pending_sends_, not yet submitted
    static constexpr std::uint8_t kSending = 2;  // submitted, not yet completed
    struct PendingSend {
        int fd;
        std::uint32_t offset;
        std::uint32_t length;
    };
    // Bytes a send took whose socket had no room for them: kept here, in
    // order, and sent as room comes. Once the socket is closed they go on
    // through its descriptor, which the loop then owns, closed after the
    // last byte.
    struct Stuck {
        std::uint64_t token = 0;  // 0 once its socket has gone
        int fd = -1;
        Descriptor own;  // the socket's descriptor, once the socket has gone
        std::string bytes;
        std::size_t sent = 0;
        std::uint32_t arm = 0;
        // The descriptor its send in the kernel was made on, which names that
        // send for a cancel.
        int armedOn = -1;
        bool inKernel = false;
        bool shutDown = false;  // ShutDown(sends) came after these bytes
        int error = 0;          // the send failed: the socket's next send reports it
    };

    // Sends (UringSend.cpp).
    void SubmitStuck(Stuck& stuck);
    void CompleteSend(int fd, std::uint32_t arm, int result, std::vector<ReadyEvent>& ready);
    void CompleteStuck(Stuck& stuck, int result, std::vector<ReadyEvent>& ready);
    void FinishStuck(Stuck& stuck, std::vector<ReadyEvent>& ready);
    void CancelSend(int fd, std::uint32_t arm);
    Stuck* StuckOf(std::uint64_t token) noexcept;
    // Waits (a bounded time) for `stuck` to be sent; false if it was not.
    bool AwaitStuck(std::uint64_t token);
    // Takes `stuck` out of the kernel and the loop; bytes of it still unsent
    // reset its connection (see UringSend.cpp).
    void DropStuck(Stuck& stuck);
    // The loop ends: what waits for room is given a bounded time to go.
    void FinishSends() noexcept;
    bool WaitUntil(std::chrono::steady_clock::time_point deadline);

    io_uring_sqe* NextEntry();

    // Takes the poll and/or the peek out of the kernel; whatever they still
    // complete with is stale. A receive stays current until its completion
    // comes, for it may have taken bytes by then. True if a request to do so
    // was queued.
    bool Disarm(Slot& slot, int fd, bool poll, bool peek);

    // Takes the receive out of the kernel and waits for its completion: the
    // bytes it took (if it raced its removal) are then held for the socket.
    void CollectReceive(Slot& slot, int fd);

    void CollectReceives();

    // Drops the bytes held for the slot's socket.
    void Discard(Slot& slot, int fd) noexcept;

    // The slot of `token` if it holds bytes, with completions collected first
    // (a receive may have completed in the last system call).
    Slot* HoldingSlot(std::uint64_t token);

    // Queues the removal of request `arm` on `fd`. Its own completion comes
    // back here (CancelMark), for a removal can miss: a request whose
    // wake-up is being handled at that moment is "already running"
    // (-EALREADY), and if what it then finds sends it back to waiting (a
    // peek on an empty socket, a poll the socket does not satisfy) it would
    // keep its socket open for good, and a closed socket would never reach
    // its peer. Such a removal is queued again.
    bool QueueRemoval(int fd, std::uint32_t arm);

    // Replaces the ring with one that is not deferred. What the old one
    // completed is collected first, its deferred work run; what it still had
    // armed goes with it and is armed in the new one. (A reset a peek meets
    // in the moment between the two would go with it too; host loops ask
    // for the handle as they attach, before their sockets have peers.)
    void Reopen();

    void MarkDirty(Slot& slot, int fd);

    // Arms what changed, except for the descriptors of `undelivered` events
    // (from `first` on): reaped early, they have not been dispatched yet, and
    // a request armed again now would see the same unread bytes, or the same
    // free space, and report it twice. They stay listed for the next Wait,
    // which comes after the dispatch.
    // Bytes already held for a socket that wants to read are reported here,
    // appended to `undelivered`: true if there were any.
    bool ArmDirtyExcept(std::vector<ReadyEvent>& undelivered, std::size_t first);

    void ArmRead(Slot& slot, int fd);

    Slot* SlotOf(std::uint64_t token) noexcept;

    // Hands the queued entries to the kernel and runs the work they leave
    // (a cancelled request's release of its socket, under DEFER_TASKRUN),
    // so that what they undo is undone when this returns.
    bool Submit() noexcept;

    void Reap(std::vector<ReadyEvent>& ready);

    void Complete(const io_uring_cqe& completion, std::vector<ReadyEvent>& ready);

    void CompleteRead(Slot& slot, int fd, std::uint32_t arm, const io_uring_cqe& completion,
                      std::vector<ReadyEvent>& ready);

    void CompleteReceive(Slot& slot, int fd, int result, std::vector<ReadyEvent>& ready);

    // Peek arm numbers grow per descriptor number; those from peekBase on
    // were armed for the socket there now.
    static bool PeekOfCurrentSocket(const Slot& slot, std::uint32_t arm) noexcept;

    // The peek took the socket's pending error (a reset, say): it goes with
    // every event of this socket reaped so far, so whichever the socket
    // handles first knows it.
    static void ReportTakenError(const Slot& slot, int error, std::vector<ReadyEvent>& ready);

    io_uring ring_{};
    std::vector<Slot> slots_;
    std::vector<int> dirty_;
    std::vector<ReadyEvent> pending_;  // reaped by Flush or Consumed, for the next Wait
    char scratch_ = 0;                 // where every peek copies its byte
    Descriptor eventFd_;               // registered with the ring once a host loop asks for it
    bool watched_ = false;
    bool receiving_ = false;  // a deferred ring: streams are received into buffers_
    ReceiveBuffers buffers_;
    HeldCounts heldCounts_;
    bool batching_ = false;  // a deferred ring: sends are queued for FlushSends
    std::vector<char> arena_;
    std::vector<PendingSend> pendingSends_;
    std::vector<std::unique_ptr<Stuck>> stuck_;
    // What a send the kernel may still read from was in, when taking it out
    // failed (io_uring_enter refused the cancel): kept until the ring is gone.
    std::vector<std::vector<char>> retiredArenas_;
    std::vector<std::unique_ptr<Stuck>> retiredStuck_;
    std::uint32_t stuckArm_ = 0;
};

}  // namespace xsock::detail::uring
