// The io_uring backend's sends: a connected stream's sends of one loop
// iteration are copied into one arena and handed to the kernel as it ends,
// in one io_uring_enter (at most kSocketQuota bytes per socket). Bytes the
// kernel had no room for wait here, in order (a Stuck), and the socket's next
// sends would block until they are gone; from then on it sends by itself.
#ifdef XSOCK_HAVE_LIBURING

#include "UringPoller.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>

namespace xsock::detail::uring {

namespace {

constexpr std::size_t kArenaBytes = std::size_t{1} << 20;    // one iteration's sends
constexpr std::size_t kSocketQuota = std::size_t{64} << 10;  // one socket's, per iteration
// How long Detach waits for bytes that have no room, and the loop's end.
constexpr std::chrono::seconds kStuckWait{10};
constexpr std::chrono::seconds kLoopEndWait{2};

// How long a closed socket's bytes wait for a peer that reads nothing, unless
// the program set its own TCP_USER_TIMEOUT: then the kernel gives the
// connection up, their send fails, and the loop closes the descriptor, as the
// kernel bounds its own orphaned sockets.
constexpr unsigned kClosedWaitMs = 60000;

void BoundClosedWait(int fd) {
    unsigned timeout = 0;
    socklen_t size = sizeof timeout;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, &size) == 0 && timeout == 0) {
        ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &kClosedWaitMs, sizeof kClosedWaitMs);
    }
}

std::uint64_t SendData(int fd, std::size_t index) {
    return ArmData(fd, static_cast<std::uint32_t>(index + 1)) | kSendMark;
}

}  // namespace

long UringPoller::QueueSend(std::uint64_t token, int fd, const void* data, std::size_t length,
                            bool batch) {
    Slot* slot = SlotOf(token);
    if (slot == nullptr) {
        return kSendYourself;
    }
    if (slot->stuck) {
        Stuck* stuck = StuckOf(token);
        if (stuck != nullptr && stuck->error != 0) {
            errno = stuck->error;
            DropStuck(*stuck);
            return -1;
        }
        if (stuck != nullptr && stuck->shutDown) {
            errno = EPIPE;  // they never would go: the kernel's answer after a shutdown
            return -1;
        }
        return 0;  // earlier bytes wait for room: these would block
    }
    if (!batch || !batching_ || slot->direct) {
        if (slot->send == kQueued) {
            FlushSends();
            return slot->stuck ? 0 : kSendYourself;
        }
        return kSendYourself;
    }
    bool last = slot->send == kQueued && pendingSends_.back().fd == fd;
    if (slot->send == kQueued && !last) {
        FlushSends();  // its bytes must stay in one piece, in order
        return slot->stuck ? 0 : QueueSend(token, fd, data, length, batch);
    }
    if (arena_.capacity() < kArenaBytes) {
        arena_.reserve(kArenaBytes);  // never again: queued sends point into it
    }
    std::size_t queued = last ? pendingSends_.back().length : 0;
    std::size_t room = std::min(kSocketQuota - queued, kArenaBytes - arena_.size());
    if (room == 0) {
        FlushSends();
        return slot->stuck ? 0 : QueueSend(token, fd, data, length, batch);
    }
    std::size_t take = std::min(length, room);
    auto offset = static_cast<std::uint32_t>(arena_.size());
    const char* bytes = static_cast<const char*>(data);
    arena_.insert(arena_.end(), bytes, bytes + take);
    if (last) {
        pendingSends_.back().length += static_cast<std::uint32_t>(take);
    } else {
        pendingSends_.push_back({fd, offset, static_cast<std::uint32_t>(take)});
        slot->send = kQueued;
    }
    return static_cast<long>(take);
}

void UringPoller::FlushSends() {
    if (pendingSends_.empty()) {
        return;
    }
    // A send's arm number is its place in pendingSends_, plus one: each
    // completes (or is taken out) before the list is cleared.
    for (std::size_t i = 0; i < pendingSends_.size(); ++i) {
        const PendingSend& pending = pendingSends_[i];
        io_uring_sqe* entry = NextEntry();
        if (entry == nullptr) {
            break;  // left kQueued: kept below as bytes that had no room
        }
        io_uring_prep_send(entry, pending.fd, arena_.data() + pending.offset, pending.length,
                           MSG_NOSIGNAL);
        io_uring_sqe_set_data64(entry, SendData(pending.fd, i));
        slots_[static_cast<std::size_t>(pending.fd)].send = kSending;
    }
    Submit();  // each send runs now, inline
    Reap(pending_);
    bool abandoned = false;
    for (std::size_t i = 0; i < pendingSends_.size(); ++i) {
        int fd = pendingSends_[i].fd;
        Slot& slot = slots_[static_cast<std::size_t>(fd)];
        // One still in the kernel waits for room, pointing into the arena,
        // which is reused: taken out, its bytes become a Stuck.
        while (slot.send == kSending) {
            CancelSend(fd, static_cast<std::uint32_t>(i + 1));
            int result = io_uring_submit_and_wait(&ring_, 1);
            Reap(pending_);
            if (result < 0 && result != -EINTR) {
                abandoned = abandoned || slot.send == kSending;
                break;
            }
        }
        if (slot.send != 0) {
            slot.send = kSending;
            CompleteSend(fd, static_cast<std::uint32_t>(i + 1), -ECANCELED, pending_);
        }
    }
    pendingSends_.clear();
    if (abandoned) {
        retiredArenas_.push_back(std::move(arena_));  // the next send takes a fresh one
        arena_ = {};
    }
    arena_.clear();
    bool submitted = false;
    for (const auto& stuck : stuck_) {
        if (!stuck->inKernel && stuck->error == 0 && stuck->sent < stuck->bytes.size()) {
            SubmitStuck(*stuck);
            submitted = true;
        }
    }
    if (submitted) {
        Submit();
    }
}

void UringPoller::CompleteSend(int fd, std::uint32_t arm, int result,
                               std::vector<ReadyEvent>& ready) {
    if (arm & kPeekMark) {
        for (const auto& stuck : stuck_) {
            if (stuck->inKernel && stuck->arm == arm) {
                CompleteStuck(*stuck, result, ready);
                return;
            }
        }
        return;
    }
    auto index = static_cast<std::size_t>(fd);
    if (arm == 0 || arm > pendingSends_.size() || pendingSends_[arm - 1].fd != fd ||
        slots_[index].send != kSending) {
        return;
    }
    Slot& slot = slots_[index];
    slot.send = 0;
    const PendingSend* pending = &pendingSends_[arm - 1];
    bool failed = result < 0 && result != -ECANCELED && result != -EAGAIN && result != -EINTR;
    std::size_t sent = result > 0 ? static_cast<std::size_t>(result) : 0;
    if (!failed && sent >= pending->length) {
        return;
    }
    auto stuck = std::make_unique<Stuck>();
    stuck->token = slot.token;
    stuck->fd = fd;
    if (failed) {
        stuck->error = -result;
    } else {
        stuck->bytes.assign(arena_.data() + pending->offset + sent, pending->length - sent);
    }
    stuck_.push_back(std::move(stuck));
    slot.stuck = true;
    // Its peer reads slower than it sends: from now on each send meets the
    // kernel's own buffer at once, as on epoll, and its partial sends and
    // EWOULDBLOCK are the kernel's.
    slot.direct = true;
}

void UringPoller::SubmitStuck(Stuck& stuck) {
    io_uring_sqe* entry = NextEntry();
    if (entry == nullptr) {
        return;
    }
    stuckArm_ = NextArm(stuckArm_, kPeekMark);
    stuck.arm = stuckArm_;
    io_uring_prep_send(entry, stuck.fd, stuck.bytes.data() + stuck.sent,
                       stuck.bytes.size() - stuck.sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(entry, ArmData(stuck.fd, stuck.arm) | kSendMark);
    stuck.armedOn = stuck.fd;
    stuck.inKernel = true;
}

void UringPoller::CompleteStuck(Stuck& stuck, int result, std::vector<ReadyEvent>& ready) {
    stuck.inKernel = false;
    if (result > 0) {
        stuck.sent += static_cast<std::size_t>(result);
    } else if (result != -ECANCELED && result != -EAGAIN && result != -EINTR && result < 0) {
        stuck.error = -result;
        stuck.bytes.clear();
        stuck.sent = 0;
    }
    if (result == -ECANCELED) {
        return;  // taken out on purpose: whoever did decides what follows
    }
    if (stuck.error == 0 && stuck.sent < stuck.bytes.size()) {
        SubmitStuck(stuck);  // the rest, once there is room again
        return;
    }
    FinishStuck(stuck, ready);
}

void UringPoller::FinishStuck(Stuck& stuck, std::vector<ReadyEvent>& ready) {
    if (stuck.shutDown && stuck.error == 0) {
        ::shutdown(stuck.fd, SHUT_WR);
    }
    Slot* slot = stuck.token != 0 ? SlotOf(stuck.token) : nullptr;
    if (slot != nullptr && stuck.error != 0) {
        // Kept for the socket's next send, which reports it; OnSend says
        // there is one to make, as epoll reports an error as room to write.
        if (slot->interest & kWritable) {
            ready.push_back({slot->token, kWritable});
        }
        return;
    }
    if (slot != nullptr) {
        slot->stuck = false;
        MarkDirty(*slot, stuck.fd);
        if (slot->interest & kWritable) {
            ready.push_back({slot->token, kWritable});  // OnSend: the room it waited for
        }
    }
    std::erase_if(stuck_, [&](const auto& entry) { return entry.get() == &stuck; });
}

void UringPoller::CancelSend(int fd, std::uint32_t arm) {
    QueueRemoval(static_cast<int>(static_cast<std::uint32_t>(fd) | kSendMark), arm);
}

UringPoller::Stuck* UringPoller::StuckOf(std::uint64_t token) noexcept {
    for (const auto& stuck : stuck_) {
        if (stuck->token == token) {
            return stuck.get();
        }
    }
    return nullptr;
}

bool UringPoller::AwaitStuck(std::uint64_t token) {
    auto deadline = std::chrono::steady_clock::now() + kStuckWait;
    for (;;) {
        Stuck* stuck = StuckOf(token);
        if (stuck == nullptr || stuck->error != 0) {
            return true;
        }
        if (!WaitUntil(deadline)) {
            return false;
        }
    }
}

void UringPoller::DropStuck(Stuck& stuck) {
    while (stuck.inKernel) {
        CancelSend(stuck.armedOn, stuck.arm);
        int result = io_uring_submit_and_wait(&ring_, 1);
        Reap(pending_);
        if (result < 0 && result != -EINTR) {
            break;
        }
    }
    if (stuck.error == 0 && stuck.sent < stuck.bytes.size()) {
        // Bytes Send said it took are given up (a Detach or the loop's end
        // waited for them in vain): the connection must neither go on nor end
        // in order as if they had been sent, for the peer could not tell. The
        // kernel never sends past a hole; a reset tells both ends instead.
        linger abort{1, 0};
        ::setsockopt(stuck.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        sockaddr unspecified{};
        unspecified.sa_family = AF_UNSPEC;
        static_cast<void>(::connect(stuck.fd, &unspecified, sizeof unspecified));
    }
    if (Slot* slot = stuck.token != 0 ? SlotOf(stuck.token) : nullptr) {
        slot->stuck = false;
        MarkDirty(*slot, stuck.fd);
    }
    auto entry = std::find_if(stuck_.begin(), stuck_.end(),
                              [&](const auto& candidate) { return candidate.get() == &stuck; });
    if (stuck.inKernel) {
        stuck.own.Reset();
        retiredStuck_.push_back(std::move(*entry));  // the kernel may still read its bytes
    }
    stuck_.erase(entry);
}

bool UringPoller::SendsWaiting(std::uint64_t token) {
    Slot* slot = SlotOf(token);
    return slot != nullptr && (slot->stuck || slot->send != 0);
}

bool UringPoller::SettleSends(std::uint64_t token, Leaving how) {
    Slot* slot = SlotOf(token);
    if (slot == nullptr) {
        return false;
    }
    if (slot->send != 0) {
        FlushSends();
    }
    Stuck* stuck = StuckOf(token);
    if (stuck == nullptr) {
        return false;
    }
    if (stuck->error != 0 || how == Leaving::AbortiveClose) {
        DropStuck(*stuck);  // an abortive close throws away what the kernel has, too
        return false;
    }
    switch (how) {
        case Leaving::ShutDown:
            stuck->shutDown = true;
            return true;
        case Leaving::Detach:
            if (!AwaitStuck(token)) {
                if (Stuck* still = StuckOf(token)) {
                    DropStuck(*still);
                }
            }
            if (Stuck* failed = StuckOf(token)) {
                DropStuck(*failed);
            }
            return false;
        case Leaving::Close:
        case Leaving::AbortiveClose:
            break;
    }
    // The bytes go on after the socket closes: the loop keeps its descriptor
    // (a duplicate could fail, and would cost one more), closed after the
    // last byte, as the kernel's close follows its own bytes.
    stuck->own.Reset(stuck->fd);
    BoundClosedWait(stuck->fd);
    stuck->token = 0;
    slot->stuck = false;
    return true;
}

void UringPoller::FinishSends() noexcept {
    try {
        FlushSends();
        auto deadline = std::chrono::steady_clock::now() + kLoopEndWait;
        auto inKernel = [this] {
            return std::any_of(stuck_.begin(), stuck_.end(),
                               [](const auto& stuck) { return stuck->inKernel; });
        };
        while (inKernel() && WaitUntil(deadline)) {
        }
        while (!stuck_.empty()) {
            DropStuck(*stuck_.front());
        }
    } catch (...) {
        // Out of memory at the loop's end: what waited is lost, as with a reset.
    }
}

// Waits for one completion or `deadline`, and collects; false once it passed.
bool UringPoller::WaitUntil(std::chrono::steady_clock::time_point deadline) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
        return false;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    __kernel_timespec limit{};
    limit.tv_sec = ns / 1000000000;
    limit.tv_nsec = ns % 1000000000;
    io_uring_cqe* first = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &first, 1, &limit, nullptr);
    Reap(pending_);
    return true;
}

}  // namespace xsock::detail::uring

#endif
