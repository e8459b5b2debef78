// The timers of one SocketLoop: an ordered queue of deadlines plus the
// callbacks by id, so KillTimer is cheap and safe inside any callback. Once a
// host loop asks for it, a timer descriptor (timerfd) follows the earliest
// deadline, so a loop watched from outside wakes its host when a timer is due.
#pragma once

#include <xsock/Descriptor.h>
#include <xsock/SocketLoop.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace xsock::detail {

class TimerQueue {
  public:
    using Clock = std::chrono::steady_clock;

    TimerId Add(std::chrono::milliseconds interval, std::function<void()> callback, bool repeat);
    bool Remove(TimerId id);

    bool Empty() const noexcept { return queue_.empty(); }
    // The earliest deadline, if any timer is set.
    std::optional<Clock::time_point> NextDeadline() const;

    // Runs every timer due at `now` once. A repeating timer is rescheduled
    // before its callback runs, so an exception or a KillTimer inside it
    // leaves the queue consistent. An exception goes to `onException` if it
    // is set, and the batch goes on; otherwise it leaves RunDue. Returns how
    // many ran.
    std::size_t RunDue(Clock::time_point now,
                       const std::function<void(std::exception_ptr)>& onException);

    // The timer descriptor, made on first call and armed to the earliest
    // deadline from then on; -1 where the platform has none. Throws
    // std::system_error if it cannot be made.
    int EnableHandle();
    // Empties the timer descriptor after it polled readable.
    void DrainHandle() noexcept;

  private:
    void ArmHandle() noexcept;

    struct Timer {
        std::shared_ptr<std::function<void()>> callback;
        Clock::duration interval;
        Clock::time_point due;
        bool repeat;
    };

    std::set<std::pair<Clock::time_point, TimerId>> queue_;
    std::unordered_map<TimerId, Timer> timers_;
    TimerId nextId_ = 1;
    Descriptor handle_;
};

}  // namespace xsock::detail
