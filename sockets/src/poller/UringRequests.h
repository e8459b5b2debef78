// The requests the io_uring backend (UringPoller.cpp) puts in its ring:
// opening the ring, translating interest to poll bits and back, and the
// user_data that names each request.
#pragma once

#include "Readiness.h"

#include <liburing.h>
#include <poll.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>

namespace xsock::detail::uring {

inline constexpr unsigned kSubmissionEntries = 256;
// Every watched descriptor can complete in one wait; a larger burst waits in
// the kernel's overflow list (IORING_FEAT_NODROP) until the next reap.
inline constexpr unsigned kCompletionEntries = 4096;
inline constexpr unsigned kReapBatch = 64;

inline unsigned ToPoll(unsigned interest) {
    unsigned bits = 0;
    if (interest & kReadable) {
        bits |= POLLIN | POLLRDHUP | POLLRDBAND;  // POLLRDBAND: see FromPoll
    }
    if (interest & kWritable) {
        bits |= POLLOUT;
    }
    if (interest & kPriority) {
        bits |= POLLPRI | POLLRDBAND;
    }
    return bits;
}

inline unsigned FromPoll(unsigned bits) {
    // A poll that a socket's "data arrived" wake-up completes takes its bits
    // from the wake-up's key, POLLIN | POLLPRI | POLLRDBAND, not from the
    // socket, whether the news is data, urgent data or the peer's FIN. No
    // socket's own poll reports POLLRDBAND, so it marks such a key, and its
    // POLLPRI means nothing: a poll armed again on a socket with urgent data
    // completes at once with the real bits. (Its POLLIN may be an end of
    // stream: see ReportsHangup.)
    if (bits & POLLRDBAND) {
        bits &= ~static_cast<unsigned>(POLLPRI);
    }
    unsigned events = 0;
    if (bits & POLLIN) {
        events |= kReadable;
    }
    if (bits & POLLOUT) {
        events |= kWritable;
    }
    if (bits & POLLPRI) {
        events |= kPriority;
    }
    if (bits & (POLLRDHUP | POLLHUP)) {
        events |= kHangup;
    }
    if (bits & (POLLERR | POLLNVAL)) {
        events |= kError;
    }
    return events;
}

// user_data of a request: arm number high, descriptor low. Arm number 0
// marks entries whose completion means nothing (removals); a peek's arm
// numbers have the top bit set, a poll's never.
inline constexpr std::uint32_t kPeekMark = 0x80000000u;

// user_data of the request that removes another: that one's, with this bit
// of the descriptor half set (descriptors never reach it).
inline constexpr std::uint64_t kCancelMark = 0x80000000u;

// user_data of a send: this bit of the descriptor half is set.
inline constexpr std::uint64_t kSendMark = 0x40000000u;

inline std::uint64_t ArmData(int fd, std::uint32_t arm) {
    return (std::uint64_t{arm} << 32) | static_cast<std::uint32_t>(fd);
}

inline std::uint32_t NextArm(std::uint32_t arm, std::uint32_t mark) {
    arm = ((arm + 1) & ~kPeekMark) | mark;
    return arm == 0 ? 1 : arm;
}

// What a poll watches: for a connected stream the peek watches kReadable.
inline unsigned PollInterest(unsigned interest) {
    return interest & (interest & kConnectedStream ? kWritable | kPriority
                                                   : kReadable | kWritable | kPriority);
}

inline bool WantsPeek(unsigned interest) {
    return (interest & (kConnectedStream | kReadable)) == (kConnectedStream | kReadable);
}

inline std::string RefusalMessage(int error) {
    std::string message = "SocketLoop: the kernel refuses io_uring (io_uring_setup: " +
                          std::generic_category().message(error) + ")";
    if (std::FILE* file = std::fopen("/proc/sys/kernel/io_uring_disabled", "re")) {
        int disabled = 0;
        if (std::fscanf(file, "%d", &disabled) == 1 && disabled != 0) {
            message += ", kernel.io_uring_disabled=" + std::to_string(disabled);
        }
        std::fclose(file);
    }
    return message + "; use the epoll backend";
}

// Sets up `ring`, or throws std::system_error saying why the kernel refuses.
// Completions wait for the loop's own io_uring_enter rather than interrupt
// it: the kernel would otherwise kick the loop's thread with an
// inter-processor interrupt for every completion while it runs, which costs
// more than the system call saved. `deferred` asks for DEFER_TASKRUN (6.1),
// which also runs their work only there, in one batch per wait, not on the
// way out of every send and recv; it needs SINGLE_ISSUER, which holds, since
// only the thread that made the loop ever touches its ring. A ring whose
// eventfd a host loop sleeps on is not deferred: the kernel signals that
// eventfd for work that may leave the loop nothing to do. Otherwise, and
// before 6.1, COOP_TASKRUN (5.19) only spares the interrupt. TASKRUN_FLAG
// tells a wait that must not block that such completions are there to
// collect.
// True if the ring is deferred.
inline bool OpenRing(io_uring& ring, bool deferred) {
    constexpr unsigned kDeferred =
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    constexpr unsigned kCooperative = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    const unsigned flagSets[] = {deferred ? kDeferred : kCooperative, kCooperative, 0};
    int result = -EINVAL;
    unsigned features = 0;
    unsigned used = 0;
    for (unsigned flags : flagSets) {
        used = flags;
        io_uring_params params{};
        params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | flags;
        params.cq_entries = kCompletionEntries;
        result = io_uring_queue_init_params(kSubmissionEntries, &ring, &params);
        if (result != -EINVAL) {
            features = params.features;
            break;
        }
    }
    if (result < 0) {
        throw std::system_error(-result, std::generic_category(), RefusalMessage(-result));
    }
    // Completions must never be dropped (IORING_FEAT_NODROP, 5.5) and
    // multishot polls must exist (5.13, when IORING_FEAT_RSRC_TAGS came).
    constexpr unsigned kNeeded = IORING_FEAT_NODROP | IORING_FEAT_RSRC_TAGS;
    if ((features & kNeeded) != kNeeded) {
        io_uring_queue_exit(&ring);
        throw std::system_error(ENOSYS, std::generic_category(),
                                "SocketLoop: this kernel's io_uring is too old for the uring "
                                "backend (it needs Linux 5.13); use the epoll backend");
    }
    return (used & IORING_SETUP_DEFER_TASKRUN) != 0;
}

}  // namespace xsock::detail::uring
