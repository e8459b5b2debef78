// Close on a socket whose filter still holds output: TLS records that Send
// took but the descriptor did not, and the close_notify after them. In clear
// text the kernel goes on sending what close() leaves in its buffer; here an
// object of the thread's loop keeps the descriptor until the filter's output
// has left, then closes it. A peer that resets, or takes nothing more for
// kFlushTimeout, ends it early, as does the loop's end (the descriptor then
// closes when the thread exits). At most AsyncSocket::kMaxClosingFlushes wait
// per thread: peers that never read cannot pile up descriptors on a server
// that closes its connections; past that, Close closes at once and the
// output is lost, as with a reset.
#include "AsyncSocketInternals.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

namespace xsock::detail {

namespace {

constexpr std::chrono::seconds kFlushTimeout{30};

class ClosingFlush;

// The flushes under way on this thread.
thread_local std::vector<std::unique_ptr<ClosingFlush>> flushes;

class ClosingFlush final : public AsyncSocket {
  public:
    ClosingFlush() = default;
    ~ClosingFlush() override {
        if (timer_ != 0 && Loop() != nullptr) {
            Loop()->KillTimer(timer_);
        }
        TakeFilter();  // what it still holds is given up: Close must not hand it on again
        Close();
    }
    ClosingFlush(const ClosingFlush&) = delete;
    ClosingFlush& operator=(const ClosingFlush&) = delete;

    // Gives up after kFlushTimeout; false if there is no timer for it.
    bool StartTimer() noexcept {
        try {
            timer_ = Loop() != nullptr ? Loop()->SetTimer(
                                             kFlushTimeout,
                                             [this] {
                                                 timer_ = 0;
                                                 Finish();
                                             },
                                             false)
                                       : 0;
        } catch (...) {
            timer_ = 0;
        }
        return timer_ != 0;
    }

  protected:
    // OnSend comes once the filter's output has left.
    void OnSend(int) override { Finish(); }
    // An orderly end from the peer still lets it read what we send.
    void OnClose(int error) override {
        if (error != 0) {
            Finish();
        }
    }

  private:
    void Finish() {
        auto self = std::find_if(
            flushes.begin(), flushes.end(),
            [this](const std::unique_ptr<ClosingFlush>& f) { return f.get() == this; });
        if (self != flushes.end()) {
            flushes.erase(self);  // destroys this object: nothing may follow
        }
    }

    TimerId timer_ = 0;
};

}  // namespace

void FlushThenClose(SOCKET fd, std::unique_ptr<StreamFilter> filter) noexcept {
    if (flushes.size() >= AsyncSocket::kMaxClosingFlushes) {
        ::close(fd);
        return;
    }
    ClosingFlush* flush = nullptr;
    try {
        flushes.push_back(std::make_unique<ClosingFlush>());
        flush = flushes.back().get();
    } catch (...) {
        ::close(fd);  // no memory for it: the output is lost, as with a reset
        return;
    }
    if (!flush->Attach(fd, FD_WRITE | FD_CLOSE)) {
        flushes.pop_back();
        ::close(fd);
        return;
    }
    if (!flush->SetFilter(std::move(filter)) || !flush->StartTimer()) {
        flushes.pop_back();  // closes the descriptor
    }
}

}  // namespace xsock::detail
