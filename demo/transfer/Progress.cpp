// The sender's progress bar and per-file summary lines.
#include "Progress.h"

#include <cstdio>
#include <iostream>

namespace transfer {

namespace {

constexpr auto kRedraw = std::chrono::milliseconds(100);

std::string Duration(double seconds) {
    auto whole = static_cast<long long>(seconds + 0.5);
    char text[32];
    std::snprintf(text, sizeof text, "%lld:%02lld", whole / 60, whole % 60);
    return text;
}

}  // namespace

std::string Progress::Bytes(double bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
    return text;
}

void Progress::Start(const std::string& name, std::uint64_t total, std::uint64_t already) {
    name_ = name;
    total_ = total;
    already_ = already;
    done_ = already;
    started_ = Clock::now();
    drawn_ = {};
    barShown_ = false;
    Draw(true);
}

void Progress::Advance(std::uint64_t bytes) {
    done_ += bytes;
    Draw(false);
}

void Progress::Draw(bool force) {
    if (!terminal_) {
        return;
    }
    Clock::time_point now = Clock::now();
    if (!force && now - drawn_ < kRedraw) {
        return;
    }
    drawn_ = now;
    double seconds = std::chrono::duration<double>(now - started_).count();
    double rate = seconds > 0 ? static_cast<double>(done_ - already_) / seconds : 0;
    double percent =
        total_ > 0 ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0;
    std::string eta = rate > 0 ? Duration(static_cast<double>(total_ - done_) / rate) : "--:--";
    constexpr int kWidth = 24;
    int filled = static_cast<int>(percent * kWidth / 100);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    char line[512];
    std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%% %s / %s  %s/s  ETA %s\033[K", name_.c_str(),
                  bar.c_str(), percent, Bytes(static_cast<double>(done_)).c_str(),
                  Bytes(static_cast<double>(total_)).c_str(), Bytes(rate).c_str(), eta.c_str());
    std::cerr << line << std::flush;
    barShown_ = true;
}

void Progress::Finish(const std::string& outcome) {
    if (barShown_) {
        Draw(true);
        std::cerr << "\n";
    }
    double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    double sent = static_cast<double>(done_ - already_);
    std::cout << outcome << " " << name_ << " (" << total_ << " bytes";
    if (already_ > 0) {
        std::cout << ", resumed at " << already_;
    }
    if (sent > 0 && seconds > 0) {
        std::cout << ", " << Bytes(sent / seconds) << "/s";
    }
    std::cout << ")" << std::endl;
}

}  // namespace transfer
