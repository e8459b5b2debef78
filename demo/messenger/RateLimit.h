// RateLimit: a token bucket. At most `burst` events at once, and `perSecond`
// on average after that; what is over is refused, never queued.
//
// Thread safety: one thread at a time.
#pragma once

#include <algorithm>
#include <chrono>

namespace messenger {

class RateLimit {
  public:
    RateLimit(double perSecond, double burst)
        : perSecond_(perSecond),
          burst_(burst),
          tokens_(burst),
          last_(std::chrono::steady_clock::now()) {}

    // True (and one event counted) if one more event is allowed now.
    bool Take() {
        auto now = std::chrono::steady_clock::now();
        tokens_ = std::min(
            burst_, tokens_ + perSecond_ * std::chrono::duration<double>(now - last_).count());
        last_ = now;
        if (tokens_ < 1) {
            return false;
        }
        tokens_ -= 1;
        return true;
    }

  private:
    double perSecond_;
    double burst_;
    double tokens_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace messenger
