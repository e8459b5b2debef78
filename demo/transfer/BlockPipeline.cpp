#include "BlockPipeline.h"

#include <utility>

namespace transfer {

BlockPipeline::BlockPipeline(std::vector<Stage> stages, std::size_t buffers)
    : stages_(std::move(stages)),
      queued_(stages_.size()),
      queues_(stages_.size()),
      free_(buffers == 0 ? 1 : buffers) {
    threads_.reserve(stages_.size());
    for (std::size_t stage = 0; stage < stages_.size(); ++stage) {
        threads_.emplace_back([this, stage] { Run(stage); });
    }
}

BlockPipeline::~BlockPipeline() {
    {
        std::unique_lock lock(mutex_);
        drained_.wait(lock, [this] { return inFlight_ == 0; });
        stopping_ = true;
    }
    for (std::condition_variable& queued : queued_) {
        queued.notify_all();
    }
    for (std::thread& thread : threads_) {
        thread.join();
    }
}

void BlockPipeline::Hand(std::vector<char>& block) {
    std::unique_lock lock(mutex_);
    RethrowLocked();
    freed_.wait(lock, [this] { return !free_.empty(); });
    std::vector<char> empty = std::move(free_.back());
    free_.pop_back();
    if (stages_.empty()) {
        free_.push_back(std::move(block));
    } else {
        ++inFlight_;
        queues_.front().push_back(std::move(block));
        queued_.front().notify_one();
    }
    block = std::move(empty);
}

void BlockPipeline::Drain() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [this] { return inFlight_ == 0; });
    RethrowLocked();
}

void BlockPipeline::RethrowLocked() {
    if (failure_ && !reported_) {
        reported_ = true;
        std::rethrow_exception(failure_);
    }
}

void BlockPipeline::Run(std::size_t stage) {
    std::unique_lock lock(mutex_);
    for (;;) {
        queued_[stage].wait(lock, [&] { return stopping_ || !queues_[stage].empty(); });
        if (queues_[stage].empty()) {
            return;  // stopping, and nothing is left
        }
        std::vector<char> block = std::move(queues_[stage].front());
        queues_[stage].pop_front();
        if (!failure_) {
            lock.unlock();
            std::exception_ptr thrown;
            try {
                stages_[stage](block.data(), block.size());
            } catch (...) {
                thrown = std::current_exception();
            }
            lock.lock();
            if (thrown && !failure_) {
                failure_ = thrown;
            }
        }
        if (stage + 1 < stages_.size()) {
            queues_[stage + 1].push_back(std::move(block));
            queued_[stage + 1].notify_one();
        } else {
            free_.push_back(std::move(block));
            freed_.notify_one();
            if (--inFlight_ == 0) {
                drained_.notify_all();
            }
        }
    }
}

}  // namespace transfer
