// SocketLoop: the per-thread event loop that delivers socket notifications.
//
// MFC gives every thread that uses sockets a hidden window whose message queue
// carries the WSAAsyncSelect notifications. SocketLoop is that window: one per
// thread, created the first time the thread creates or attaches a socket (or
// explicitly, to choose a backend). Timers and posted tasks play the part of
// window messages. Each loop waits with one backend, chosen at run time:
// select, poll or epoll (the Linux default). XSOCK_BACKEND=select|poll|epoll
// sets the default for loops created without explicit Options.
//
// One iteration (RunOnce) runs these phases, in this order:
//   1. Wait for I/O: at most the caller's timeout, less if a timer falls due
//      sooner, not at all if a posted task or a due timer is waiting.
//   2. Socket notifications, for every ready socket in the order the backend
//      reported them. A socket closed or destroyed during this phase gets no
//      further notification, even if it was reported ready.
//   3. Timers that are due, each at most once per iteration.
//   4. Posted tasks queued before this phase began; tasks posted while it runs
//      wait for the next iteration.
// While a blocking Socket call waits, it runs iterations itself (timers and
// tasks go on); notifications for other sockets are held back and delivered,
// in the order they came, at phase 2 of the first iteration after it returns.
//
// Thread safety: Post() and Quit() may be called from any thread while the loop
// exists. Everything else belongs to the loop's own thread: Run, RunOnce,
// RunUntil and NativeHandle throw std::logic_error elsewhere; SetTimer returns
// 0 and KillTimer false, with AsyncSocket::GetLastError() == EPERM.
//
// Exceptions: an exception thrown by a notification, timer or task leaves the
// loop through Run/RunOnce/RunUntil. The loop stays consistent: notifications
// and tasks that had not run yet are delivered by the next call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <xsock/SocketsExport.h>

namespace xsock {

class AsyncSocket;

namespace detail {
class Poller;
class TimerQueue;
struct ReadyEvent;
}  // namespace detail

using TimerId = std::uint64_t;

class XSOCK_SOCKETS_EXPORT SocketLoop {
  public:
    enum class Backend { Select, Poll, Epoll };

    struct Options {
        // Empty: XSOCK_BACKEND if set, otherwise the platform default.
        std::optional<Backend> backend;
    };

    // Makes this loop the calling thread's loop. Throws std::logic_error if the
    // thread has one already, std::system_error if the backend cannot start.
    explicit SocketLoop(Options options = {});
    // Must run on the loop's thread. Sockets still attached lose their loop:
    // they keep their descriptor but get no further notifications.
    ~SocketLoop();

    SocketLoop(const SocketLoop&) = delete;
    SocketLoop& operator=(const SocketLoop&) = delete;

    // The calling thread's loop, created with default Options on first use and
    // destroyed when the thread exits.
    static SocketLoop& ForThisThread();
    // The same, creating the loop with `options` if the thread has none yet
    // (an existing loop is returned as it is).
    static SocketLoop& ForThisThread(Options options);
    // The calling thread's loop, or nullptr if it has none yet.
    static SocketLoop* Current() noexcept;
    // The backend a loop created without an explicit choice uses.
    static Backend DefaultBackend();
    static const char* BackendName(Backend backend) noexcept;

    Backend GetBackend() const noexcept { return backend_; }
    bool IsInLoopThread() const noexcept;

    // Runs iterations until Quit(). A Quit() that came before Run() makes it
    // return after one iteration; RunOnce and RunUntil do not look at Quit().
    void Run();
    // Thread-safe: makes Run() return after the current iteration.
    void Quit();
    // One iteration; a negative timeout waits until something happens. Returns
    // how many notifications, timers and tasks ran.
    std::size_t RunOnce(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));
    // Runs iterations until `done()` holds (checked before the first one and
    // after each) or `timeout` has passed; returns the last value of done().
    bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

    // Thread-safe: runs `task` on the loop's thread in phase 4, waking the loop.
    void Post(std::function<void()> task);

    // Calls `callback` after `interval`, again every `interval` if `repeat`.
    // Returns an id that is never 0.
    TimerId SetTimer(std::chrono::milliseconds interval, std::function<void()> callback,
                     bool repeat);
    // Stops a timer; safe inside its own callback. False if it was not running.
    bool KillTimer(TimerId id);

    // A descriptor that polls readable whenever this loop has work (ready
    // sockets, posted tasks, due timers), for a host loop (GLib, Qt) to watch;
    // the host then calls RunOnce(0ms). Only the epoll backend has one: select
    // and poll return -1.
    int NativeHandle();

    // How many sockets this loop is watching or holding.
    std::size_t SocketCount() const noexcept { return socketCount_; }

  private:
    friend class AsyncSocket;
    friend class Socket;

    // For AsyncSocket: registration and interest. A socket is known by its
    // descriptor plus a generation number, so readiness reported for a socket
    // that was closed (and its descriptor reused) during dispatch is dropped.
    bool CanWatch(int fd) const;
    void Adopt(AsyncSocket* socket, int fd);
    void Forget(int fd, unsigned interest);
    bool Watch(int fd, unsigned oldInterest, unsigned newInterest);
    AsyncSocket* Lookup(int fd) const noexcept;

    struct Slot {
        AsyncSocket* socket = nullptr;
        std::uint32_t generation = 0;
    };

    void CheckOwner(const char* what) const;
    int WaitTimeout(std::chrono::milliseconds requested);
    std::size_t Dispatch(const std::vector<detail::ReadyEvent>& ready);
    std::size_t DeliverDeferred();
    AsyncSocket* Target(std::uint64_t token) const noexcept;
    std::size_t RunTasks();
    void Wake();
    void Drain(int fd);
    void ArmTimerHandle();

    Backend backend_;
    std::unique_ptr<detail::Poller> poller_;
    bool reportsHangup_;  // the backend tells hang-ups apart from data
    std::unique_ptr<detail::TimerQueue> timers_;
    // One ready list per nesting level: a blocking call made inside a
    // notification runs the loop again while the outer list is being walked.
    std::deque<std::vector<detail::ReadyEvent>> readyLists_;
    std::size_t depth_ = 0;
    int blocking_ = 0;  // how many blocking Socket calls are waiting on this thread
    int running_ = 0;   // how many Run() calls are active (Run may nest)
    std::vector<detail::ReadyEvent> deferred_;
    std::vector<Slot> byFd_;
    std::uint32_t generation_ = 0;
    std::size_t socketCount_ = 0;
    int wakeFd_ = -1;       // eventfd (or the read end of a pipe)
    int wakeWriteFd_ = -1;  // the same eventfd (or the write end of the pipe)
    int timerFd_ = -1;      // only once NativeHandle() was asked for
    std::atomic<bool> wakePending_{false};
    std::atomic<bool> quit_{false};
    std::mutex tasksMutex_;
    std::vector<std::function<void()>> tasks_;
    std::atomic<bool> hasTasks_{false};
};

}  // namespace xsock
