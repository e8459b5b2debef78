// SendQueue: the bytes a non-blocking socket could not send yet, kept in order
// until OnSend says there is room again. MFC has no counterpart: every
// CAsyncSocket program writes this queue by hand, and the usual hand-written
// one (erase the sent bytes from the front of a string after each partial
// Send) copies the whole backlog again on every Send, which is quadratic under
// backpressure.
//
// The bytes live in one growable buffer, read from an offset that Flush moves
// forward. The unsent bytes are moved to the front only when the sent prefix is
// at least as long as they are, and the offset goes back to zero whenever the
// queue empties, so each byte is copied a bounded number of times however the
// sends are split (MovedBytes counts those copies).
//
// Use: Append (or Write, which sends first and queues only the rest) whenever
// there is something to send, and Flush in OnSend. Flush stops at EWOULDBLOCK;
// by Winsock's rule the socket then delivers OnSend once there is room. A
// high-water mark (SetHighWater) is a number the owner tests with
// AboveHighWater, to stop producing (e.g. stop calling Receive) until OnSend
// drained the queue below it; the queue itself never refuses bytes.
//
// Errors: Flush and Write return false when Send failed with anything other
// than EWOULDBLOCK; AsyncSocket::GetLastError() then holds the cause (EPIPE,
// ECONNRESET, EPERM from the wrong thread, ...) and the unsent bytes stay
// queued. Append throws std::bad_alloc if the buffer cannot grow.
//
// Thread safety: none of its own, like a std::vector. Flush and Write send
// through the socket, so they belong to the socket's thread (elsewhere the
// socket's EPERM is reported as above).
#pragma once

#include <xsock/SocketsExport.h>

#include <cstddef>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

namespace xsock {

class AsyncSocket;

class XSOCK_SOCKETS_EXPORT SendQueue {
  public:
    // A queue that empties keeps at most this much storage for the next burst.
    static constexpr std::size_t kRetainedCapacity = std::size_t{64} << 10;

    SendQueue() noexcept = default;

    // Queues bytes after those already queued.
    void Append(const void* data, std::size_t size);
    void Append(std::string_view bytes) { Append(bytes.data(), bytes.size()); }
    void Append(std::span<const std::byte> bytes) { Append(bytes.data(), bytes.size()); }

    // Sends queued bytes until the queue is empty or Send reports EWOULDBLOCK
    // (then OnSend follows when there is room). True in both cases; Empty()
    // tells which. False on any other error, with AsyncSocket::GetLastError().
    bool Flush(AsyncSocket& socket);

    // Append followed by Flush, except that while the queue is empty the bytes
    // go to Send straight from `data`, and only what Send did not take is
    // copied into the queue. Same result as Flush.
    bool Write(AsyncSocket& socket, const void* data, std::size_t size);
    bool Write(AsyncSocket& socket, std::string_view bytes) {
        return Write(socket, bytes.data(), bytes.size());
    }

    // Bytes queued and not sent yet.
    std::size_t Size() const noexcept { return buffer_.size() - offset_; }
    bool Empty() const noexcept { return offset_ == buffer_.size(); }
    // The unsent bytes, in order; valid until the next non-const call.
    std::span<const std::byte> Pending() const noexcept {
        return std::span<const std::byte>(buffer_).subspan(offset_);
    }

    // AboveHighWater() is Size() > bytes. The default mark is never reached.
    void SetHighWater(std::size_t bytes) noexcept { highWater_ = bytes; }
    std::size_t HighWater() const noexcept { return highWater_; }
    bool AboveHighWater() const noexcept { return Size() > highWater_; }

    // Drops every unsent byte and gives the storage back.
    void Clear() noexcept;

    // How many bytes that were already queued have been copied again (to the
    // front of the buffer, or into a larger one) since this queue was made.
    // Bounded by a small multiple of the bytes appended, never by their square.
    std::size_t MovedBytes() const noexcept { return moved_; }

  private:
    void MakeRoom(std::size_t more);
    void Consumed(std::size_t sent) noexcept;

    std::vector<std::byte> buffer_;  // [offset_, size()) is unsent
    std::size_t offset_ = 0;
    std::size_t highWater_ = std::numeric_limits<std::size_t>::max();
    std::size_t moved_ = 0;
};

}  // namespace xsock
