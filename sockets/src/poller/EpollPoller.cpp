#include "Poller.h"

#ifdef __linux__

#include <xsock/Descriptor.h>

#include <sys/epoll.h>

#include <cerrno>
#include <system_error>

namespace xsock::detail {

namespace {

unsigned ToEpoll(unsigned interest) {
    unsigned bits = 0;
    if (interest & kReadable) {
        bits |= EPOLLIN | EPOLLRDHUP;
    }
    if (interest & kWritable) {
        bits |= EPOLLOUT;
    }
    if (interest & kPriority) {
        bits |= EPOLLPRI;
    }
    return bits;
}

unsigned FromEpoll(unsigned bits) {
    unsigned events = 0;
    if (bits & EPOLLIN) {
        events |= kReadable;
    }
    if (bits & EPOLLOUT) {
        events |= kWritable;
    }
    if (bits & EPOLLPRI) {
        events |= kPriority;
    }
    if (bits & (EPOLLRDHUP | EPOLLHUP)) {
        events |= kHangup;
    }
    if (bits & EPOLLERR) {
        events |= kError;
    }
    return events;
}

class EpollPoller final : public Poller {
  public:
    EpollPoller() : epfd_(::epoll_create1(EPOLL_CLOEXEC)), events_(64) {
        if (!epfd_) {
            throw std::system_error(errno, std::generic_category(), "epoll_create1");
        }
    }

    bool Update(int fd, std::uint64_t token, unsigned oldInterest, unsigned newInterest) override {
        if (oldInterest == newInterest) {
            return true;
        }
        epoll_event event{};
        event.events = ToEpoll(newInterest);
        event.data.u64 = token;
        int op = oldInterest == 0   ? EPOLL_CTL_ADD
                 : newInterest == 0 ? EPOLL_CTL_DEL
                                    : EPOLL_CTL_MOD;
        return ::epoll_ctl(epfd_.Get(), op, fd, &event) == 0;
    }

    void Wait(int timeoutMs, std::vector<ReadyEvent>& ready) override {
        int n =
            ::epoll_wait(epfd_.Get(), events_.data(), static_cast<int>(events_.size()), timeoutMs);
        if (n <= 0) {
            return;  // EINTR: the loop simply runs another iteration
        }
        for (int i = 0; i < n; ++i) {
            ready.push_back({events_[i].data.u64, FromEpoll(events_[i].events)});
        }
        if (static_cast<std::size_t>(n) == events_.size()) {
            events_.resize(events_.size() * 2);  // many ready: fetch more next time
        }
    }

    bool ReportsHangup() const override { return true; }
    int NativeHandle() override { return epfd_.Get(); }

  private:
    Descriptor epfd_;
    std::vector<epoll_event> events_;
};

}  // namespace

std::unique_ptr<Poller> MakeEpollPoller() {
    return std::make_unique<EpollPoller>();
}

}  // namespace xsock::detail

#else

namespace xsock::detail {
std::unique_ptr<Poller> MakeEpollPoller() {
    return nullptr;
}
}  // namespace xsock::detail

#endif
