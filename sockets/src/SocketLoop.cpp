#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>

#include "Backends.h"
#include "HeldBack.h"
#include "LastError.h"
#include "Timers.h"
#include "Wakeup.h"
#include "poller/Poller.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
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

}  // namespace

SocketLoop::SocketLoop() : SocketLoop(Options{}) {}

SocketLoop::SocketLoop(Options options)
    : backend_(options.backend ? *options.backend : DefaultBackend()),
      poller_(detail::MakePoller(backend_)),
      reportsHangup_(poller_->ReportsHangup()),
      peeksStreams_(poller_->PeeksStreams()),
      receivesStreams_(poller_->ReceivesStreams()),
      sendsStreams_(poller_->SendsStreams()),
      wakeup_(std::make_unique<detail::Wakeup>()),
      timers_(std::make_unique<detail::TimerQueue>()),
      heldBack_(std::make_unique<detail::HeldBack>()),
      pumpWhileBlocking_(options.pumpWhileBlocking) {
    if (t_current != nullptr) {
        throw std::logic_error("SocketLoop: this thread already has a loop");
    }
    if (!poller_->Update(wakeup_->Handle(), kWakeToken, 0, detail::kReadable)) {
        throw std::system_error(errno, std::generic_category(),
                                "SocketLoop: cannot watch its wake-up descriptor");
    }
    t_current = this;
}

SocketLoop::~SocketLoop() {
    if (t_current != this) {
        std::fprintf(stderr,
                     "xsock: a SocketLoop was destroyed by a thread that does not own it\n");
        std::abort();
    }
    // Waits for a Quit or Post that another thread is finishing (see Quit).
    { std::lock_guard<std::mutex> lock(tasksMutex_); }
    for (Slot& slot : byFd_) {
        if (slot.socket != nullptr) {
            slot.socket->OnLoopDestroyed();
        }
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

// Another thread's Quit and Post store and wake under tasksMutex_, which the
// destructor takes first: a loop whose thread destroys it as soon as Run returns
// cannot be destroyed while the call that ended Run still touches it.
void SocketLoop::Quit() {
    std::lock_guard<std::mutex> lock(tasksMutex_);
    quit_.store(true);
    if (t_current != this) {
        wakeup_->Wake();
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
    // Work that a blocking call holds back must not cut its wait short either,
    // or the wait would spin until the call returns.
    const bool holding = HoldingBack();
    if ((!holding && hasTasks_.load()) || (blocking_ == 0 && running_ > 0 && quit_.load()) ||
        (blocking_ == 0 && !heldBack_->Empty()) || !marked_.empty()) {
        return 0;
    }
    long long limit = requested.count() < 0 ? -1 : requested.count();
    if (auto next = holding ? std::nullopt : timers_->NextDeadline()) {
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
    ready.insert(ready.end(), marked_.begin(), marked_.end());
    marked_.clear();

    struct Nesting {
        std::size_t& depth;
        explicit Nesting(std::size_t& d) : depth(d) { ++depth; }
        ~Nesting() { --depth; }
    } nesting(depth_);
    // A host loop sleeps on NativeHandle() once this returns: the backend
    // must be watching what this iteration asked for by then.
    // What the iteration sent goes to the kernel before it returns.
    struct Flush {
        SocketLoop& loop;
        ~Flush() {
            loop.FlushSends();
            if (loop.watched_) {
                loop.poller_->Flush();
            }
        }
    } flush{*this};

    std::size_t ran = blocking_ == 0 && !heldBack_->Empty() ? DeliverHeldBack() : 0;
    ran += Dispatch(ready);
    ready.clear();
    if (HoldingBack()) {
        return ran;  // timers and tasks wait until the blocking call returns
    }
    if (!timers_->Empty()) {  // no clock read and no timerfd update without timers
        ran += timers_->RunDue(detail::TimerQueue::Clock::now(), exceptionHandler_);
    }
    ran += RunTasks();
    return ran;
}

template <typename Call>
void SocketLoop::Guarded(Call&& call) {
    if (!exceptionHandler_) {
        call();
        return;
    }
    try {
        call();
    } catch (...) {
        exceptionHandler_(std::current_exception());
    }
}

void SocketLoop::SetExceptionHandler(ExceptionHandler handler) {
    CheckOwner("SetExceptionHandler");
    exceptionHandler_ = std::move(handler);
}

void SocketLoop::SetBlockingPump(std::function<void()> pump) {
    CheckOwner("SetBlockingPump");
    blockingPump_ = std::move(pump);
}

// Work held back during the call may be waiting: a host loop that sleeps on
// NativeHandle() is told, since the descriptors that announced it were drained
// while the call waited.
void SocketLoop::AfterBlocking() noexcept {
    if (watched_) {
        wakeup_->Wake();
    }
}

std::size_t SocketLoop::Dispatch(const std::vector<detail::ReadyEvent>& ready) {
    std::size_t ran = 0;
    for (const detail::ReadyEvent& event : ready) {
        if (event.token == kWakeToken) {
            wakeup_->Drain();
            continue;
        }
        if (event.token == kTimerToken) {
            timers_->DrainHandle();
            continue;
        }
        AsyncSocket* socket = Target(event.token);
        if (socket == nullptr) {
            continue;  // closed or replaced earlier in this dispatch
        }
        if (blocking_ > 0 && !socket->IsWaitingInBlockingCall()) {
            HoldBack(*socket, event);
            continue;
        }
        Guarded([socket, &event] { socket->HandleReady(event.events, event.error); });
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

// A blocking call is waiting: hold this notification back, and stop watching
// the socket so the wait does not spin on it.
void SocketLoop::HoldBack(AsyncSocket& socket, const detail::ReadyEvent& event) {
    heldBack_->Hold(event);
    socket.SetHeldBack(true);
}

std::size_t SocketLoop::DeliverHeldBack() {
    return heldBack_->DeliverAll([this](const detail::ReadyEvent& event) {
        if (AsyncSocket* socket = Target(event.token); socket != nullptr) {
            socket->SetHeldBack(false);
            Guarded([socket, &event] { socket->HandleReady(event.events, event.error); });
        }
    });
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
            Guarded(batch[next++]);
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
    std::lock_guard<std::mutex> lock(tasksMutex_);
    tasks_.push_back(std::move(task));
    hasTasks_.store(true);
    // On its own thread the loop sees hasTasks_ before it next waits, unless a
    // host loop is watching NativeHandle() and needs the descriptor to fire.
    if (t_current != this || watched_) {
        wakeup_->Wake();
    }
}

int SocketLoop::NativeHandle() {
    CheckOwner("NativeHandle");
    int handle = poller_->NativeHandle();
    if (handle >= 0 && !watched_) {
        // The host sleeps in its own wait, not in ours: due timers must make
        // the handle readable too.
        int timerHandle = timers_->EnableHandle();
        if (timerHandle >= 0 && !poller_->Update(timerHandle, kTimerToken, 0, detail::kReadable)) {
            throw std::system_error(errno, std::generic_category(),
                                    "SocketLoop: cannot watch its timer descriptor");
        }
        watched_ = true;
    }
    return handle;
}

bool SocketLoop::CanWatch(int fd) const {
    return poller_->CanWatch(fd);
}

void SocketLoop::Register(AsyncSocket* socket, int fd) {
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

void SocketLoop::Unregister(int fd, unsigned interest) {
    auto index = static_cast<std::size_t>(fd);
    std::uint64_t token = detail::SocketToken(fd, byFd_[index].generation);
    if (interest != 0) {
        poller_->Update(fd, token, interest, 0);
    }
    if (MayHold()) {
        static_cast<void>(TakeHeld(fd));  // never read: gone with the socket
    }
    byFd_[index] = {};
    --socketCount_;
}

bool SocketLoop::Watch(int fd, unsigned oldInterest, unsigned newInterest) {
    auto index = static_cast<std::size_t>(fd);
    return poller_->Update(fd, detail::SocketToken(fd, byFd_[index].generation), oldInterest,
                           newInterest);
}

void SocketLoop::Consumed(int fd) noexcept {
    if (peeksStreams_) {
        poller_->Consumed(detail::SocketToken(fd, byFd_[static_cast<std::size_t>(fd)].generation));
    }
}

void SocketLoop::MarkReadable(int fd) {
    marked_.push_back({detail::SocketToken(fd, byFd_[static_cast<std::size_t>(fd)].generation),
                       detail::kReadable});
    if (watched_) {
        wakeup_->Wake();  // a host loop sleeping on NativeHandle() must call in
    }
}

AsyncSocket* SocketLoop::Lookup(int fd) const noexcept {
    auto index = static_cast<std::size_t>(fd);
    return fd >= 0 && index < byFd_.size() ? byFd_[index].socket : nullptr;
}

}  // namespace xsock
