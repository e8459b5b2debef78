// Bytes of a stream socket held outside its descriptor: those the io_uring
// backend received into its buffers and the program has not read yet, and
// those that go with the descriptor when it is detached, to whichever loop
// attaches it next. Every read of the socket takes them first, so the
// program sees its stream in order on every backend.
#include "HeldInput.h"

#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>

#include "poller/Poller.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <utility>

namespace xsock {

namespace {

std::uint64_t CookieOf(int fd) {
    std::uint64_t cookie = 0;
    socklen_t length = sizeof cookie;
    return ::getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &length) == 0 ? cookie : 0;
}

// Detached descriptors' bytes, by socket cookie (never reused while the
// system runs). A descriptor that is never attached again leaves its entry
// behind, so the oldest go once there are kMaxDetached.
struct Detached {
    std::mutex mutex;
    std::deque<std::pair<std::uint64_t, std::string>> entries;
};

Detached& DetachedInput() {
    static Detached detached;
    return detached;
}

std::atomic<bool> anyDetached{false};

}  // namespace

namespace detail {

void CarryAcrossDetach(int fd, std::string bytes) {
    if (bytes.empty()) {
        return;
    }
    std::uint64_t cookie = CookieOf(fd);
    if (cookie == 0) {
        return;
    }
    Detached& detached = DetachedInput();
    std::lock_guard lock(detached.mutex);
    if (detached.entries.size() >= kMaxDetached) {
        detached.entries.pop_front();
    }
    detached.entries.emplace_back(cookie, std::move(bytes));
    anyDetached.store(true, std::memory_order_release);
}

bool AnyCarried() noexcept {
    return anyDetached.load(std::memory_order_acquire);
}

// Runs `use` on the bytes kept for `fd`'s socket, under the lock; false if
// there are none.
template <typename Use>
bool WithCarried(int fd, Use&& use) {
    if (!AnyCarried()) {
        return false;
    }
    std::uint64_t cookie = CookieOf(fd);
    Detached& detached = DetachedInput();
    std::lock_guard lock(detached.mutex);
    auto found = std::find_if(detached.entries.begin(), detached.entries.end(),
                              [&](const auto& entry) { return entry.first == cookie; });
    if (cookie == 0 || found == detached.entries.end()) {
        return false;
    }
    if (use(found->second)) {
        detached.entries.erase(found);  // all read
        anyDetached.store(!detached.entries.empty(), std::memory_order_release);
    }
    return true;
}

std::size_t ReadCarried(int fd, void* buffer, std::size_t length, bool peek) {
    std::size_t n = 0;
    WithCarried(fd, [&](std::string& bytes) {
        n = std::min(length, bytes.size());
        std::memcpy(buffer, bytes.data(), n);
        if (peek) {
            return false;
        }
        bytes.erase(0, n);
        return bytes.empty();
    });
    return n;
}

std::string TakeCarried(int fd) {
    std::string bytes;
    WithCarried(fd, [&](std::string& kept) {
        bytes = std::move(kept);
        return true;
    });
    return bytes;
}

std::size_t CarriedCount(int fd) {
    std::size_t n = 0;
    WithCarried(fd, [&](const std::string& bytes) {
        n = bytes.size();
        return false;
    });
    return n;
}

}  // namespace detail

std::size_t SocketLoop::Received(int fd, void* buffer, std::size_t length, bool peek, bool& more) {
    std::size_t n = 0;
    more = false;
    auto carried = std::find_if(carried_.begin(), carried_.end(),
                                [fd](const Carried& entry) { return entry.fd == fd; });
    if (carried != carried_.end()) {
        n = std::min(length, carried->bytes.size() - carried->read);
        std::memcpy(buffer, carried->bytes.data() + carried->read, n);
        more = true;  // the descriptor's own come next, if any
        if (!peek) {
            carried->read += n;
            if (carried->read == carried->bytes.size()) {
                carried_.erase(carried);
            } else {
                MarkReadable(fd);  // what is left is reported again, as recv re-enables FD_READ
            }
        }
        if (n == length) {
            return n;
        }
    }
    if (receivesStreams_) {
        auto index = static_cast<std::size_t>(fd);
        bool further = false;
        std::size_t m =
            poller_->Received(detail::SocketToken(fd, byFd_[index].generation),
                              static_cast<char*>(buffer) + n, length - n, peek, further);
        if (m > 0) {
            n += m;
            more = further;
        }
    }
    return n;
}

std::size_t SocketLoop::HeldBytes(int fd) {
    std::size_t held = 0;
    for (const Carried& entry : carried_) {
        if (entry.fd == fd) {
            held += entry.bytes.size() - entry.read;
        }
    }
    if (receivesStreams_) {
        auto index = static_cast<std::size_t>(fd);
        held += poller_->HeldBytes(detail::SocketToken(fd, byFd_[index].generation));
    }
    return held;
}

std::size_t SocketLoop::HeldBytesAnyThread(int fd) {
    return receivesStreams_ ? poller_->HeldBytesOf(fd) : 0;
}

void SocketLoop::MoreWaiting(int fd) noexcept {
    if (receivesStreams_) {
        auto index = static_cast<std::size_t>(fd);
        poller_->MoreWaiting(detail::SocketToken(fd, byFd_[index].generation));
    }
}

std::string SocketLoop::TakeHeld(int fd) {
    std::string bytes;
    auto carried = std::find_if(carried_.begin(), carried_.end(),
                                [fd](const Carried& entry) { return entry.fd == fd; });
    if (carried != carried_.end()) {
        bytes = carried->bytes.substr(carried->read);
        carried_.erase(carried);
    }
    if (receivesStreams_) {
        auto index = static_cast<std::size_t>(fd);
        bytes += poller_->TakeHeld(detail::SocketToken(fd, byFd_[index].generation));
    }
    return bytes;
}

void SocketLoop::Carry(int fd, std::string bytes) {
    if (bytes.empty()) {
        return;
    }
    carried_.push_back({fd, std::move(bytes)});
    MarkReadable(fd);
}

std::string AsyncSocket::TakeHeldInput() {
    if (type_ != SOCK_STREAM) {
        return {};
    }
    if (loop_ == nullptr) {
        return detail::TakeCarried(fd_);  // kept when the loop went (OnLoopDestroyed)
    }
    return loop_->MayHold() ? loop_->TakeHeld(fd_) : std::string{};
}

long SocketLoop::QueueSend(int fd, const void* data, std::size_t length) {
    static_assert(kSendYourself == detail::Poller::kSendYourself);
    auto index = static_cast<std::size_t>(fd);
    return poller_->QueueSend(detail::SocketToken(fd, byFd_[index].generation), fd, data, length,
                              depth_ > 0);
}

bool SocketLoop::SendsWaiting(int fd) {
    auto index = static_cast<std::size_t>(fd);
    return poller_->SendsWaiting(detail::SocketToken(fd, byFd_[index].generation));
}

bool SocketLoop::SettleSends(int fd, Leaving how) {
    linger current{};
    socklen_t size = sizeof current;
    if (how == Leaving::Close && ::getsockopt(fd, SOL_SOCKET, SO_LINGER, &current, &size) == 0 &&
        current.l_onoff != 0 && current.l_linger == 0) {
        how = Leaving::AbortiveClose;  // SO_LINGER 0: the kernel drops its own bytes too
    }
    auto index = static_cast<std::size_t>(fd);
    return poller_->SettleSends(detail::SocketToken(fd, byFd_[index].generation),
                                static_cast<detail::Poller::Leaving>(how));
}

void SocketLoop::FlushSends() noexcept {
    if (sendsStreams_) {
        try {
            poller_->FlushSends();
        } catch (...) {
            // No memory for a send that had no room: it is lost, as with a reset.
        }
    }
}

std::size_t AsyncSocket::HeldCount() {
    if (type_ != SOCK_STREAM) {
        return 0;
    }
    if (loop_ == nullptr) {
        return detail::CarriedCount(fd_);
    }
    if (SocketLoop::Current() != loop_) {
        return loop_->HeldBytesAnyThread(fd_);  // the loop's thread may be changing them
    }
    return loop_->MayHold() ? loop_->HeldBytes(fd_) : 0;
}

}  // namespace xsock
