#include "Timers.h"

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
    return id;
}

bool TimerQueue::Remove(TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) {
        return false;
    }
    queue_.erase({it->second.due, id});
    timers_.erase(it);
    return true;
}

std::optional<TimerQueue::Clock::time_point> TimerQueue::NextDeadline() const {
    if (queue_.empty()) {
        return std::nullopt;
    }
    return queue_.begin()->first;
}

std::size_t TimerQueue::RunDue(Clock::time_point now) {
    // Take the due ids first: a zero-interval repeating timer rescheduled
    // below is due again at once and must wait for the next iteration.
    std::vector<TimerId> due;
    for (auto it = queue_.begin(); it != queue_.end() && it->first <= now; ++it) {
        due.push_back(it->second);
    }
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
        (*callback)();
    }
    return ran;
}

}  // namespace xsock::detail
