// AsyncSocket's private helper types, shared by the files that implement it.
#pragma once

#include <xsock/AsyncSocket.h>
#include <xsock/StreamFilter.h>

#include <chrono>
#include <memory>

#include <cstddef>
#include <vector>

namespace xsock {

// Lives on the stack while notifications run, so a socket destroyed or closed
// by one of them is noticed before the next is delivered. Frames nest: a
// notification may run the loop again (a blocking call) and be re-entered.
struct AsyncSocket::DispatchFrame {
    bool destroyed = false;
    bool closed = false;
    DispatchFrame* outer = nullptr;
};

// Links a frame into its socket for the length of one dispatch. However the
// notifications end (return, exception, Close, delete), the frame is unlinked
// and, if the socket still exists, the backend is told what to watch now.
class AsyncSocket::DispatchScope {
  public:
    DispatchScope(AsyncSocket& socket, DispatchFrame& frame) noexcept;
    ~DispatchScope();

    DispatchScope(const DispatchScope&) = delete;
    DispatchScope& operator=(const DispatchScope&) = delete;

  private:
    AsyncSocket& socket_;
    DispatchFrame& frame_;
};

// The candidates of a Connect still to try, in order.
struct AsyncSocket::ConnectPlan {
    std::vector<SocketAddress> candidates;
    std::size_t next = 0;
};

// A socket's filter and where its handshake and I/O stand.
struct AsyncSocket::Filtered {
    std::unique_ptr<StreamFilter> filter;
    bool handshaking = false;
    bool afterConnect = false;  // the handshake ends in OnConnect, not OnSend
    bool failed = false;        // the handshake failed: no data moves
    bool marked = false;        // the loop holds a readable event for buffered input
    bool sendShut = false;      // ShutDown(sends) was called
    bool shutPending = false;   // the descriptor's shutdown waits for the output
    int shutHow = 0;
    TimerId handshakeTimer = 0;
    std::chrono::steady_clock::time_point deadline{};
};

namespace detail {

// Close of a socket whose filter still holds output: the thread's loop keeps
// the descriptor until that output has left (FlushOnClose.cpp).
void FlushThenClose(SOCKET fd, std::unique_ptr<StreamFilter> filter) noexcept;

}  // namespace detail

}  // namespace xsock
