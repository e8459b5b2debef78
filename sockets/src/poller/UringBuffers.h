// The io_uring backend's receive buffers: one pool per loop, handed to the
// kernel as a ring of provided buffers, so a connected stream's receive picks
// one only when bytes arrive and an idle connection holds none. The pool
// starts small and grows by a chunk each time a receive found it empty, up to
// a cap; past the cap such a receive falls back to a peek, so a peer (or many)
// whose bytes the program leaves unread holds at most the cap per loop.
#pragma once

#include <liburing.h>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace xsock::detail::uring {

class ReceiveBuffers {
  public:
    static constexpr unsigned kSize = 16384;   // one receive's worth at most
    static constexpr unsigned kChunk = 16;     // buffers added at a time
    static constexpr unsigned kEntries = 256;  // the cap: 4 MiB per loop
    static constexpr std::uint16_t kGroup = 0;

    ReceiveBuffers() = default;
    ~ReceiveBuffers() {
        if (entries_ != nullptr) {
            ::munmap(entries_, EntryBytes());
        }
    }
    ReceiveBuffers(const ReceiveBuffers&) = delete;
    ReceiveBuffers& operator=(const ReceiveBuffers&) = delete;

    // Hands the pool to `ring` with its first chunk; false if the kernel
    // refuses provided buffer rings (before 5.19), and then nothing is kept.
    bool Register(io_uring& ring) {
        if (entries_ == nullptr) {
            void* p = ::mmap(nullptr, EntryBytes(), PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                return false;
            }
            entries_ = static_cast<io_uring_buf_ring*>(p);
        }
        io_uring_buf_ring_init(entries_);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(entries_);
        reg.ring_entries = kEntries;
        reg.bgid = kGroup;
        if (io_uring_register_buf_ring(&ring, &reg, 0) < 0) {
            return false;
        }
        registered_ = true;
        for (unsigned bid = 0; bid < Count(); ++bid) {
            if (!busy_[bid]) {
                Give(bid);
            }
        }
        io_uring_buf_ring_advance(entries_, static_cast<int>(pending_));
        pending_ = 0;
        return Count() > 0 || Grow();
    }

    // The ring that had the pool is gone: buffers held now are just memory.
    void Unregister() noexcept { registered_ = false; }

    bool Registered() const noexcept { return registered_; }

    // A receive found no buffer: adds a chunk unless at the cap.
    bool Grow() {
        if (!registered_ || Count() >= kEntries) {
            return false;
        }
        chunks_.push_back(std::make_unique_for_overwrite<char[]>(std::size_t{kChunk} * kSize));
        unsigned first = Count() - kChunk;
        busy_.resize(Count(), false);
        for (unsigned bid = first; bid < Count(); ++bid) {
            Give(bid);
        }
        io_uring_buf_ring_advance(entries_, static_cast<int>(pending_));
        pending_ = 0;
        return true;
    }

    // The kernel filled buffer `bid`: it is the program's until Return.
    char* Take(unsigned bid) noexcept {
        busy_[bid] = true;
        return Data(bid);
    }

    char* Data(unsigned bid) const noexcept {
        return chunks_[bid / kChunk].get() + std::size_t{bid % kChunk} * kSize;
    }

    void Return(unsigned bid) noexcept {
        busy_[bid] = false;
        if (registered_) {
            Give(bid);
            io_uring_buf_ring_advance(entries_, static_cast<int>(pending_));
            pending_ = 0;
        }
    }

  private:
    static constexpr std::size_t EntryBytes() { return kEntries * sizeof(io_uring_buf); }

    unsigned Count() const noexcept { return static_cast<unsigned>(chunks_.size()) * kChunk; }

    void Give(unsigned bid) noexcept {
        io_uring_buf_ring_add(entries_, Data(bid), kSize, static_cast<unsigned short>(bid),
                              io_uring_buf_ring_mask(kEntries), static_cast<int>(pending_++));
    }

    io_uring_buf_ring* entries_ = nullptr;
    std::vector<std::unique_ptr<char[]>> chunks_;
    std::vector<bool> busy_;
    unsigned pending_ = 0;  // added since the last advance
    bool registered_ = false;
};

// How many bytes are held for each descriptor, for FIONREAD and SIOCATMARK
// from other threads: written by the loop's thread only, read by any. The
// table grows by chunks that never move, so a reader needs no lock.
class HeldCounts {
  public:
    static constexpr int kChunkBits = 12;
    static constexpr std::size_t kChunks = 256;  // descriptors below 2^20

    HeldCounts() = default;
    HeldCounts(const HeldCounts&) = delete;
    HeldCounts& operator=(const HeldCounts&) = delete;

    void Publish(int fd, std::uint16_t held) noexcept {
        auto index = static_cast<std::size_t>(fd) >> kChunkBits;
        if (fd < 0 || index >= kChunks) {
            return;
        }
        Count* chunk = chunks_[index].load(std::memory_order_relaxed);
        if (chunk == nullptr) {
            if (held == 0) {
                return;
            }
            owners_[index].reset(new (std::nothrow) Count[std::size_t{1} << kChunkBits]{});
            chunk = owners_[index].get();
            if (chunk == nullptr) {
                return;
            }
            chunks_[index].store(chunk, std::memory_order_release);
        }
        chunk[Offset(fd)].store(held, std::memory_order_relaxed);
    }

    std::size_t Read(int fd) const noexcept {
        auto index = static_cast<std::size_t>(fd) >> kChunkBits;
        if (fd < 0 || index >= kChunks) {
            return 0;
        }
        const Count* chunk = chunks_[index].load(std::memory_order_acquire);
        return chunk != nullptr ? chunk[Offset(fd)].load(std::memory_order_relaxed) : 0u;
    }

  private:
    using Count = std::atomic<std::uint16_t>;
    static std::size_t Offset(int fd) noexcept {
        return static_cast<std::size_t>(fd) & ((std::size_t{1} << kChunkBits) - 1);
    }
    std::array<std::unique_ptr<Count[]>, kChunks> owners_;
    std::array<std::atomic<Count*>, kChunks> chunks_{};  // the same, for readers
};

}  // namespace xsock::detail::uring
