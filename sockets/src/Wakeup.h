// The descriptor that wakes a SocketLoop from its wait: an eventfd, or a
// non-blocking pipe where there is none. Wake() may be called from any thread
// and writes at most once until the loop has drained it.
#pragma once

#include <xsock/Descriptor.h>

#include <atomic>

namespace xsock::detail {

class Wakeup {
  public:
    // Throws std::system_error if the descriptor cannot be made.
    Wakeup();

    // What the loop watches for readability.
    int Handle() const noexcept { return read_.Get(); }

    // Any thread: makes Handle() readable, unless a wake-up is already pending.
    void Wake() noexcept;
    // The loop's thread, when Handle() polled readable: empties it, then
    // allows the next Wake() to write again.
    void Drain() noexcept;

  private:
    Descriptor read_;
    Descriptor write_;  // open only for a pipe; an eventfd reads and writes on read_
    std::atomic<bool> pending_{false};
};

// Reads a non-blocking descriptor until it has nothing left.
void DrainDescriptor(int fd) noexcept;

}  // namespace xsock::detail
