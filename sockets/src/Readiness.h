// The words the loop, the sockets and the backends share: what to watch
// (interest) and what happened (readiness), and one reported event. Neutral
// ground, so neither a socket nor the loop includes a backend's header.
#pragma once

#include <cstdint>

namespace xsock::detail {

// Interest bits (what to watch) and readiness bits (what happened).
enum : unsigned {
    kReadable = 1u << 0,
    kWritable = 1u << 1,
    kPriority = 1u << 2,  // urgent (out-of-band) data
    kHangup = 1u << 3,    // the peer shut down its side, or both sides are down
    kError = 1u << 4,
    // Interest only: the descriptor is a connected stream socket, so a
    // backend may learn what kReadable means (data, its end, or an error) by
    // peeking at one byte, and report it as kData or with `error`.
    kConnectedStream = 1u << 5,
    // Readiness only: data is waiting (seen by such a peek), not an end.
    kData = 1u << 6,
    // Interest only, with kConnectedStream: the socket selected FD_OOB, so a
    // backend must not read its stream ahead of it (a receive at the urgent
    // mark steps over the urgent byte, and it is gone).
    kUrgentSelected = 1u << 7,
};

// What a backend reports for one watched descriptor: the token it was
// registered with, the readiness bits, and an error the backend took off the
// socket while looking (its pending SO_ERROR, which nothing can read again).
// A socket's token: its descriptor in the low half and a generation (never
// all ones, which the loop keeps for its own descriptors) in the high half.
inline std::uint64_t SocketToken(int fd, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

struct ReadyEvent {
    std::uint64_t token = 0;
    unsigned events = 0;
    int error = 0;
};

}  // namespace xsock::detail
