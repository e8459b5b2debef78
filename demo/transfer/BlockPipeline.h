// BlockPipeline: blocks of bytes handed in by one thread pass through a
// fixed chain of stages, each stage on a thread of its own, in the order they
// were handed in, in a bounded set of buffers that are reused rather than
// allocated per block. xsock-transfer hashes (and on the server writes) a
// file's chunks this way, so that SHA-256 and the disk overlap the network
// and TLS work of the connection's thread instead of adding to it.
//
// Hand swaps the caller's filled vector for a free one (waiting while all
// `buffers` are in use), so a block is never copied; the vector given back
// keeps its last size and capacity, so refilling it costs no allocation.
// At most buffers + 1 blocks exist at once, the caller's included.
//
// Thread safety: Hand, Drain and the destructor belong to one thread, the
// owner. A stage sees every block after the stages before it, one block at a
// time; whatever a stage writes is visible to the owner once Drain returns.
// Errors: the first exception a stage throws is rethrown by the next Hand or
// Drain; the blocks after it skip every stage. The destructor waits for the
// blocks in flight and never throws.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace transfer {

class BlockPipeline {
  public:
    using Stage = std::function<void(const char* data, std::size_t length)>;

    BlockPipeline(std::vector<Stage> stages, std::size_t buffers);
    ~BlockPipeline();
    BlockPipeline(const BlockPipeline&) = delete;
    BlockPipeline& operator=(const BlockPipeline&) = delete;

    // Sends `block`'s bytes down the stages; `block` becomes a free buffer.
    void Hand(std::vector<char>& block);
    // Waits until every block handed in has passed every stage.
    void Drain();

  private:
    void Run(std::size_t stage);
    void RethrowLocked();

    std::vector<Stage> stages_;
    std::mutex mutex_;
    // One per stage, and one for each of the owner's waits, so that a block
    // wakes only the thread that takes it next.
    std::vector<std::condition_variable> queued_;
    std::condition_variable freed_;
    std::condition_variable drained_;
    std::vector<std::deque<std::vector<char>>> queues_;  // one per stage
    std::vector<std::vector<char>> free_;
    std::size_t inFlight_ = 0;
    std::exception_ptr failure_;
    bool reported_ = false;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace transfer
