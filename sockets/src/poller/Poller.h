// The readiness backend behind a SocketLoop: one implementation per file in
// this folder. A backend only reports readiness; it never calls back.
#pragma once

#include "Readiness.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xsock::detail {

class Poller {
  public:
    virtual ~Poller() = default;

    // False if this backend can never watch `fd` (select past FD_SETSIZE).
    virtual bool CanWatch(int fd) const { return fd >= 0; }

    // Moves `fd` from `oldInterest` to `newInterest`: 0 -> n adds it, n -> 0
    // removes it (a descriptor watched for nothing must not be polled at all:
    // poll and epoll report hang-ups even then). Returns false with errno set.
    virtual bool Update(int fd, std::uint64_t token, unsigned oldInterest,
                        unsigned newInterest) = 0;

    // Waits up to `timeoutMs` (negative: no limit) and appends what is ready.
    // An interrupted wait returns with nothing appended.
    virtual void Wait(int timeoutMs, std::vector<ReadyEvent>& ready) = 0;

    // True if readiness carries kHangup/kError reliably, so plain kReadable
    // means data without asking the socket.
    virtual bool ReportsHangup() const = 0;

    // True if the backend watches a connected stream's readability (interest
    // with kConnectedStream) by peeking, so that what it reports can go stale
    // once the socket is read outside the loop: Consumed(token) then.
    virtual bool PeeksStreams() const { return false; }
    virtual void Consumed(std::uint64_t /*token*/) noexcept {}

    // Backends that receive a connected stream's bytes into buffers of their
    // own (io_uring) hold them for the socket until it reads them; the socket
    // must read those first, through Received. True if this one may.
    virtual bool ReceivesStreams() const { return false; }
    // Copies up to `length` of the bytes held for `token` (taking them
    // unless `peek`): their count, 0 if none are held (the socket's own
    // bytes come next). `more` is set when the socket had more waiting as
    // they were received.
    virtual std::size_t Received(std::uint64_t /*token*/, void* /*buffer*/, std::size_t /*length*/,
                                 bool /*peek*/, bool& /*more*/) {
        return 0;
    }
    virtual std::size_t HeldBytes(std::uint64_t /*token*/) { return 0; }
    // The same by descriptor, from any thread.
    virtual std::size_t HeldBytesOf(int /*fd*/) { return 0; }
    // The socket has more waiting behind what is held for `token` (FIONREAD
    // said so): a Receive of more than is held goes on to it.
    virtual void MoreWaiting(std::uint64_t /*token*/) noexcept {}
    // Stops receiving for `token` and hands over what is held: the socket is
    // leaving the loop, or a filter reads it from now on.
    virtual std::string TakeHeld(std::uint64_t /*token*/) { return {}; }

    // Backends that hand a connected stream's sends to the kernel in one batch
    // per loop iteration (io_uring). QueueSend takes up to `length` bytes of
    // a send made during an iteration, copied, for FlushSends at its end:
    // the count taken; 0 if the socket's earlier bytes still wait for room
    // (would block); -1 with errno for the error an earlier send met (EPIPE
    // once a ShutDown of sends follows them); or
    // kSendYourself: the socket sends them itself, now (after FlushSends).
    // Only with `batch` (the loop is in an iteration) are bytes queued;
    // without, a socket with queued or waiting bytes has them settled first.
    static constexpr long kSendYourself = -2;
    virtual bool SendsStreams() const { return false; }
    virtual long QueueSend(std::uint64_t /*token*/, int /*fd*/, const void* /*data*/,
                           std::size_t /*length*/, bool /*batch*/) {
        return kSendYourself;
    }
    // Hands every queued send to the kernel; bytes the kernel has no room
    // for wait, in order, and the socket's next sends would block meanwhile.
    virtual void FlushSends() {}
    // What the socket's bytes still waiting for room become as it leaves:
    // they go on after a Close (unless the close is abortive: then they go
    // with it), and a ShutDown of sends follows them; Detach waits for them.
    enum class Leaving { Close, AbortiveClose, Detach, ShutDown };
    // SettleSends is true if bytes still wait, and go on as `how` says (after
    // a Close, the backend then owning the descriptor and closing it after
    // them; or before a shutdown of sends); false if the caller goes ahead
    // as usual.
    virtual bool SendsWaiting(std::uint64_t /*token*/) { return false; }
    virtual bool SettleSends(std::uint64_t /*token*/, Leaving /*how*/) { return false; }

    // A descriptor that is readable when Wait would return at once, or -1.
    // Throws std::system_error if the backend cannot make one.
    virtual int NativeHandle() { return -1; }

    // Once NativeHandle() was asked for: the loop is about to return to a
    // host loop that sleeps on that handle, so queued changes must take
    // effect now, not at the next Wait.
    virtual void Flush() noexcept {}
};

// One factory per backend file; Backends.cpp lists them.
std::unique_ptr<Poller> MakeSelectPoller();
std::unique_ptr<Poller> MakePollPoller();
std::unique_ptr<Poller> MakeEpollPoller();  // nullptr where epoll does not exist
std::unique_ptr<Poller> MakeUringPoller();  // nullptr where built without liburing

}  // namespace xsock::detail
