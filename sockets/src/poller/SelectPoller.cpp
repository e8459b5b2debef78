#include "Poller.h"

#include <sys/select.h>

#include <algorithm>
#include <cerrno>

namespace xsock::detail {

namespace {

// select() can only name descriptors below FD_SETSIZE: FD_SET past it writes
// outside the fd_set. CanWatch refuses such a descriptor with EMFILE (Asio's
// choice too), so the socket that owns it fails cleanly instead.
class SelectPoller final : public Poller {
  public:
    SelectPoller() : read_(), write_(), except_() {
        FD_ZERO(&read_);
        FD_ZERO(&write_);
        FD_ZERO(&except_);
    }

    bool CanWatch(int fd) const override { return fd >= 0 && fd < FD_SETSIZE; }

    bool Update(int fd, std::uint64_t token, unsigned oldInterest, unsigned newInterest) override {
        if (!CanWatch(fd)) {
            errno = fd < 0 ? EBADF : EMFILE;
            return false;
        }
        if (oldInterest == newInterest) {
            return true;
        }
        Set(fd, read_, newInterest & kReadable);
        Set(fd, write_, newInterest & kWritable);
        Set(fd, except_, newInterest & kPriority);
        tokens_[fd] = token;
        if (newInterest != 0) {
            maxFd_ = std::max(maxFd_, fd);
        } else {
            while (maxFd_ >= 0 && !FD_ISSET(maxFd_, &read_) && !FD_ISSET(maxFd_, &write_) &&
                   !FD_ISSET(maxFd_, &except_)) {
                --maxFd_;
            }
        }
        return true;
    }

    void Wait(int timeoutMs, std::vector<ReadyEvent>& ready) override {
        fd_set readable = read_;
        fd_set writable = write_;
        fd_set urgent = except_;
        timeval tv{};
        timeval* limit = nullptr;
        if (timeoutMs >= 0) {
            tv.tv_sec = timeoutMs / 1000;
            tv.tv_usec = static_cast<suseconds_t>(timeoutMs % 1000) * 1000;
            limit = &tv;
        }
        int n = ::select(maxFd_ + 1, &readable, &writable, &urgent, limit);
        for (int fd = 0; n > 0 && fd <= maxFd_; ++fd) {
            unsigned events = 0;
            if (FD_ISSET(fd, &readable)) {
                events |= kReadable;
            }
            if (FD_ISSET(fd, &writable)) {
                events |= kWritable;
            }
            if (FD_ISSET(fd, &urgent)) {
                events |= kPriority;
            }
            if (events != 0) {
                ready.push_back({tokens_[fd], events});
                --n;
            }
        }
    }

    bool ReportsHangup() const override { return false; }

  private:
    static void Set(int fd, fd_set& set, bool on) {
        if (on) {
            FD_SET(fd, &set);
        } else {
            FD_CLR(fd, &set);
        }
    }

    fd_set read_;
    fd_set write_;
    fd_set except_;
    std::uint64_t tokens_[FD_SETSIZE] = {};
    int maxFd_ = -1;
};

}  // namespace

std::unique_ptr<Poller> MakeSelectPoller() {
    return std::make_unique<SelectPoller>();
}

}  // namespace xsock::detail
