#include "Poller.h"

#include <poll.h>

#include <cerrno>

namespace xsock::detail {

namespace {

#ifdef POLLRDHUP
constexpr short kPeerShutdown = POLLRDHUP;
#else
constexpr short kPeerShutdown = 0;
#endif

short ToPoll(unsigned interest) {
    short bits = 0;
    if (interest & kReadable) {
        bits |= POLLIN | kPeerShutdown;
    }
    if (interest & kWritable) {
        bits |= POLLOUT;
    }
    if (interest & kPriority) {
        bits |= POLLPRI;
    }
    return bits;
}

unsigned FromPoll(short bits) {
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
    if (bits & (POLLHUP | kPeerShutdown)) {
        events |= kHangup;
    }
    if (bits & (POLLERR | POLLNVAL)) {
        events |= kError;
    }
    return events;
}

// Keeps a dense pollfd array (what poll() wants) and an fd -> slot index so
// updates are O(1); removal moves the last entry into the hole.
class PollPoller final : public Poller {
  public:
    bool Update(int fd, std::uint64_t token, unsigned oldInterest, unsigned newInterest) override {
        if (fd < 0) {
            errno = EBADF;
            return false;
        }
        if (oldInterest == newInterest) {
            return true;
        }
        if (static_cast<std::size_t>(fd) >= slotByFd_.size()) {
            slotByFd_.resize(static_cast<std::size_t>(fd) + 1, -1);
        }
        int& slot = slotByFd_[static_cast<std::size_t>(fd)];
        if (newInterest == 0) {
            if (slot >= 0) {
                Remove(slot);
                slot = -1;
            }
            return true;
        }
        if (slot < 0) {
            slot = static_cast<int>(fds_.size());
            fds_.push_back({fd, 0, 0});
            tokens_.push_back(token);
        }
        fds_[static_cast<std::size_t>(slot)].events = ToPoll(newInterest);
        tokens_[static_cast<std::size_t>(slot)] = token;
        return true;
    }

    void Wait(int timeoutMs, std::vector<ReadyEvent>& ready) override {
        int n = ::poll(fds_.data(), fds_.size(), timeoutMs);
        for (std::size_t i = 0; n > 0 && i < fds_.size(); ++i) {
            if (fds_[i].revents != 0) {
                ready.push_back({tokens_[i], FromPoll(fds_[i].revents)});
                --n;
            }
        }
    }

    bool ReportsHangup() const override { return kPeerShutdown != 0; }

  private:
    void Remove(int slot) {
        auto index = static_cast<std::size_t>(slot);
        std::size_t last = fds_.size() - 1;
        if (index != last) {
            fds_[index] = fds_[last];
            tokens_[index] = tokens_[last];
            slotByFd_[static_cast<std::size_t>(fds_[index].fd)] = slot;
        }
        fds_.pop_back();
        tokens_.pop_back();
    }

    std::vector<pollfd> fds_;
    std::vector<std::uint64_t> tokens_;
    std::vector<int> slotByFd_;
};

}  // namespace

std::unique_ptr<Poller> MakePollPoller() {
    return std::make_unique<PollPoller>();
}

}  // namespace xsock::detail
