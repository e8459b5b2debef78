// The io_uring backend: the ring, interest, waiting and polls (see
// UringPoller.h; reading streams is in UringReceive.cpp).
#include "Poller.h"

#ifdef XSOCK_HAVE_LIBURING

#include "UringPoller.h"
#include "Wakeup.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace xsock::detail {

namespace uring {

bool UringPoller::Update(int fd, std::uint64_t token, unsigned oldInterest, unsigned newInterest) {
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
        Discard(slot, fd);  // the last socket's, never read
        slot.direct = false;
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

void UringPoller::Wait(int timeoutMs, std::vector<ReadyEvent>& ready) {
    FlushSends();  // a blocking call's wait inside an iteration waits for what it sent
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

void UringPoller::Consumed(std::uint64_t token) noexcept {
    if (io_uring_cq_ready(&ring_) > 0) {
        Reap(pending_);
    }
    if (!pending_.empty()) {
        std::erase_if(pending_, [&](const ReadyEvent& event) {
            return event.token == token && (event.events & kData);
        });
    }
}

int UringPoller::NativeHandle() {
    if (!eventFd_) {
        Reopen();  // a host loop sleeps on it: see OpenRing
        eventFd_.Reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
        if (!eventFd_) {
            throw std::system_error(errno, std::generic_category(), "eventfd");
        }
        if (int result = io_uring_register_eventfd(&ring_, eventFd_.Get()); result < 0) {
            eventFd_.Reset();
            throw std::system_error(-result, std::generic_category(), "io_uring_register_eventfd");
        }
        watched_ = true;
        Flush();
    }
    return eventFd_.Get();
}

void UringPoller::Flush() noexcept {
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

io_uring_sqe* UringPoller::NextEntry() {
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

bool UringPoller::Disarm(Slot& slot, int fd, bool poll, bool peek) {
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

bool UringPoller::QueueRemoval(int fd, std::uint32_t arm) {
    io_uring_sqe* entry = NextEntry();
    if (entry == nullptr) {
        return false;
    }
    if ((arm & kPeekMark) || (static_cast<std::uint32_t>(fd) & kSendMark)) {
        io_uring_prep_cancel64(entry, ArmData(fd, arm), 0);
    } else {
        io_uring_prep_poll_remove(entry, ArmData(fd, arm));
    }
    io_uring_sqe_set_data64(entry, ArmData(fd, arm) | kCancelMark);
    return true;
}

void UringPoller::Reopen() {
    FlushSends();
    for (const auto& stuck : stuck_) {
        while (stuck->inKernel) {  // goes on in the new ring
            CancelSend(stuck->armedOn, stuck->arm);
            if (int result = io_uring_submit_and_wait(&ring_, 1); result < 0 && result != -EINTR) {
                stuck->inKernel = false;
            }
            Reap(pending_);
        }
    }
    CollectReceives();
    Submit();
    Reap(pending_);
    io_uring_queue_exit(&ring_);
    ring_ = io_uring{};
    OpenRing(ring_, false);
    receiving_ = batching_ = false;  // bytes held now stay the sockets' until read
    buffers_.Unregister();
    for (const auto& stuck : stuck_) {
        if (stuck->error == 0 && stuck->sent < stuck->bytes.size()) {
            SubmitStuck(*stuck);
        }
    }
    for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
        Slot& slot = slots_[fd];
        slot.armed = slot.peekArmed = false;
        if (slot.interest != 0) {
            MarkDirty(slot, static_cast<int>(fd));
        }
    }
}

void UringPoller::MarkDirty(Slot& slot, int fd) {
    if (!slot.dirty) {
        slot.dirty = true;
        dirty_.push_back(fd);
    }
}

bool UringPoller::ArmDirtyExcept(std::vector<ReadyEvent>& undelivered, std::size_t first) {
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
        // Room to write comes from the send that waits for it (FinishStuck).
        unsigned poll = PollInterest(slot.interest) & ~(slot.stuck ? unsigned{kWritable} : 0u);
        if (slot.armed && slot.polled != poll && QueueRemoval(fd, slot.arm)) {
            slot.armed = false;  // room to write is watched again once a Stuck is gone
        }
        if (poll != 0 && !slot.armed) {
            if (io_uring_sqe* entry = NextEntry()) {
                slot.arm = NextArm(slot.arm, 0);
                if (slot.multishot) {
                    io_uring_prep_poll_multishot(entry, fd, ToPoll(poll));
                } else {
                    io_uring_prep_poll_add(entry, fd, ToPoll(poll));
                }
                io_uring_sqe_set_data64(entry, ArmData(fd, slot.arm));
                slot.armed = true;
                slot.polled = static_cast<std::uint8_t>(poll);
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

UringPoller::Slot* UringPoller::SlotOf(std::uint64_t token) noexcept {
    auto index = static_cast<std::size_t>(token & 0xffffffffu);
    return index < slots_.size() && slots_[index].token == token ? &slots_[index] : nullptr;
}

bool UringPoller::Submit() noexcept {
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

void UringPoller::Reap(std::vector<ReadyEvent>& ready) {
    io_uring_cqe* batch[kReapBatch];
    // peek_batch also flushes the kernel's overflow list once it is empty.
    while (unsigned count = io_uring_peek_batch_cqe(&ring_, batch, kReapBatch)) {
        for (unsigned i = 0; i < count; ++i) {
            Complete(*batch[i], ready);
        }
        io_uring_cq_advance(&ring_, count);
    }
}

void UringPoller::Complete(const io_uring_cqe& completion, std::vector<ReadyEvent>& ready) {
    std::uint64_t data = io_uring_cqe_get_data64(&completion);
    auto arm = static_cast<std::uint32_t>(data >> 32);
    if (data & kCancelMark) {
        if (completion.res == -EALREADY) {
            QueueRemoval(static_cast<int>(data & ~kCancelMark & 0xffffffffu), arm);
        }
        return;
    }
    if (data & kSendMark) {
        CompleteSend(static_cast<int>(data & ~kSendMark & 0xffffffffu), arm, completion.res, ready);
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
        slot.armed = false;                        // a one-shot poll, or a multishot one that ended
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
    if (slot.stuck) {
        bits &= ~static_cast<unsigned>(POLLOUT);  // see ArmDirtyExcept
    }
    if (unsigned events = FromPoll(bits); events != 0) {
        ready.push_back({slot.token, events});
    }
}

}  // namespace uring

std::unique_ptr<Poller> MakeUringPoller() {
    return std::make_unique<uring::UringPoller>();
}

}  // namespace xsock::detail

#else

namespace xsock::detail {
std::unique_ptr<Poller> MakeUringPoller() {
    return nullptr;
}
}  // namespace xsock::detail

#endif
