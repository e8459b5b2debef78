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
};

// What a backend reports for one watched descriptor: the token it was
// registered with, and the readiness bits.
struct ReadyEvent {
    std::uint64_t token;
    unsigned events;
};

}  // namespace xsock::detail
