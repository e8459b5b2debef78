#include <xsock/Descriptor.h>
#include <xsock/LoopThreads.h>

#include "LastError.h"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <utility>

namespace xsock {

LoopThreads::LoopThreads(unsigned count, SocketLoop::Options options) {
    count = count == 0 ? 1 : count;
    loops_.assign(count, nullptr);
    std::mutex startMutex;
    std::condition_variable started;
    unsigned ready = 0;
    std::exception_ptr startFailure;
    threads_.reserve(count);
    for (unsigned index = 0; index < count; ++index) {
        threads_.emplace_back([&, index] {
            SocketLoop* loop = nullptr;
            std::exception_ptr failure;
            try {
                // The thread's implicit loop: created before, and so destroyed
                // after, every thread_local the thread's sockets live in.
                loop = &SocketLoop::ForThisThread(options);
            } catch (...) {
                failure = std::current_exception();
            }
            {
                std::lock_guard lock(startMutex);
                loops_[index] = loop;
                if (failure && !startFailure) {
                    startFailure = failure;
                }
                ++ready;
                // Under the lock: the constructor's locals die once it sees ready.
                started.notify_all();
            }
            if (loop != nullptr) {
                RunThread();
            }
        });
    }
    std::unique_lock lock(startMutex);
    started.wait(lock, [&] { return ready == count; });
    if (startFailure) {
        lock.unlock();
        {
            std::unique_lock quitting(postMutex_);
            stopped_ = true;
            QuitAll();
        }
        Join();
        std::rethrow_exception(startFailure);
    }
}

LoopThreads::~LoopThreads() {
    try {
        Stop();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nobody asked for the failure
    }
}

void LoopThreads::RunThread() {
    SocketLoop& loop = *SocketLoop::Current();
    // RunOnce rather than Run: Stop's flag, not the loop's Quit, ends the
    // thread, so nothing queued runs once Stop has begun. Quit only wakes it.
    while (!stopping_.load(std::memory_order_acquire)) {
        try {
            loop.RunOnce();
        } catch (...) {
            std::lock_guard lock(failureMutex_);
            if (!failure_) {
                failure_ = std::current_exception();
            }
        }
    }
    // Stop quits every loop while holding this lock: wait for it to finish
    // before this thread's loop can be destroyed.
    std::shared_lock lock(postMutex_);
}

unsigned LoopThreads::Post(std::function<void()> task) {
    std::shared_lock lock(postMutex_);
    unsigned index = next_.fetch_add(1, std::memory_order_relaxed) % Size();
    if (!stopped_) {
        loops_[index]->Post(std::move(task));
    }
    return index;
}

bool LoopThreads::HandOver(AsyncSocket& accepted, std::function<void(SOCKET handle)> adopt) {
    std::shared_lock lock(postMutex_);
    if (stopped_) {
        detail::SetLastError(ESHUTDOWN);
        return false;
    }
    // A filter (TLS) travels with the descriptor and goes back onto the
    // object the callback attaches it to; one still in its handshake cannot.
    auto filter = std::make_shared<std::unique_ptr<StreamFilter>>();
    if (accepted.Filter() != nullptr) {
        *filter = accepted.TakeFilter();
        if (!*filter) {
            return false;
        }
    }
    SOCKET handle = accepted.Detach();
    if (handle == INVALID_SOCKET) {
        if (AsyncSocket::GetLastError() != EPERM) {
            detail::SetLastError(ENOTCONN);
        }
        return false;
    }
    auto pending = std::make_shared<Descriptor>(handle);
    unsigned index = next_.fetch_add(1, std::memory_order_relaxed) % Size();
    loops_[index]->Post([pending, filter, adopt = std::move(adopt)] {
        SOCKET fd = pending->Release();
        adopt(fd);
        if (AsyncSocket* adopted = AsyncSocket::FromHandle(fd); adopted != nullptr && *filter) {
            adopted->SetFilter(std::move(*filter));
        }
    });
    return true;
}

void LoopThreads::QuitAll() {
    stopping_.store(true, std::memory_order_release);
    for (SocketLoop* loop : loops_) {
        if (loop != nullptr) {
            loop->Quit();
        }
    }
}

void LoopThreads::Join() {
    for (std::thread& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
}

void LoopThreads::Stop() {
    bool first = false;
    {
        std::unique_lock lock(postMutex_);
        first = !std::exchange(stopped_, true);
        if (first) {
            QuitAll();
        }
    }
    if (first) {
        Join();
    }
    std::lock_guard lock(failureMutex_);
    if (failure_) {
        std::rethrow_exception(std::exchange(failure_, nullptr));
    }
}

}  // namespace xsock
