// Readiness through an io_uring: a one-shot IORING_OP_POLL_ADD per watched
// descriptor, armed in the io_uring_enter that waits, so an iteration is one
// system call however many descriptors changed interest. A one-shot poll
// looks at the descriptor when it is armed, which gives epoll's
// level-triggered rules. Reading and writing stay with the sockets, so
// MSG_PEEK, FIONREAD, out-of-band data and EMSGSIZE behave as on epoll. Each
// poll carries its descriptor and a per-descriptor arm number; a completion
// for any other than the current arm (removed, interest changed, descriptor
// number reused) is dropped.
#include "Poller.h"

#ifdef XSOCK_HAVE_LIBURING

#include "Wakeup.h"

#include <xsock/Descriptor.h>

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

namespace xsock::detail {

namespace {

constexpr unsigned kSubmissionEntries = 256;
// Every watched descriptor can complete in one wait; a larger burst waits in
// the kernel's overflow list (IORING_FEAT_NODROP) until the next reap.
constexpr unsigned kCompletionEntries = 4096;
constexpr unsigned kReapBatch = 64;

unsigned ToPoll(unsigned interest) {
    unsigned bits = 0;
    if (interest & kReadable) {
        bits |= POLLIN | POLLRDHUP | POLLRDBAND;  // POLLRDBAND: see FromPoll
    }
    if (interest & kWritable) {
        bits |= POLLOUT;
    }
    if (interest & kPriority) {
        bits |= POLLPRI | POLLRDBAND;
    }
    return bits;
}

unsigned FromPoll(unsigned bits) {
    // A poll that a socket's "data arrived" wake-up completes takes its bits
    // from the wake-up's key, POLLIN | POLLPRI | POLLRDBAND, not from the
    // socket, whether the news is data, urgent data or the peer's FIN. No
    // socket's own poll reports POLLRDBAND, so it marks such a key, and its
    // POLLPRI means nothing: a poll armed again on a socket with urgent data
    // completes at once with the real bits. (Its POLLIN may be an end of
    // stream: see ReportsHangup.)
    if (bits & POLLRDBAND) {
        bits &= ~static_cast<unsigned>(POLLPRI);
    }
    unsigned events = 0;
    if (bits & POLLIN) {
        events |= kReadable;
    }
    if (bits & POLLOUT) {
        events |= kWritable;
    }
    if (bits & POLLPRI) {
        events |= kPriority;
    }
    if (bits & (POLLRDHUP | POLLHUP)) {
        events |= kHangup;
    }
    if (bits & (POLLERR | POLLNVAL)) {
        events |= kError;
    }
    return events;
}

// user_data of a poll: arm number high, descriptor low. Arm number 0 marks
// entries whose completion means nothing (removals).
std::uint64_t ArmData(int fd, std::uint32_t arm) {
    return (std::uint64_t{arm} << 32) | static_cast<std::uint32_t>(fd);
}

std::string RefusalMessage(int error) {
    std::string message = "SocketLoop: the kernel refuses io_uring (io_uring_setup: " +
                          std::generic_category().message(error) + ")";
    if (std::FILE* file = std::fopen("/proc/sys/kernel/io_uring_disabled", "re")) {
        int disabled = 0;
        if (std::fscanf(file, "%d", &disabled) == 1 && disabled != 0) {
            message += ", kernel.io_uring_disabled=" + std::to_string(disabled);
        }
        std::fclose(file);
    }
    return message + "; use the epoll backend";
}

class UringPoller final : public Poller {
  public:
    UringPoller() {
        io_uring_params params{};
        params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        params.cq_entries = kCompletionEntries;
        if (int result = io_uring_queue_init_params(kSubmissionEntries, &ring_, &params);
            result < 0) {
            throw std::system_error(-result, std::generic_category(), RefusalMessage(-result));
        }
        // Completions must never be dropped (IORING_FEAT_NODROP, 5.5) and
        // multishot polls must exist (5.13, when IORING_FEAT_RSRC_TAGS came).
        constexpr unsigned kNeeded = IORING_FEAT_NODROP | IORING_FEAT_RSRC_TAGS;
        if ((params.features & kNeeded) != kNeeded) {
            io_uring_queue_exit(&ring_);
            throw std::system_error(ENOSYS, std::generic_category(),
                                    "SocketLoop: this kernel's io_uring is too old for the uring "
                                    "backend (it needs Linux 5.13); use the epoll backend");
        }
    }

    UringPoller(const UringPoller&) = delete;
    UringPoller& operator=(const UringPoller&) = delete;

    ~UringPoller() override {
        // Cancelled here, in this thread, so no poll keeps a socket's file
        // alive after the loop is gone (the ring's own teardown is deferred).
        for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
            if (slots_[fd].armed) {
                Remove(slots_[fd], static_cast<int>(fd));
            }
        }
        io_uring_submit(&ring_);
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
        if (!pending_.empty()) {
            // Reaped for a host loop under the old interest: the new one decides.
            std::erase_if(pending_, [&](const ReadyEvent& event) { return event.token == token; });
        }
        if (slot.token != token || (newInterest & kReadable)) {
            slot.multishot = false;  // another socket, or POLLRDHUP is wanted again
        }
        slot.token = token;
        slot.interest = static_cast<std::uint8_t>(newInterest);
        if (slot.armed) {
            Remove(slot, fd);
            // The caller may close, dup3 over or hand away the descriptor next:
            // the poll's reference to its file must be gone first, or a close
            // would not reach the peer.
            if (newInterest == 0 && !Submit()) {
                return false;
            }
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
        ArmDirty();
        if (!pending_.empty()) {
            ready.insert(ready.end(), pending_.begin(), pending_.end());
            pending_.clear();
            timeoutMs = 0;
        }
        if (io_uring_cq_ready(&ring_) > 0) {
            timeoutMs = 0;
        }
        int result = 0;
        if (timeoutMs == 0) {
            if (io_uring_sq_ready(&ring_) > 0) {
                result = io_uring_submit(&ring_);
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

    int NativeHandle() override {
        if (!eventFd_) {
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
        ArmDirty();
        Submit();
        if (io_uring_cq_ready(&ring_) == 0) {
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
        std::uint32_t arm = 0;  // the number of the current (or last) poll
        std::uint8_t interest = 0;
        bool armed = false;      // a poll with number `arm` is in the kernel
        bool dirty = false;      // listed in dirty_: to be armed before the next wait
        bool multishot = false;  // the peer shut down its side; reading is not watched
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

    void Remove(Slot& slot, int fd) {
        if (io_uring_sqe* entry = NextEntry()) {
            io_uring_prep_poll_remove(entry, ArmData(fd, slot.arm));
            io_uring_sqe_set_data64(entry, 0);
        }
        slot.armed = false;  // whatever it still completes with is stale
    }

    void ArmDirty() {
        for (int fd : dirty_) {
            Slot& slot = slots_[static_cast<std::size_t>(fd)];
            slot.dirty = false;
            if (slot.interest == 0 || slot.armed) {
                continue;
            }
            io_uring_sqe* entry = NextEntry();
            if (entry == nullptr) {
                continue;
            }
            if (++slot.arm == 0) {
                slot.arm = 1;
            }
            if (slot.multishot) {
                io_uring_prep_poll_multishot(entry, fd, ToPoll(slot.interest));
            } else {
                io_uring_prep_poll_add(entry, fd, ToPoll(slot.interest));
            }
            io_uring_sqe_set_data64(entry, ArmData(fd, slot.arm));
            slot.armed = true;
        }
        dirty_.clear();
    }

    bool Submit() noexcept {
        int result;
        do {
            result = io_uring_submit(&ring_);
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
        auto index = static_cast<std::size_t>(data & 0xffffffffu);
        if (arm == 0 || index >= slots_.size()) {
            return;
        }
        Slot& slot = slots_[index];
        if (!slot.armed || slot.arm != arm) {
            return;  // removed, changed, or the descriptor number was reused
        }
        if (!(completion.flags & IORING_CQE_F_MORE)) {
            slot.armed = false;  // a one-shot poll, or a multishot one that ended
            if (!slot.dirty) {
                slot.dirty = true;  // level-triggered: armed again unless interest drops
                dirty_.push_back(static_cast<int>(index));
            }
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
        if ((bits & POLLRDHUP) && !(slot.interest & kReadable)) {
            slot.multishot = true;
        }
        bits &= ToPoll(slot.interest) | POLLERR | POLLHUP | POLLNVAL;
        if (unsigned events = FromPoll(bits); events != 0) {
            ready.push_back({slot.token, events});
        }
    }

    io_uring ring_{};
    std::vector<Slot> slots_;
    std::vector<int> dirty_;
    std::vector<ReadyEvent> pending_;  // reaped by Flush, for the next Wait
    Descriptor eventFd_;               // registered with the ring once a host loop asks for it
    bool watched_ = false;
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
