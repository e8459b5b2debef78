#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>

#include "LastError.h"
#include "Timers.h"
#include "poller/Poller.h"

#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#endif

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace xsock {

namespace {

thread_local SocketLoop* t_current = nullptr;
thread_local std::unique_ptr<SocketLoop> t_implicit;

// Tokens for the loop's own descriptors; socket tokens carry a descriptor in
// the low half and a generation (never all ones) in the high half.
constexpr std::uint64_t kWakeToken = ~std::uint64_t{0};
constexpr std::uint64_t kTimerToken = ~std::uint64_t{0} - 1;

std::uint64_t SocketToken(int fd, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

[[noreturn]] void Fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::unique_ptr<detail::Poller> MakePoller(SocketLoop::Backend backend) {
    switch (backend) {
        case SocketLoop::Backend::Select:
            return detail::MakeSelectPoller();
        case SocketLoop::Backend::Poll:
            return detail::MakePollPoller();
        case SocketLoop::Backend::Epoll:
            if (auto poller = detail::MakeEpollPoller()) {
                return poller;
            }
            throw std::invalid_argument("SocketLoop: the epoll backend does not exist here");
    }
    throw std::invalid_argument("SocketLoop: unknown backend");
}

}  // namespace

SocketLoop::SocketLoop(Options options)
    : backend_(options.backend ? *options.backend : DefaultBackend()),
      poller_(MakePoller(backend_)),
      reportsHangup_(poller_->ReportsHangup()),
      timers_(std::make_unique<detail::TimerQueue>()) {
    if (t_current != nullptr) {
        throw std::logic_error("SocketLoop: this thread already has a loop");
    }
#ifdef __linux__
    wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakeFd_ < 0) {
        Fail("eventfd");
    }
    wakeWriteFd_ = wakeFd_;
#else
    int fds[2];
    if (::pipe(fds) != 0) {
        Fail("pipe");
    }
    for (int fd : fds) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    wakeFd_ = fds[0];
    wakeWriteFd_ = fds[1];
#endif
    if (!poller_->Update(wakeFd_, kWakeToken, 0, detail::kReadable)) {
        int error = errno;
        ::close(wakeFd_);
        if (wakeWriteFd_ != wakeFd_) {
            ::close(wakeWriteFd_);
        }
        errno = error;
        Fail("SocketLoop: cannot watch its wake-up descriptor");
    }
    t_current = this;
}

SocketLoop::~SocketLoop() {
    if (t_current != this) {
        std::fprintf(stderr,
                     "xsock: a SocketLoop was destroyed by a thread that does not own it\n");
        std::abort();
    }
    for (Slot& slot : byFd_) {
        if (slot.socket != nullptr) {
            slot.socket->loop_ = nullptr;
            slot.socket->interest_ = 0;
            slot.socket->acceptRetry_ = 0;
        }
    }
    ::close(wakeFd_);
    if (wakeWriteFd_ != wakeFd_) {
        ::close(wakeWriteFd_);
    }
    if (timerFd_ >= 0) {
        ::close(timerFd_);
    }
    t_current = nullptr;
}

SocketLoop& SocketLoop::ForThisThread() {
    return ForThisThread(Options{});
}

SocketLoop& SocketLoop::ForThisThread(Options options) {
    if (t_current == nullptr) {
        t_implicit = std::make_unique<SocketLoop>(options);
    }
    return *t_current;
}

SocketLoop* SocketLoop::Current() noexcept {
    return t_current;
}

SocketLoop::Backend SocketLoop::DefaultBackend() {
    const char* name = std::getenv("XSOCK_BACKEND");
    if (name != nullptr && *name != '\0') {
        if (std::strcmp(name, "select") == 0) {
            return Backend::Select;
        }
        if (std::strcmp(name, "poll") == 0) {
            return Backend::Poll;
        }
        if (std::strcmp(name, "epoll") == 0) {
            return Backend::Epoll;
        }
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true)) {
            std::fprintf(stderr,
                         "xsock: XSOCK_BACKEND=%s is not select, poll or epoll; "
                         "using the default\n",
                         name);
        }
    }
#ifdef __linux__
    return Backend::Epoll;
#else
    return Backend::Poll;
#endif
}

const char* SocketLoop::BackendName(Backend backend) noexcept {
    switch (backend) {
        case Backend::Select:
            return "select";
        case Backend::Poll:
            return "poll";
        case Backend::Epoll:
            return "epoll";
    }
    return "unknown";
}

bool SocketLoop::IsInLoopThread() const noexcept {
    return t_current == this;
}

void SocketLoop::CheckOwner(const char* what) const {
    if (t_current != this) {
        throw std::logic_error(std::string("SocketLoop::") + what +
                               ": called from a thread that does not own the loop");
    }
}

void SocketLoop::Run() {
    CheckOwner("Run");
    ++running_;
    struct Leave {
        int& running;
        ~Leave() { --running; }
    } leave{running_};
    do {
        RunOnce();
    } while (!quit_.load());
    quit_.store(false);
}

void SocketLoop::Quit() {
    quit_.store(true);
    if (t_current != this) {
        Wake();
    }
}

bool SocketLoop::RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    CheckOwner("RunUntil");
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return done();
        }
        RunOnce(std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
    }
    return true;
}

int SocketLoop::WaitTimeout(std::chrono::milliseconds requested) {
    // A Quit only cuts the wait short for Run; RunOnce and RunUntil ignore it.
    if (hasTasks_.load() || (running_ > 0 && quit_.load()) ||
        (blocking_ == 0 && !deferred_.empty())) {
        return 0;
    }
    long long limit = requested.count() < 0 ? -1 : requested.count();
    if (auto next = timers_->NextDeadline()) {
        auto now = detail::TimerQueue::Clock::now();
        if (*next <= now) {
            return 0;
        }
        long long untilTimer = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
        limit = limit < 0 ? untilTimer : std::min(limit, untilTimer);
    }
    return static_cast<int>(std::min<long long>(limit, INT_MAX));
}

std::size_t SocketLoop::RunOnce(std::chrono::milliseconds timeout) {
    CheckOwner("RunOnce");
    if (readyLists_.size() <= depth_) {
        readyLists_.emplace_back();
    }
    std::vector<detail::ReadyEvent>& ready = readyLists_[depth_];
    ready.clear();
    poller_->Wait(WaitTimeout(timeout), ready);

    struct Nesting {
        std::size_t& depth;
        explicit Nesting(std::size_t& d) : depth(d) { ++depth; }
        ~Nesting() { --depth; }
    } nesting(depth_);

    std::size_t ran = blocking_ == 0 && !deferred_.empty() ? DeliverDeferred() : 0;
    ran += Dispatch(ready);
    ready.clear();
    if (!timers_->Empty()) {  // no clock read and no timerfd update without timers
        ran += timers_->RunDue(detail::TimerQueue::Clock::now());
        ArmTimerHandle();
    }
    ran += RunTasks();
    return ran;
}

std::size_t SocketLoop::Dispatch(const std::vector<detail::ReadyEvent>& ready) {
    std::size_t ran = 0;
    for (const detail::ReadyEvent& event : ready) {
        if (event.token == kWakeToken) {
            // Drain before clearing the flag: a Wake() in between would
            // otherwise be drained here with the flag left set, and every
            // later Wake() would skip its write. A Post() that sees the flag
            // still set is picked up by this iteration's task phase.
            Drain(wakeFd_);
            wakePending_.store(false);
            continue;
        }
        if (event.token == kTimerToken) {
            Drain(timerFd_);
            continue;
        }
        AsyncSocket* socket = Target(event.token);
        if (socket == nullptr) {
            continue;  // closed or replaced earlier in this dispatch
        }
        if (blocking_ > 0 && socket->waitInterest_ == 0) {
            // A blocking call is waiting: hold this notification back, and stop
            // watching the socket so the wait does not spin on it.
            deferred_.push_back(event);
            socket->deferred_ = true;
            socket->UpdateInterest();
            continue;
        }
        socket->HandleReady(event.events);
        ++ran;
    }
    return ran;
}

AsyncSocket* SocketLoop::Target(std::uint64_t token) const noexcept {
    auto fd = static_cast<std::size_t>(token & 0xffffffffu);
    auto generation = static_cast<std::uint32_t>(token >> 32);
    if (fd >= byFd_.size() || byFd_[fd].generation != generation) {
        return nullptr;
    }
    return byFd_[fd].socket;
}

std::size_t SocketLoop::DeliverDeferred() {
    std::vector<detail::ReadyEvent> batch;
    batch.swap(deferred_);
    std::size_t next = 0;
    try {
        while (next < batch.size()) {
            const detail::ReadyEvent& event = batch[next++];
            if (AsyncSocket* socket = Target(event.token); socket != nullptr) {
                socket->deferred_ = false;
                socket->HandleReady(event.events);
            }
        }
    } catch (...) {
        deferred_.insert(deferred_.begin(), batch.begin() + static_cast<std::ptrdiff_t>(next),
                         batch.end());
        throw;
    }
    return batch.size();
}

std::size_t SocketLoop::RunTasks() {
    if (!hasTasks_.load()) {
        return 0;
    }
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard<std::mutex> lock(tasksMutex_);
        batch.swap(tasks_);
        hasTasks_.store(false);
    }
    std::size_t next = 0;
    try {
        while (next < batch.size()) {
            batch[next++]();
        }
    } catch (...) {
        // The tasks behind the one that threw keep their place at the front.
        std::lock_guard<std::mutex> lock(tasksMutex_);
        tasks_.insert(tasks_.begin(), std::make_move_iterator(batch.begin() + next),
                      std::make_move_iterator(batch.end()));
        hasTasks_.store(!tasks_.empty());
        throw;
    }
    return batch.size();
}

void SocketLoop::Post(std::function<void()> task) {
    {
        std::lock_guard<std::mutex> lock(tasksMutex_);
        tasks_.push_back(std::move(task));
        hasTasks_.store(true);
    }
    // On its own thread the loop sees hasTasks_ before it next waits, unless a
    // host loop is watching NativeHandle() and needs the descriptor to fire.
    if (t_current != this || timerFd_ >= 0) {
        Wake();
    }
}

void SocketLoop::Wake() {
    if (wakePending_.exchange(true)) {
        return;
    }
    std::uint64_t one = 1;
    ssize_t written;
    do {
#ifdef __linux__
        written = ::write(wakeWriteFd_, &one, sizeof one);
#else
        written = ::write(wakeWriteFd_, &one, 1);
#endif
    } while (written < 0 && errno == EINTR);
}

void SocketLoop::Drain(int fd) {
    std::uint64_t buffer[8];
    while (::read(fd, buffer, sizeof buffer) > 0 || errno == EINTR) {
    }
}

TimerId SocketLoop::SetTimer(std::chrono::milliseconds interval, std::function<void()> callback,
                             bool repeat) {
    if (t_current != this) {
        detail::SetLastError(EPERM);
        return 0;
    }
    TimerId id = timers_->Add(interval, std::move(callback), repeat);
    ArmTimerHandle();
    return id;
}

bool SocketLoop::KillTimer(TimerId id) {
    if (t_current != this) {
        detail::SetLastError(EPERM);
        return false;
    }
    bool removed = timers_->Remove(id);
    ArmTimerHandle();
    return removed;
}

int SocketLoop::NativeHandle() {
    CheckOwner("NativeHandle");
    int handle = poller_->NativeHandle();
#ifdef __linux__
    if (handle >= 0 && timerFd_ < 0) {
        timerFd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (timerFd_ < 0) {
            Fail("timerfd_create");
        }
        if (!poller_->Update(timerFd_, kTimerToken, 0, detail::kReadable)) {
            Fail("SocketLoop: cannot watch its timer descriptor");
        }
        ArmTimerHandle();
    }
#endif
    return handle;
}

void SocketLoop::ArmTimerHandle() {
#ifdef __linux__
    if (timerFd_ < 0) {
        return;
    }
    itimerspec spec{};
    if (auto next = timers_->NextDeadline()) {
        // steady_clock is CLOCK_MONOTONIC on Linux; a zero value would disarm.
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next->time_since_epoch());
        long long count = std::max<long long>(ns.count(), 1);
        spec.it_value.tv_sec = static_cast<time_t>(count / 1000000000);
        spec.it_value.tv_nsec = static_cast<long>(count % 1000000000);
    }
    ::timerfd_settime(timerFd_, TFD_TIMER_ABSTIME, &spec, nullptr);
#endif
}

bool SocketLoop::CanWatch(int fd) const {
    return poller_->CanWatch(fd);
}

void SocketLoop::Adopt(AsyncSocket* socket, int fd) {
    auto index = static_cast<std::size_t>(fd);
    if (index >= byFd_.size()) {
        byFd_.resize(std::max(index + 1, byFd_.size() * 2));
    }
    if (++generation_ == 0xffffffffu) {
        generation_ = 1;  // all ones is reserved for the loop's own tokens
    }
    byFd_[index] = {socket, generation_};
    ++socketCount_;
}

void SocketLoop::Forget(int fd, unsigned interest) {
    auto index = static_cast<std::size_t>(fd);
    if (interest != 0) {
        poller_->Update(fd, SocketToken(fd, byFd_[index].generation), interest, 0);
    }
    byFd_[index] = {};
    --socketCount_;
}

bool SocketLoop::Watch(int fd, unsigned oldInterest, unsigned newInterest) {
    auto index = static_cast<std::size_t>(fd);
    return poller_->Update(fd, SocketToken(fd, byFd_[index].generation), oldInterest, newInterest);
}

AsyncSocket* SocketLoop::Lookup(int fd) const noexcept {
    auto index = static_cast<std::size_t>(fd);
    return fd >= 0 && index < byFd_.size() ? byFd_[index].socket : nullptr;
}

}  // namespace xsock
