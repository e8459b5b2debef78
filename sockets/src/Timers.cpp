#include "Timers.h"

#include "LastError.h"
#include "Wakeup.h"

#include <xsock/SocketLoop.h>

#ifdef __linux__
#include <sys/timerfd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

namespace xsock::detail {

TimerId TimerQueue::Add(std::chrono::milliseconds interval, std::function<void()> callback,
                        bool repeat) {
    if (interval.count() < 0) {
        interval = std::chrono::milliseconds(0);
    }
    TimerId id = nextId_++;
    Clock::time_point due = Clock::now() + interval;
    timers_.emplace(id, Timer{std::make_shared<std::function<void()>>(std::move(callback)),
                              interval, due, repeat});
    queue_.emplace(due, id);
    ArmHandle();
    return id;
}

bool TimerQueue::Remove(TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) {
        return false;
    }
    queue_.erase({it->second.due, id});
    timers_.erase(it);
    ArmHandle();
    return true;
}

std::optional<TimerQueue::Clock::time_point> TimerQueue::NextDeadline() const {
    if (queue_.empty()) {
        return std::nullopt;
    }
    return queue_.begin()->first;
}

std::size_t TimerQueue::RunDue(Clock::time_point now,
                               const std::function<void(std::exception_ptr)>& onException) {
    // Take the due ids first: a zero-interval repeating timer rescheduled
    // below is due again at once and must wait for the next iteration.
    std::vector<TimerId> due;
    for (auto it = queue_.begin(); it != queue_.end() && it->first <= now; ++it) {
        due.push_back(it->second);
    }
    // However the batch ends (an exception included), the descriptor follows
    // the new earliest deadline.
    struct Rearm {
        TimerQueue& queue;
        ~Rearm() { queue.ArmHandle(); }
    } rearm{*this};
    std::size_t ran = 0;
    for (TimerId id : due) {
        auto it = timers_.find(id);
        if (it == timers_.end()) {
            continue;  // killed by an earlier callback of this batch
        }
        Timer& timer = it->second;
        std::shared_ptr<std::function<void()>> callback = timer.callback;
        queue_.erase({timer.due, id});
        if (timer.repeat) {
            // A late timer skips the ticks it missed rather than firing in a burst.
            timer.due += timer.interval;
            if (timer.due <= now) {
                timer.due = now + timer.interval;
            }
            queue_.emplace(timer.due, id);
        } else {
            timers_.erase(it);
        }
        ++ran;
        if (!onException) {
            (*callback)();
            continue;
        }
        try {
            (*callback)();
        } catch (...) {
            onException(std::current_exception());
        }
    }
    return ran;
}

int TimerQueue::EnableHandle() {
#ifdef __linux__
    if (!handle_) {
        handle_.Reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
        if (!handle_) {
            throw std::system_error(errno, std::generic_category(), "timerfd_create");
        }
        ArmHandle();
    }
#endif
    return handle_.Get();
}

void TimerQueue::DrainHandle() noexcept {
    if (handle_) {
        DrainDescriptor(handle_.Get());
    }
}

void TimerQueue::ArmHandle() noexcept {
#ifdef __linux__
    if (!handle_) {
        return;
    }
    itimerspec spec{};
    if (auto next = NextDeadline()) {
        // steady_clock is CLOCK_MONOTONIC on Linux; a zero value would disarm.
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next->time_since_epoch());
        long long count = std::max<long long>(ns.count(), 1);
        spec.it_value.tv_sec = static_cast<time_t>(count / 1000000000);
        spec.it_value.tv_nsec = static_cast<long>(count % 1000000000);
    }
    ::timerfd_settime(handle_.Get(), TFD_TIMER_ABSTIME, &spec, nullptr);
#endif
}

}  // namespace xsock::detail

namespace xsock {

TimerId SocketLoop::SetTimer(std::chrono::milliseconds interval, std::function<void()> callback,
                             bool repeat) {
    if (Current() != this) {
        detail::SetLastError(EPERM);
        return 0;
    }
    return timers_->Add(interval, std::move(callback), repeat);
}

bool SocketLoop::KillTimer(TimerId id) {
    if (Current() != this) {
        detail::SetLastError(EPERM);
        return false;
    }
    return timers_->Remove(id);
}

}  // namespace xsock
