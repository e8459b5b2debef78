// Progress: what the sender shows while a file travels.
//
// On a terminal (stderr is a tty) a bar redrawn in place with \r at most ten
// times a second: percent, bytes, rate and time left. Otherwise nothing while
// the file travels, so logs and pipes stay quiet. Either way Finish prints one
// line per file on stdout with its size and rate, for people and scripts.
//
// Thread safety: one object, one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace transfer {

class Progress {
  public:
    explicit Progress(bool terminal) noexcept : terminal_(terminal) {}

    void Start(const std::string& name, std::uint64_t total, std::uint64_t already);
    void Advance(std::uint64_t bytes);
    // `outcome`: "sent", "refused: ..." and so on.
    void Finish(const std::string& outcome);

    // "1.5 MiB", "200.0 MiB"...
    static std::string Bytes(double bytes);

  private:
    using Clock = std::chrono::steady_clock;
    void Draw(bool force);

    bool terminal_;
    std::string name_;
    std::uint64_t total_ = 0;
    std::uint64_t already_ = 0;
    std::uint64_t done_ = 0;
    Clock::time_point started_{};
    Clock::time_point drawn_{};
    bool barShown_ = false;
};

}  // namespace transfer
