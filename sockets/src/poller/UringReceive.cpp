// The io_uring backend's reading of connected streams: the one-byte peek,
// the receive into the loop's buffers, and the bytes held for sockets until
// they read them (see UringPoller.h).
#ifdef XSOCK_HAVE_LIBURING

#include "UringPoller.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xsock::detail::uring {

std::size_t UringPoller::Received(std::uint64_t token, void* buffer, std::size_t length, bool peek,
                                  bool& more) {
    Slot* slot = HoldingSlot(token);
    if (slot == nullptr) {
        return 0;
    }
    std::size_t n = std::min<std::size_t>(length, slot->held);
    std::memcpy(buffer, buffers_.Data(slot->bid) + slot->offset, n);
    more = slot->more;
    if (!peek) {
        slot->offset = static_cast<std::uint16_t>(slot->offset + n);
        slot->held = static_cast<std::uint16_t>(slot->held - n);
        heldCounts_.Publish(static_cast<int>(token & 0xffffffffu), slot->held);
        if (slot->held == 0) {
            buffers_.Return(slot->bid);
        }
        MarkDirty(*slot, static_cast<int>(token & 0xffffffffu));  // what is left, or a receive
    }
    return n;
}

std::size_t UringPoller::HeldBytes(std::uint64_t token) {
    Slot* slot = HoldingSlot(token);
    return slot != nullptr ? slot->held : 0u;
}

void UringPoller::MoreWaiting(std::uint64_t token) noexcept {
    if (Slot* slot = SlotOf(token)) {
        slot->more = slot->held != 0;
    }
}

std::string UringPoller::TakeHeld(std::uint64_t token) {
    Slot* slot = SlotOf(token);
    if (slot == nullptr) {
        return {};
    }
    if (slot->receiving) {
        CollectReceive(*slot, static_cast<int>(token & 0xffffffffu));
    }
    std::string bytes;
    if (slot->held != 0) {
        bytes.assign(buffers_.Data(slot->bid) + slot->offset, slot->held);
        Discard(*slot, static_cast<int>(token & 0xffffffffu));
    }
    return bytes;
}

void UringPoller::CollectReceive(Slot& slot, int fd) {
    Disarm(slot, fd, false, true);
    while (slot.receiving && slot.peekArmed) {
        int result = io_uring_submit_and_wait(&ring_, 1);
        if (result < 0 && result != -EINTR && result != -ETIME) {
            return;  // the ring is unusable: nothing more will complete
        }
        Reap(pending_);
    }
}

void UringPoller::CollectReceives() {
    for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
        if (slots_[fd].receiving) {
            CollectReceive(slots_[fd], static_cast<int>(fd));
        }
    }
}

void UringPoller::Discard(Slot& slot, int fd) noexcept {
    if (slot.held != 0) {
        buffers_.Return(slot.bid);
        slot.held = 0;
        heldCounts_.Publish(fd, 0);
    }
}

UringPoller::Slot* UringPoller::HoldingSlot(std::uint64_t token) {
    if (io_uring_cq_ready(&ring_) > 0) {
        Reap(pending_);
    }
    Slot* slot = SlotOf(token);
    return slot != nullptr && slot->held != 0 ? slot : nullptr;
}

void UringPoller::ArmRead(Slot& slot, int fd) {
    bool receive = receiving_ && !slot.noBuffer && !(slot.interest & kUrgentSelected);
    if (receive && !buffers_.Registered()) {
        receive = receiving_ = buffers_.Register(ring_);
    }
    io_uring_sqe* entry = NextEntry();
    if (entry == nullptr) {
        return;
    }
    slot.noBuffer = false;
    slot.peekArm = NextArm(slot.peekArm, kPeekMark);
    if (receive) {
        io_uring_prep_recv(entry, fd, nullptr, ReceiveBuffers::kSize, 0);
        entry->flags |= IOSQE_BUFFER_SELECT;
        entry->buf_group = ReceiveBuffers::kGroup;
    } else {
        // One byte, left in place: what it is does not matter, only
        // whether there is one, so every peek shares it.
        io_uring_prep_recv(entry, fd, &scratch_, 1, MSG_PEEK);
    }
    io_uring_sqe_set_data64(entry, ArmData(fd, slot.peekArm));
    slot.peekArmed = true;
    slot.receiving = receive;
    slot.cancelling = false;
}

void UringPoller::CompleteRead(Slot& slot, int fd, std::uint32_t arm,
                               const io_uring_cqe& completion, std::vector<ReadyEvent>& ready) {
    int result = completion.res;
    bool current = slot.peekArmed && slot.peekArm == arm;
    if (completion.flags & IORING_CQE_F_BUFFER) {
        auto bid = static_cast<std::uint16_t>(completion.flags >> IORING_CQE_BUFFER_SHIFT);
        buffers_.Take(bid);
        if (!current || result <= 0 || slot.held != 0) {
            buffers_.Return(bid);  // never so: a receive is current until it completes
        } else {
            slot.bid = bid;
            slot.offset = 0;
            slot.held = static_cast<std::uint16_t>(result);
            heldCounts_.Publish(fd, slot.held);
            slot.more = (completion.flags & IORING_CQE_F_SOCK_NONEMPTY) != 0;
        }
    }
    if (current && slot.receiving) {
        CompleteReceive(slot, fd, result, ready);
        return;
    }
    bool tookError = result < 0 && result != -ECANCELED && result != -EINTR && result != -EAGAIN;
    if (!current) {
        // Cancelled, or the descriptor number was reused: stale. Only an
        // error still matters: the peek took it off the socket, which
        // will not report it again, so it goes to the socket the peek
        // was armed for if that is still the one here.
        if (tookError && PeekOfCurrentSocket(slot, arm)) {
            ReportTakenError(slot, -result, ready);
        }
        return;
    }
    slot.peekArmed = false;
    MarkDirty(slot, fd);  // level-triggered: armed again unless interest drops
    if (result > 0) {
        ready.push_back({slot.token, kReadable | kData});
    } else if (result == 0) {
        ready.push_back({slot.token, kReadable | kHangup});
    } else if (tookError) {
        ReportTakenError(slot, -result, ready);
    }
}

void UringPoller::CompleteReceive(Slot& slot, int fd, int result, std::vector<ReadyEvent>& ready) {
    slot.peekArmed = slot.receiving = slot.cancelling = false;
    MarkDirty(slot, fd);  // armed again if the socket still wants to read
    if (result == -ENOBUFS) {
        // Every buffer is held: a peek watches this time, and the pool grows.
        slot.noBuffer = true;
        buffers_.Grow();
        return;
    }
    bool wanted = WantsPeek(slot.interest);
    if (result > 0) {
        if (wanted) {
            ready.push_back({slot.token, kReadable | kData});
        }
    } else if (result == 0) {
        if (wanted) {
            ready.push_back({slot.token, kReadable | kHangup});
        }
    } else if (result != -ECANCELED && result != -EINTR && result != -EAGAIN) {
        ReportTakenError(slot, -result, ready);
    }
}

bool UringPoller::PeekOfCurrentSocket(const Slot& slot, std::uint32_t arm) noexcept {
    constexpr std::uint32_t kNumber = ~kPeekMark;
    std::uint32_t armed = (slot.peekArm - slot.peekBase) & kNumber;
    // peekArm one before peekBase: none armed for this socket yet.
    return armed != kNumber && ((arm - slot.peekBase) & kNumber) <= armed;
}

void UringPoller::ReportTakenError(const Slot& slot, int error, std::vector<ReadyEvent>& ready) {
    for (ReadyEvent& event : ready) {
        if (event.token == slot.token) {
            event.error = error;
        }
    }
    ready.push_back({slot.token, kReadable | kError, error});
}

}  // namespace xsock::detail::uring

#endif
