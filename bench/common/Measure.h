// Measuring a rate from a counter that another thread advances: wait until the
// traffic has started and warmed up, then count what arrives in a fixed window,
// and what the other threads spent in it (ThreadCounters.h).
#pragma once

#include "BenchUtil.h"
#include "ThreadCounters.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace bench {

struct Window {
    double rate = 0;       // per second
    double syscalls = -1;  // per second, all other threads; -1 if not counted
    double clientCpu = 0;  // CPU seconds per second of the client threads
};

// Bytes per second added to `counter` over `seconds`, after a warm-up that
// begins once the counter first moves (at most 30 s for set-up).
inline Window MeasureWindow(const std::atomic<std::uint64_t>& counter, double seconds) {
    const double setupDeadline = WallSeconds() + 30;
    while (counter.load(std::memory_order_relaxed) == 0) {
        if (WallSeconds() > setupDeadline) {
            std::fprintf(stderr, "bench: no traffic after 30 s\n");
            std::exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.2, seconds / 4)));
    ThreadCounters threads;
    threads.Start();
    const std::uint64_t before = counter.load(std::memory_order_relaxed);
    const double start = WallSeconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const std::uint64_t after = counter.load(std::memory_order_relaxed);
    const double wall = WallSeconds() - start;
    threads.Stop();
    return {static_cast<double>(after - before) / wall,
            threads.Syscalls() < 0 ? -1 : threads.Syscalls() / wall, threads.ClientCpu() / wall};
}

inline double MeasureRate(const std::atomic<std::uint64_t>& counter, double seconds) {
    return MeasureWindow(counter, seconds).rate;
}

}  // namespace bench
