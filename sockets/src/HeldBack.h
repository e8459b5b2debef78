// Socket notifications held back while a blocking Socket call waits: MFC's
// CSocket pump leaves other sockets' messages in the queue until the call
// returns. The loop owns one of these; nothing else holds a notification back.
#pragma once

#include "Readiness.h"

#include <cstddef>
#include <vector>

namespace xsock::detail {

class HeldBack {
  public:
    void Hold(const ReadyEvent& event) { events_.push_back(event); }
    bool Empty() const noexcept { return events_.empty(); }

    // Hands every held event to `deliver`, in the order they came. If it
    // throws, the events behind the one that threw stay held, in front of
    // any held meanwhile. Returns how many were handed over.
    template <typename Deliver>
    std::size_t DeliverAll(Deliver&& deliver) {
        std::vector<ReadyEvent> batch;
        batch.swap(events_);
        std::size_t next = 0;
        try {
            while (next < batch.size()) {
                deliver(batch[next++]);
            }
        } catch (...) {
            events_.insert(events_.begin(), batch.begin() + static_cast<std::ptrdiff_t>(next),
                           batch.end());
            throw;
        }
        return batch.size();
    }

  private:
    std::vector<ReadyEvent> events_;
};

}  // namespace xsock::detail
