// A watchdog for tests that block in SocketLoop::RunOnce() with no timeout.
// Such a loop only returns when something wakes it, so a lost wake-up would
// hang the test. If the test has not stopped the watchdog by kDeadline, it
// interrupts the constructing thread's wait with SIGUSR1 (again every 10 ms
// until stopped) and Fired() turns true, so the test fails instead.
//
// It starts a thread of its own: a suite that uses it is labelled "threads".
#pragma once

#include "TestSupport.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace xsock::test {

class Watchdog {
  public:
    Watchdog() : target_(::pthread_self()) {
        struct sigaction action {};
        action.sa_handler = [](int) {};
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART: the backend's wait returns EINTR
        ::sigaction(SIGUSR1, &action, &previous_);
        thread_ = std::thread([this] { Watch(); });
    }
    ~Watchdog() {
        Stop();
        ::sigaction(SIGUSR1, &previous_, nullptr);
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    bool Fired() const noexcept { return fired_.load(); }

    void Stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopped_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

  private:
    void Watch() {
        std::unique_lock<std::mutex> lock(mutex_);
        auto stopped = [this] { return stopped_; };
        if (wake_.wait_for(lock, kDeadline, stopped)) {
            return;
        }
        fired_.store(true);
        do {
            ::pthread_kill(target_, SIGUSR1);
        } while (!wake_.wait_for(lock, std::chrono::milliseconds(10), stopped));
    }

    pthread_t target_;
    struct sigaction previous_ {};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopped_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;
};

}  // namespace xsock::test
