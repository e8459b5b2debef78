#include <xsock/SendQueue.h>

#include <xsock/AsyncSocket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace xsock {

namespace {

enum class SendResult { Progress, Full, Failed };

// One Send of up to INT_MAX bytes (Send takes an int length).
SendResult SendSome(AsyncSocket& socket, const std::byte* data, std::size_t size,
                    std::size_t& sent) {
    const int length = static_cast<int>(std::min<std::size_t>(size, INT_MAX));
    const int n = socket.Send(data, length);
    if (n == SOCKET_ERROR) {
        return AsyncSocket::GetLastError() == EWOULDBLOCK ? SendResult::Full : SendResult::Failed;
    }
    // A stream Send of at least one byte takes at least one; a subclass's
    // override that takes none must not make the caller spin.
    sent = static_cast<std::size_t>(n);
    return n > 0 ? SendResult::Progress : SendResult::Full;
}

}  // namespace

void SendQueue::Append(const void* data, std::size_t size) {
    if (size == 0) {
        return;
    }
    MakeRoom(size);
    const auto* bytes = static_cast<const std::byte*>(data);
    buffer_.insert(buffer_.end(), bytes, bytes + size);
}

// Ensures `more` bytes fit after the end without a reallocation that would copy
// the sent prefix too. Moving the unsent bytes to the front is done only when
// the sent prefix is at least as long, so every byte moved is paid for by a
// byte sent since the last move; growing doubles the capacity, so the copies
// it makes add up to at most twice the largest capacity.
void SendQueue::MakeRoom(std::size_t more) {
    const std::size_t capacity = buffer_.capacity();
    if (capacity - buffer_.size() >= more) {
        return;
    }
    const std::size_t unsent = Size();
    if (offset_ >= unsent && capacity - unsent >= more) {
        std::memmove(buffer_.data(), buffer_.data() + offset_, unsent);
        buffer_.resize(unsent);
        offset_ = 0;
        moved_ += unsent;
        return;
    }
    std::vector<std::byte> larger;
    larger.reserve(std::max(capacity * 2, unsent + more));
    larger.insert(larger.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_),
                  buffer_.end());
    buffer_.swap(larger);
    offset_ = 0;
    moved_ += unsent;
}

void SendQueue::Consumed(std::size_t sent) noexcept {
    offset_ += sent;
    if (offset_ == buffer_.size()) {
        // Empty: the next bytes start at the front again. A buffer that grew
        // for a burst is given back rather than kept by an idle connection.
        if (buffer_.capacity() > kRetainedCapacity) {
            std::vector<std::byte>().swap(buffer_);
        } else {
            buffer_.clear();
        }
        offset_ = 0;
    }
}

bool SendQueue::Flush(AsyncSocket& socket) {
    while (!Empty()) {
        std::size_t sent = 0;
        switch (SendSome(socket, buffer_.data() + offset_, Size(), sent)) {
            case SendResult::Progress:
                Consumed(sent);
                break;
            case SendResult::Full:
                return true;
            case SendResult::Failed:
                return false;
        }
    }
    return true;
}

bool SendQueue::Write(AsyncSocket& socket, const void* data, std::size_t size) {
    if (!Empty()) {
        Append(data, size);
        return Flush(socket);
    }
    const auto* bytes = static_cast<const std::byte*>(data);
    while (size > 0) {
        std::size_t sent = 0;
        SendResult result = SendSome(socket, bytes, size, sent);
        if (result != SendResult::Progress) {
            Append(bytes, size);
            return result == SendResult::Full;
        }
        bytes += sent;
        size -= sent;
    }
    return true;
}

void SendQueue::Clear() noexcept {
    std::vector<std::byte>().swap(buffer_);
    offset_ = 0;
}

}  // namespace xsock
