// LoopThreads: a fixed set of threads, each running its own SocketLoop, so a
// server can use every core.
//
// MFC has no counterpart; an MFC server that wants more threads starts
// CWinThreads, detaches each accepted socket and hands the handle over with
// PostThreadMessage. LoopThreads does exactly that for you: the accepting
// thread calls HandOver, which detaches the connection and posts its handle to
// the next loop, round robin, where your callback attaches it to a socket
// object of your own.
//
//   xsock::LoopThreads workers(2);
//   void Listener::OnAccept(int) {
//       xsock::AsyncSocket connection;
//       if (Accept(connection))
//           workers.HandOver(connection, [](xsock::SOCKET handle) {
//               auto& mine = t_connections.emplace_back(std::make_unique<Echo>());
//               mine->Attach(handle);
//           });
//   }
//
// Lifetime: each thread's loop is created before anything else on the thread
// and destroyed after everything else, so sockets kept in thread_local
// containers (or deleting themselves in OnClose) are destroyed on their own
// thread while their loop still exists. Stop (or the destructor) quits every
// loop and joins the threads; a handle that was handed over but never reached
// its callback is closed, never leaked.
//
// Errors: an exception that escapes a notification, timer or task on one of
// the threads does not end the thread; the first one is kept and Stop
// rethrows it. The constructor throws what creating a loop threw.
//
// Thread safety: HandOver, Post, Size, LoopAt and Stop may be called from any
// thread (HandOver from the thread that owns the accepted socket). Do not call
// Stop or destroy the object from one of its own threads.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>
#include <xsock/SocketsExport.h>

namespace xsock {

class XSOCK_SOCKETS_EXPORT LoopThreads {
  public:
    // Starts `count` threads (at least one), each with a loop made from
    // `options`, and returns once every loop exists.
    explicit LoopThreads(unsigned count, SocketLoop::Options options = {});
    ~LoopThreads();

    LoopThreads(const LoopThreads&) = delete;
    LoopThreads& operator=(const LoopThreads&) = delete;

    unsigned Size() const noexcept { return static_cast<unsigned>(loops_.size()); }
    // Loop `index` (< Size()). Only Post and Quit may be called on it from
    // other threads; it exists until Stop.
    SocketLoop& LoopAt(unsigned index) const { return *loops_.at(index); }

    // Runs `task` on the next loop's thread, round robin; returns its index.
    unsigned Post(std::function<void()> task);
    // Detaches `accepted` (which must belong to the calling thread) and calls
    // `adopt(handle)` on the next loop's thread, where it should Attach the
    // handle to a socket object. False, with AsyncSocket::GetLastError() set,
    // if `accepted` could not be detached (EPERM: another thread's socket;
    // ENOTCONN: it is not open; EINPROGRESS: its TLS handshake is not done)
    // or the threads were stopped (ESHUTDOWN); the socket is then left as it
    // was. A TLS connection keeps its TLS state: it goes back onto the object
    // the callback attaches the handle to.
    bool HandOver(AsyncSocket& accepted, std::function<void(SOCKET handle)> adopt);

    // Quits every loop and joins the threads (once; later calls only rethrow).
    // Rethrows the first exception that escaped a loop thread.
    void Stop();

  private:
    void RunThread();
    void QuitAll();
    void Join();

    std::vector<SocketLoop*> loops_;
    std::vector<std::thread> threads_;
    std::atomic<unsigned> next_{0};
    // Held shared while posting, so no task is posted to a loop being torn
    // down, and by a thread leaving its loop, so none is destroyed while Stop
    // still quits the others.
    std::shared_mutex postMutex_;
    bool stopped_ = false;
    std::atomic<bool> stopping_{false};
    std::mutex failureMutex_;
    std::exception_ptr failure_;
};

}  // namespace xsock
