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
// is detached or a filter takes over. Where the pool is empty, and on a ring
// that is not deferred (where completions could be posted between a check
// of the buffers and a receive of the socket's own), a one-byte MSG_PEEK
// recv watches instead and takes nothing. Everything else (accepts,
// connects, writability, urgent data, datagrams) is a one-shot
// IORING_OP_POLL_ADD, which looks at the descriptor when it is armed and so
// gives epoll's level-triggered rules. Each request carries its descriptor,
// its kind and a per-descriptor arm number; a completion for any other than
// the current arm (removed, interest changed, descriptor number reused) is
// dropped.
#include "Poller.h"

#ifdef XSOCK_HAVE_LIBURING

#include "UringBuffers.h"
#include "UringRequests.h"
#include "Wakeup.h"

#include <xsock/Descriptor.h>

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

namespace xsock::detail {

namespace {

using namespace uring;

class UringPoller final : public Poller {
  public:
    UringPoller() { receiving_ = OpenRing(ring_, true); }

    UringPoller(const UringPoller&) = delete;
    UringPoller& operator=(const UringPoller&) = delete;

    ~UringPoller() override {
        // Cancelled here, in this thread, so no poll keeps a socket's file
        // alive after the loop is gone (the ring's own teardown is deferred),
        // and no receive fills a buffer after it is freed.
        CollectReceives();
        for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
            Disarm(slots_[fd], static_cast<int>(fd), true, true);
        }
        Submit();
        io_uring_queue_exit(&ring_);
    }

    bool Update(int fd, std::uint64_t token, unsigned oldInterest, unsigned newInterest) override {
        if (oldInterest == newInterest || fd < 0) {
            return true;
        }
        auto index = static_cast<std::size_t>(fd);
        if (index >= slots_.size()) {
            slots_.resize(std::max(index + 1, slots_.size() * 2));
        }
        Slot& slot = slots_[index];
        bool other = slot.token != token;
        if (slot.receiving && (other || newInterest == 0 || (newInterest & kUrgentSelected))) {
            // Taken out now, with whatever bytes it raced to take: the
            // caller may close or hand away the descriptor next.
            CollectReceive(slot, fd);
        }
        if (other) {
            Discard(slot);  // the last socket's, never read
        }
        bool dropped = false;
        if (!pending_.empty()) {
            // Reaped early under the old interest: the new one decides, so
            // the poll is armed afresh to look again (a multishot one would
            // not). An error a peek took off the socket stays: nothing can
            // read it again.
            dropped = std::erase_if(pending_, [&](const ReadyEvent& event) {
                          return event.token == token && event.error == 0;
                      }) > 0;
        }
        unsigned before = other ? 0u : slot.interest;
        if (other || (PollInterest(newInterest) & kReadable)) {
            slot.multishot = false;  // another socket, or POLLRDHUP is wanted again
        }
        if (other) {
            slot.peekBase = NextArm(slot.peekArm, kPeekMark);
        }
        slot.token = token;
        slot.interest = static_cast<std::uint8_t>(newInterest);
        // A peek that goes on watching the same socket stays in the kernel;
        // so does a receive while the socket watches anything.
        if (Disarm(slot, fd, other || dropped || PollInterest(before) != PollInterest(newInterest),
                   other || (!WantsPeek(newInterest) && !slot.receiving)) &&
            newInterest == 0 && !Submit()) {
            // The caller may close, dup3 over or hand away the descriptor
            // next: the requests' references to its file must be gone first,
            // or a close would not reach the peer.
            return false;
        }
        if (newInterest != 0 && !slot.dirty) {
            slot.dirty = true;
            dirty_.push_back(fd);
        }
        if (watched_) {
            Flush();
        }
        return true;
    }

    void Wait(int timeoutMs, std::vector<ReadyEvent>& ready) override {
        if (watched_) {
            DrainDescriptor(eventFd_.Get());  // before reaping: no completion goes unannounced
        }
        std::size_t handedOut = ready.size();
        if (!pending_.empty()) {
            ready.insert(ready.end(), pending_.begin(), pending_.end());
            pending_.clear();
            timeoutMs = 0;
        }
        if (ArmDirtyExcept(ready, handedOut)) {
            timeoutMs = 0;  // bytes already held for a socket that wants them
        }
        if (io_uring_cq_ready(&ring_) > 0) {
            timeoutMs = 0;
        }
        int result = 0;
        if (timeoutMs == 0) {
            if (io_uring_sq_ready(&ring_) > 0) {
                result = io_uring_submit(&ring_);
            }
            if (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) {
                result = io_uring_get_events(&ring_);  // completions waiting to be posted
            }
        } else if (timeoutMs < 0) {
            result = io_uring_submit_and_wait(&ring_, 1);
        } else {
            __kernel_timespec limit{};
            limit.tv_sec = timeoutMs / 1000;
            limit.tv_nsec = static_cast<long long>(timeoutMs % 1000) * 1000000;
            io_uring_cqe* first = nullptr;
            result = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &limit, nullptr);
        }
        // -EINTR, -ETIME and the like: reap whatever is there and let the loop
        // run another iteration.
        static_cast<void>(result);
        Reap(ready);
    }

    // False: a poll's POLLIN cannot tell data from an end of stream (see
    // FromPoll), and a completion may be reaped after the socket was read
    // outside the loop, where epoll_wait looks at the socket as it returns.
    // The socket peeks to tell, as on poll and select.
    bool ReportsHangup() const override { return false; }

    bool PeeksStreams() const override { return true; }

    bool ReceivesStreams() const override { return true; }

    std::size_t Received(std::uint64_t token, void* buffer, std::size_t length, bool peek,
                         bool& more) override {
        Slot* slot = HoldingSlot(token);
        if (slot == nullptr) {
            return 0;
        }
        std::size_t n = std::min<std::size_t>(length, slot->held);
        std::memcpy(buffer, buffers_.Data(slot->bid) + slot->offset, n);
        more = slot->more;
        if (!peek) {
            slot->offset = static_cast<std::uint16_t>(slot->offset + n);
            slot->held = static_cast<std::uint16_t>(slot->held - n);
            if (slot->held == 0) {
                buffers_.Return(slot->bid);
            }
            MarkDirty(*slot, static_cast<int>(token & 0xffffffffu));  // what is left, or a receive
        }
        return n;
    }

    std::size_t HeldBytes(std::uint64_t token) override {
        Slot* slot = HoldingSlot(token);
        return slot != nullptr ? slot->held : 0u;
    }

    void MoreWaiting(std::uint64_t token) noexcept override {
        if (Slot* slot = SlotOf(token)) {
            slot->more = slot->held != 0;
        }
    }

    std::string TakeHeld(std::uint64_t token) override {
        Slot* slot = SlotOf(token);
        if (slot == nullptr) {
            return {};
        }
        if (slot->receiving) {
            CollectReceive(*slot, static_cast<int>(token & 0xffffffffu));
        }
        std::string bytes;
        if (slot->held != 0) {
            bytes.assign(buffers_.Data(slot->bid) + slot->offset, slot->held);
            Discard(*slot);
        }
        return bytes;
    }

    // The socket read data outside the loop: a peek that saw it, completed
    // but not yet dispatched, is stale. Completions are reaped (no system
    // call) so the next Wait sees only what is still true; the peek is armed
    // again there and looks afresh.
    void Consumed(std::uint64_t token) noexcept override {
        if (io_uring_cq_ready(&ring_) > 0) {
            Reap(pending_);
        }
        if (!pending_.empty()) {
            std::erase_if(pending_, [&](const ReadyEvent& event) {
                return event.token == token && (event.events & kData);
            });
        }
    }

    int NativeHandle() override {
        if (!eventFd_) {
            Reopen();  // a host loop sleeps on it: see OpenRing
            eventFd_.Reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
            if (!eventFd_) {
                throw std::system_error(errno, std::generic_category(), "eventfd");
            }
            if (int result = io_uring_register_eventfd(&ring_, eventFd_.Get()); result < 0) {
                eventFd_.Reset();
                throw std::system_error(-result, std::generic_category(),
                                        "io_uring_register_eventfd");
            }
            watched_ = true;
            Flush();
        }
        return eventFd_.Get();
    }

    // A host loop sleeps on the eventfd, not in Wait: what the iteration
    // re-armed must be in the kernel before it returns. The completions that
    // brings (removed polls included) are reaped here, so the eventfd is
    // readable only when something live is waiting for the next Wait.
    void Flush() noexcept override {
        if (!watched_) {
            return;
        }
        ArmDirtyExcept(pending_, 0);
        Submit();
        if (io_uring_cq_ready(&ring_) == 0 && pending_.empty()) {
            return;
        }
        DrainDescriptor(eventFd_.Get());
        Reap(pending_);
        if (!pending_.empty()) {
            std::uint64_t one = 1;
            while (::write(eventFd_.Get(), &one, sizeof one) < 0 && errno == EINTR) {
            }
        }
    }

  private:
    struct Slot {
        std::uint64_t token = 0;
        std::uint32_t arm = 0;       // the number of the current (or last) poll
        std::uint32_t peekArm = 0;   // the same for the peek
        std::uint32_t peekBase = 0;  // the first peek armed for the socket `token` names
        std::uint8_t interest = 0;
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
    };

    io_uring_sqe* NextEntry() {
        io_uring_sqe* entry = io_uring_get_sqe(&ring_);
        while (entry == nullptr) {
            // A full submission queue: hand it to the kernel and take a fresh one.
            if (!Submit()) {
                return nullptr;
            }
            entry = io_uring_get_sqe(&ring_);
        }
        return entry;
    }

    // Takes the poll and/or the peek out of the kernel; whatever they still
    // complete with is stale. A receive stays current until its completion
    // comes, for it may have taken bytes by then. True if a request to do so
    // was queued.
    bool Disarm(Slot& slot, int fd, bool poll, bool peek) {
        bool queued = false;
        if (poll && slot.armed) {
            queued |= QueueRemoval(fd, slot.arm);
            slot.armed = false;
        }
        if (peek && slot.peekArmed && !slot.cancelling) {
            queued |= QueueRemoval(fd, slot.peekArm);
            slot.cancelling = slot.receiving;
            slot.peekArmed = slot.receiving;
        }
        return queued;
    }

    // Takes the receive out of the kernel and waits for its completion: the
    // bytes it took (if it raced its removal) are then held for the socket.
    void CollectReceive(Slot& slot, int fd) {
        Disarm(slot, fd, false, true);
        while (slot.receiving && slot.peekArmed) {
            int result = io_uring_submit_and_wait(&ring_, 1);
            if (result < 0 && result != -EINTR && result != -ETIME) {
                return;  // the ring is unusable: nothing more will complete
            }
            Reap(pending_);
        }
    }

    void CollectReceives() {
        for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
            if (slots_[fd].receiving) {
                CollectReceive(slots_[fd], static_cast<int>(fd));
            }
        }
    }

    // Drops the bytes held for the slot's socket.
    void Discard(Slot& slot) noexcept {
        if (slot.held != 0) {
            buffers_.Return(slot.bid);
            slot.held = 0;
        }
    }

    // The slot of `token` if it holds bytes, with completions collected first
    // (a receive may have completed in the last system call).
    Slot* HoldingSlot(std::uint64_t token) {
        if (io_uring_cq_ready(&ring_) > 0) {
            Reap(pending_);
        }
        Slot* slot = SlotOf(token);
        return slot != nullptr && slot->held != 0 ? slot : nullptr;
    }

    // Queues the removal of request `arm` on `fd`. Its own completion comes
    // back here (CancelMark), for a removal can miss: a request whose
    // wake-up is being handled at that moment is "already running"
    // (-EALREADY), and if what it then finds sends it back to waiting (a
    // peek on an empty socket, a poll the socket does not satisfy) it would
    // keep its socket open for good, and a closed socket would never reach
    // its peer. Such a removal is queued again.
    bool QueueRemoval(int fd, std::uint32_t arm) {
        io_uring_sqe* entry = NextEntry();
        if (entry == nullptr) {
            return false;
        }
        if (arm & kPeekMark) {
            io_uring_prep_cancel64(entry, ArmData(fd, arm), 0);
        } else {
            io_uring_prep_poll_remove(entry, ArmData(fd, arm));
        }
        io_uring_sqe_set_data64(entry, ArmData(fd, arm) | kCancelMark);
        return true;
    }

    // Replaces the ring with one that is not deferred. What the old one
    // completed is collected first, its deferred work run; what it still had
    // armed goes with it and is armed in the new one. (A reset a peek meets
    // in the moment between the two would go with it too; host loops ask
    // for the handle as they attach, before their sockets have peers.)
    void Reopen() {
        CollectReceives();
        Submit();
        Reap(pending_);
        io_uring_queue_exit(&ring_);
        ring_ = io_uring{};
        OpenRing(ring_, false);
        receiving_ = false;  // bytes held now stay the sockets' until read
        buffers_.Unregister();
        for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
            Slot& slot = slots_[fd];
            slot.armed = slot.peekArmed = false;
            if (slot.interest != 0) {
                MarkDirty(slot, static_cast<int>(fd));
            }
        }
    }

    void MarkDirty(Slot& slot, int fd) {
        if (!slot.dirty) {
            slot.dirty = true;
            dirty_.push_back(fd);
        }
    }

    // Arms what changed, except for the descriptors of `undelivered` events
    // (from `first` on): reaped early, they have not been dispatched yet, and
    // a request armed again now would see the same unread bytes, or the same
    // free space, and report it twice. They stay listed for the next Wait,
    // which comes after the dispatch.
    // Bytes already held for a socket that wants to read are reported here,
    // appended to `undelivered`: true if there were any.
    bool ArmDirtyExcept(std::vector<ReadyEvent>& undelivered, std::size_t first) {
        for (std::size_t i = first; i < undelivered.size(); ++i) {
            if (Slot* slot = SlotOf(undelivered[i].token)) {
                slot->undelivered = true;
            }
        }
        std::size_t kept = 0;
        std::size_t last = undelivered.size();
        for (int fd : dirty_) {
            Slot& slot = slots_[static_cast<std::size_t>(fd)];
            if (slot.undelivered) {
                dirty_[kept++] = fd;
                continue;
            }
            if (slot.held != 0 && WantsPeek(slot.interest)) {
                // Level-triggered: reported in every wait until read.
                undelivered.push_back({slot.token, kReadable | kData});
                dirty_[kept++] = fd;
                continue;
            }
            slot.dirty = false;
            if (unsigned poll = PollInterest(slot.interest); poll != 0 && !slot.armed) {
                if (io_uring_sqe* entry = NextEntry()) {
                    slot.arm = NextArm(slot.arm, 0);
                    if (slot.multishot) {
                        io_uring_prep_poll_multishot(entry, fd, ToPoll(poll));
                    } else {
                        io_uring_prep_poll_add(entry, fd, ToPoll(poll));
                    }
                    io_uring_sqe_set_data64(entry, ArmData(fd, slot.arm));
                    slot.armed = true;
                }
            }
            if (WantsPeek(slot.interest) && !slot.peekArmed) {
                ArmRead(slot, fd);
            }
        }
        dirty_.resize(kept);
        for (std::size_t i = first; i < last; ++i) {
            if (Slot* slot = SlotOf(undelivered[i].token)) {
                slot->undelivered = false;
            }
        }
        return undelivered.size() > last;
    }

    void ArmRead(Slot& slot, int fd) {
        bool receive = receiving_ && !slot.noBuffer && !(slot.interest & kUrgentSelected);
        if (receive && !buffers_.Registered()) {
            receive = receiving_ = buffers_.Register(ring_);
        }
        io_uring_sqe* entry = NextEntry();
        if (entry == nullptr) {
            return;
        }
        slot.noBuffer = false;
        slot.peekArm = NextArm(slot.peekArm, kPeekMark);
        if (receive) {
            io_uring_prep_recv(entry, fd, nullptr, ReceiveBuffers::kSize, 0);
            entry->flags |= IOSQE_BUFFER_SELECT;
            entry->buf_group = ReceiveBuffers::kGroup;
        } else {
            // One byte, left in place: what it is does not matter, only
            // whether there is one, so every peek shares it.
            io_uring_prep_recv(entry, fd, &scratch_, 1, MSG_PEEK);
        }
        io_uring_sqe_set_data64(entry, ArmData(fd, slot.peekArm));
        slot.peekArmed = true;
        slot.receiving = receive;
        slot.cancelling = false;
    }

    Slot* SlotOf(std::uint64_t token) noexcept {
        auto index = static_cast<std::size_t>(token & 0xffffffffu);
        return index < slots_.size() && slots_[index].token == token ? &slots_[index] : nullptr;
    }

    // Hands the queued entries to the kernel and runs the work they leave
    // (a cancelled request's release of its socket, under DEFER_TASKRUN),
    // so that what they undo is undone when this returns.
    bool Submit() noexcept {
        int result;
        do {
            result = io_uring_submit_and_get_events(&ring_);
        } while (result == -EINTR);
        if (result < 0) {
            errno = -result;
            return false;
        }
        return true;
    }

    void Reap(std::vector<ReadyEvent>& ready) {
        io_uring_cqe* batch[kReapBatch];
        // peek_batch also flushes the kernel's overflow list once it is empty.
        while (unsigned count = io_uring_peek_batch_cqe(&ring_, batch, kReapBatch)) {
            for (unsigned i = 0; i < count; ++i) {
                Complete(*batch[i], ready);
            }
            io_uring_cq_advance(&ring_, count);
        }
    }

    void Complete(const io_uring_cqe& completion, std::vector<ReadyEvent>& ready) {
        std::uint64_t data = io_uring_cqe_get_data64(&completion);
        auto arm = static_cast<std::uint32_t>(data >> 32);
        if (data & kCancelMark) {
            if (completion.res == -EALREADY) {
                QueueRemoval(static_cast<int>(data & ~kCancelMark & 0xffffffffu), arm);
            }
            return;
        }
        auto index = static_cast<std::size_t>(data & 0xffffffffu);
        if (arm == 0 || index >= slots_.size()) {
            return;
        }
        Slot& slot = slots_[index];
        if (arm & kPeekMark) {
            CompleteRead(slot, static_cast<int>(index), arm, completion, ready);
            return;
        }
        if (!slot.armed || slot.arm != arm) {
            return;  // removed, changed, or the descriptor number was reused
        }
        if (!(completion.flags & IORING_CQE_F_MORE)) {
            slot.armed = false;  // a one-shot poll, or a multishot one that ended
            MarkDirty(slot, static_cast<int>(index));  // level-triggered: armed again
        }
        if (completion.res < 0) {
            // A failed poll is reported as an error, for the socket to look
            // into, as epoll reports EPOLLERR; a cancelled one is just re-armed.
            if (completion.res != -ECANCELED) {
                ready.push_back({slot.token, kError});
            }
            return;
        }
        auto bits = static_cast<unsigned>(completion.res);
        // io_uring always watches for POLLRDHUP, which stays set once the peer
        // has shut down its side: a one-shot poll for anything else would
        // complete at once, every time. Such a descriptor is watched by a
        // multishot poll instead, which completes on wake-ups only, and the
        // bit is dropped, as epoll drops what it was not asked for.
        unsigned poll = PollInterest(slot.interest);
        if ((bits & POLLRDHUP) && !(poll & kReadable)) {
            slot.multishot = true;
        }
        bits &= ToPoll(poll) | POLLERR | POLLHUP | POLLNVAL;
        if (unsigned events = FromPoll(bits); events != 0) {
            ready.push_back({slot.token, events});
        }
    }

    void CompleteRead(Slot& slot, int fd, std::uint32_t arm, const io_uring_cqe& completion,
                      std::vector<ReadyEvent>& ready) {
        int result = completion.res;
        bool current = slot.peekArmed && slot.peekArm == arm;
        if (completion.flags & IORING_CQE_F_BUFFER) {
            auto bid = static_cast<std::uint16_t>(completion.flags >> IORING_CQE_BUFFER_SHIFT);
            buffers_.Take(bid);
            if (!current || result <= 0 || slot.held != 0) {
                buffers_.Return(bid);  // never so: a receive is current until it completes
            } else {
                slot.bid = bid;
                slot.offset = 0;
                slot.held = static_cast<std::uint16_t>(result);
                slot.more = (completion.flags & IORING_CQE_F_SOCK_NONEMPTY) != 0;
            }
        }
        if (current && slot.receiving) {
            CompleteReceive(slot, fd, result, ready);
            return;
        }
        bool tookError =
            result < 0 && result != -ECANCELED && result != -EINTR && result != -EAGAIN;
        if (!current) {
            // Cancelled, or the descriptor number was reused: stale. Only an
            // error still matters: the peek took it off the socket, which
            // will not report it again, so it goes to the socket the peek
            // was armed for if that is still the one here.
            if (tookError && PeekOfCurrentSocket(slot, arm)) {
                ReportTakenError(slot, -result, ready);
            }
            return;
        }
        slot.peekArmed = false;
        MarkDirty(slot, fd);  // level-triggered: armed again unless interest drops
        if (result > 0) {
            ready.push_back({slot.token, kReadable | kData});
        } else if (result == 0) {
            ready.push_back({slot.token, kReadable | kHangup});
        } else if (tookError) {
            ReportTakenError(slot, -result, ready);
        }
    }

    void CompleteReceive(Slot& slot, int fd, int result, std::vector<ReadyEvent>& ready) {
        slot.peekArmed = slot.receiving = slot.cancelling = false;
        MarkDirty(slot, fd);  // armed again if the socket still wants to read
        if (result == -ENOBUFS) {
            // Every buffer is held: a peek watches this time, and the pool grows.
            slot.noBuffer = true;
            buffers_.Grow();
            return;
        }
        bool wanted = WantsPeek(slot.interest);
        if (result > 0) {
            if (wanted) {
                ready.push_back({slot.token, kReadable | kData});
            }
        } else if (result == 0) {
            if (wanted) {
                ready.push_back({slot.token, kReadable | kHangup});
            }
        } else if (result != -ECANCELED && result != -EINTR && result != -EAGAIN) {
            ReportTakenError(slot, -result, ready);
        }
    }

    // Peek arm numbers grow per descriptor number; those from peekBase on
    // were armed for the socket there now.
    static bool PeekOfCurrentSocket(const Slot& slot, std::uint32_t arm) noexcept {
        constexpr std::uint32_t kNumber = ~kPeekMark;
        std::uint32_t armed = (slot.peekArm - slot.peekBase) & kNumber;
        // peekArm one before peekBase: none armed for this socket yet.
        return armed != kNumber && ((arm - slot.peekBase) & kNumber) <= armed;
    }

    // The peek took the socket's pending error (a reset, say): it goes with
    // every event of this socket reaped so far, so whichever the socket
    // handles first knows it.
    static void ReportTakenError(const Slot& slot, int error, std::vector<ReadyEvent>& ready) {
        for (ReadyEvent& event : ready) {
            if (event.token == slot.token) {
                event.error = error;
            }
        }
        ready.push_back({slot.token, kReadable | kError, error});
    }

    io_uring ring_{};
    std::vector<Slot> slots_;
    std::vector<int> dirty_;
    std::vector<ReadyEvent> pending_;  // reaped by Flush or Consumed, for the next Wait
    char scratch_ = 0;                 // where every peek copies its byte
    Descriptor eventFd_;               // registered with the ring once a host loop asks for it
    bool watched_ = false;
    bool receiving_ = false;  // a deferred ring: streams are received into buffers_
    ReceiveBuffers buffers_;
};

}  // namespace

std::unique_ptr<Poller> MakeUringPoller() {
    return std::make_unique<UringPoller>();
}

}  // namespace xsock::detail

#else

namespace xsock::detail {
std::unique_ptr<Poller> MakeUringPoller() {
    return nullptr;
}
}  // namespace xsock::detail

#endif
