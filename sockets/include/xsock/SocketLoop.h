// SocketLoop: the per-thread event loop that delivers socket notifications.
//
// MFC gives every thread that uses sockets a hidden window whose message queue
// carries the WSAAsyncSelect notifications. SocketLoop is that window: one per
// thread, created the first time the thread creates or attaches a socket (or
// explicitly, to choose a backend). Timers and posted tasks play the part of
// window messages. Each loop waits with one backend, chosen at run time:
// select, poll, epoll (the Linux default) or uring (io_uring, Linux, where the
// library was built with liburing and the kernel allows it; never chosen
// unless asked for). XSOCK_BACKEND=select|poll|epoll|uring sets the default
// for loops created without explicit Options; a value naming none of them is
// reported on stderr, with the valid names, and the platform default is used.
//
// One iteration (RunOnce) runs these phases, in this order:
//   1. Wait for I/O: at most the caller's timeout, less if a timer falls due
//      sooner. The wait is skipped (a zero timeout) when there is already work:
//        - a posted task is queued, or a timer is due (unless a blocking call
//          holds them back, below);
//        - Quit() was called while Run() is active and no blocking call waits
//          (RunOnce and RunUntil do not look at Quit);
//        - notifications were held back by a blocking call that has returned;
//        - a socket's filter (TLS) holds input it already took off the
//          descriptor, which no wait would report: that socket is then
//          reported readable in phase 2 as if the backend had found it so.
//   2. Notifications held back by a blocking call that has since returned, in
//      the order they came; then every socket the wait found ready, in the
//      order the backend reported them. A socket closed or destroyed during
//      this phase gets no further notification, even if it was reported ready.
//   3. Timers that are due, each at most once per iteration.
//   4. Posted tasks queued before this phase began; tasks posted while it runs
//      wait for the next iteration.
//
// While a blocking Socket call waits, it runs iterations itself, and the loop
// does what MFC's CSocket::PumpMessages does and no more: it waits for that
// socket's progress and the call's deadline. Notifications for other sockets,
// timers and posted tasks are held back: phases 3 and 4 are skipped, and a due
// timer or a queued task does not cut the wait short. They run right after
// the call returns, in phase order (held-back notifications in the order they
// came, then due timers, then tasks in the order they were posted); a host
// loop watching NativeHandle() is woken for them. Options::pumpWhileBlocking
// (or SetPumpWhileBlocking(true)) runs timers and tasks inside the call
// instead, for programs that need heartbeats while they wait; other sockets'
// notifications stay held back either way.
//
// Thread safety: Post() and Quit() may be called from any thread while the loop
// exists. The loop's destructor waits for such a call to finish, so the loop's
// thread may destroy it as soon as the Quit (or a posted task) ends Run.
// Everything else belongs to the loop's own thread: Run, RunOnce, RunUntil,
// NativeHandle and SetExceptionHandler throw std::logic_error elsewhere;
// SetTimer returns 0 and KillTimer false, with AsyncSocket::GetLastError() ==
// EPERM.
//
// Exceptions: with an exception handler set (SetExceptionHandler), an exception
// that escapes a notification, timer or task goes to the handler, and the loop
// carries on with the next one, as MFC's window procedure catches, reports and
// keeps pumping. Without one, it leaves the loop through Run/RunOnce/RunUntil;
// the loop stays consistent, and notifications and tasks that had not run yet
// are delivered by the next call. An exception from the handler itself leaves
// the loop the same way.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <xsock/SocketsExport.h>

namespace xsock {

class AsyncSocket;

namespace detail {
class HeldBack;
class Poller;
class TimerQueue;
class Wakeup;
struct ReadyEvent;
}  // namespace detail

using TimerId = std::uint64_t;

class XSOCK_SOCKETS_EXPORT SocketLoop {
  public:
    enum class Backend { Select, Poll, Epoll, Uring };

    struct Options {
        // Empty: XSOCK_BACKEND if set, otherwise the platform default.
        std::optional<Backend> backend;
        // Beyond MFC: timers and posted tasks run inside blocking calls.
        bool pumpWhileBlocking = false;
    };

    using ExceptionHandler = std::function<void(std::exception_ptr)>;

    // Makes this loop the calling thread's loop. Throws std::logic_error if the
    // thread has one already, std::invalid_argument if the backend does not
    // exist in this build, std::system_error if the backend cannot start (uring
    // where the kernel refuses io_uring: the message says why).
    SocketLoop();
    explicit SocketLoop(Options options);
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
    // the host then calls RunOnce(0ms). The epoll backend returns its epoll
    // descriptor, uring an eventfd registered with its ring (which may also
    // wake the host once for data on a socket whose OnReceive waits for a
    // Receive; RunOnce then runs nothing); select and poll return -1.
    int NativeHandle();

    // What Socket::OnMessagePending (the default) runs while a blocking call
    // waits, at least every Socket::kPumpInterval: a host toolkit's attachment
    // (xsock::qt) repaints windows there, as MFC's pump dispatches WM_PAINT.
    // It must not run this loop. Empty (the default): nothing. Owner thread
    // only (std::logic_error elsewhere).
    void SetBlockingPump(std::function<void()> pump);

    // Beyond MFC: whether timers and posted tasks run inside a blocking Socket
    // call (see above). Takes effect at the next iteration.
    void SetPumpWhileBlocking(bool on) noexcept { pumpWhileBlocking_ = on; }
    bool GetPumpWhileBlocking() const noexcept { return pumpWhileBlocking_; }

    // Where exceptions from notifications, timers and tasks go (see above); an
    // empty handler lets them leave the loop again.
    void SetExceptionHandler(ExceptionHandler handler);

    // How many sockets this loop is watching or holding.
    std::size_t SocketCount() const noexcept { return socketCount_; }

  private:
    friend class AsyncSocket;
    friend class Socket;

    // The calls a socket makes on its loop. A socket is known by its
    // descriptor plus a generation number, so readiness reported for a socket
    // that was closed (and its descriptor reused) during dispatch is dropped.
    bool CanWatch(int fd) const;
    void Register(AsyncSocket* socket, int fd);
    void Unregister(int fd, unsigned interest);
    bool Watch(int fd, unsigned oldInterest, unsigned newInterest);
    AsyncSocket* Lookup(int fd) const noexcept;
    // Reports `fd` readable in the next iteration without waiting: input a
    // socket's filter already took off the descriptor.
    void MarkReadable(int fd);
    // True if the backend tells hang-ups apart from data, so plain readability
    // means data without asking the socket.
    bool ReportsHangup() const noexcept { return reportsHangup_; }
    // A stream socket read data outside its notification: readiness the
    // backend saw for it by peeking, and has not reported yet, is stale.
    void Consumed(int fd) noexcept;
    // Bytes held for a stream socket come before its descriptor's own: those
    // the backend received for it (ReceivesStreams), or those carried over
    // from the loop it was detached from. Received copies up to `length`
    // (taking them unless `peek`) and returns the count, 0 if none are held;
    // `more` is set when the descriptor had more as they were received.
    bool MayHold() const noexcept { return receivesStreams_ || !carried_.empty(); }
    std::size_t Received(int fd, void* buffer, std::size_t length, bool peek, bool& more);
    std::size_t HeldBytes(int fd);
    // The backend's part of that, from any thread (for FIONREAD elsewhere).
    std::size_t HeldBytesAnyThread(int fd);
    void MoreWaiting(int fd) noexcept;
    // Sends of a connected stream that the backend hands to the kernel in
    // one batch at the end of an iteration (io_uring): QueueSend takes bytes
    // (see Poller::QueueSend), SettleSends says what becomes of those still
    // waiting for room as the socket closes, detaches or shuts down sending.
    bool SendsStreams() const noexcept { return sendsStreams_; }
    static constexpr long kSendYourself = -2;
    long QueueSend(int fd, const void* data, std::size_t length);
    enum class Leaving { Close, AbortiveClose, Detach, ShutDown };
    bool SendsWaiting(int fd);
    bool SettleSends(int fd, Leaving how);
    // Stops receiving for `fd` and hands over what is held.
    std::string TakeHeld(int fd);
    void Carry(int fd, std::string bytes);

    // Held by a blocking Socket call while it waits: notifications for other
    // sockets are held back until the last such scope on the thread ends.
    class BlockingScope {
      public:
        explicit BlockingScope(SocketLoop& loop) noexcept : loop_(loop) { ++loop_.blocking_; }
        ~BlockingScope() {
            if (--loop_.blocking_ == 0) {
                loop_.AfterBlocking();
            }
        }
        BlockingScope(const BlockingScope&) = delete;
        BlockingScope& operator=(const BlockingScope&) = delete;

      private:
        SocketLoop& loop_;
    };

    struct Slot {
        AsyncSocket* socket = nullptr;
        std::uint32_t generation = 0;
    };

    struct Carried {
        int fd;
        std::string bytes;
        std::size_t read = 0;
    };

    void CheckOwner(const char* what) const;
    // True while a blocking call holds timers and tasks back.
    bool HoldingBack() const noexcept { return blocking_ > 0 && !pumpWhileBlocking_; }
    void AfterBlocking() noexcept;
    void FlushSends() noexcept;
    // Runs one notification, timer or task, through the exception handler.
    template <typename Call>
    void Guarded(Call&& call);
    int WaitTimeout(std::chrono::milliseconds requested);
    std::size_t Dispatch(const std::vector<detail::ReadyEvent>& ready);
    void HoldBack(AsyncSocket& socket, const detail::ReadyEvent& event);
    std::size_t DeliverHeldBack();
    AsyncSocket* Target(std::uint64_t token) const noexcept;
    std::size_t RunTasks();

    Backend backend_;
    std::unique_ptr<detail::Poller> poller_;
    bool reportsHangup_;
    bool peeksStreams_;
    bool receivesStreams_;
    bool sendsStreams_;
    std::vector<Carried> carried_;
    std::unique_ptr<detail::Wakeup> wakeup_;
    std::unique_ptr<detail::TimerQueue> timers_;
    std::unique_ptr<detail::HeldBack> heldBack_;
    bool watched_ = false;  // a host loop watches NativeHandle()
    bool pumpWhileBlocking_ = false;
    ExceptionHandler exceptionHandler_;
    std::function<void()> blockingPump_;
    // One ready list per nesting level: a blocking call made inside a
    // notification runs the loop again while the outer list is being walked.
    std::deque<std::vector<detail::ReadyEvent>> readyLists_;
    std::size_t depth_ = 0;
    std::vector<detail::ReadyEvent> marked_;  // see MarkReadable
    int blocking_ = 0;  // how many blocking Socket calls are waiting on this thread
    int running_ = 0;   // how many Run() calls are active (Run may nest)
    std::vector<Slot> byFd_;
    std::uint32_t generation_ = 0;
    std::size_t socketCount_ = 0;
    std::atomic<bool> quit_{false};
    std::mutex tasksMutex_;
    std::vector<std::function<void()>> tasks_;
    std::atomic<bool> hasTasks_{false};
};

}  // namespace xsock
