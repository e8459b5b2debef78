// Measuring a rate from a counter that another thread advances: wait until the
// traffic has started and warmed up, then count what arrives in a fixed window.
#pragma once

#include "BenchUtil.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace bench {

// Bytes per second added to `counter` over `seconds`, after a warm-up that
// begins once the counter first moves (at most 30 s for set-up).
inline double MeasureRate(const std::atomic<std::uint64_t>& counter, double seconds) {
    const double setupDeadline = WallSeconds() + 30;
    while (counter.load(std::memory_order_relaxed) == 0) {
        if (WallSeconds() > setupDeadline) {
            std::fprintf(stderr, "bench: no traffic after 30 s\n");
            std::exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.2, seconds / 4)));
    const std::uint64_t before = counter.load(std::memory_order_relaxed);
    const double start = WallSeconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const std::uint64_t after = counter.load(std::memory_order_relaxed);
    return static_cast<double>(after - before) / (WallSeconds() - start);
}

}  // namespace bench
