// SocketLoop::SetTimer with the callback last, for one-shot and repeating
// timers, and a way to run the loop until a given time has passed.
#pragma once

#include "TestSupport.h"

#include <chrono>
#include <functional>
#include <utility>

namespace xsock::test {

inline TimerId After(SocketLoop& loop, std::chrono::milliseconds interval,
                     std::function<void()> callback) {
    return loop.SetTimer(interval, std::move(callback), false);
}

inline TimerId Every(SocketLoop& loop, std::chrono::milliseconds interval,
                     std::function<void()> callback) {
    return loop.SetTimer(interval, std::move(callback), true);
}

// Runs the loop until a one-shot timer set `interval` from now has fired. As
// timers fire in deadline order, every timer due before it has had its turn.
inline void RunPast(SocketLoop& loop, std::chrono::milliseconds interval) {
    bool reached = false;
    BOOST_REQUIRE(After(loop, interval, [&] { reached = true; }) != 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return reached; }));
}

}  // namespace xsock::test
