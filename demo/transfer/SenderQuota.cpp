#include "SenderQuota.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>

namespace transfer {

SenderQuota::SenderQuota(std::string file, std::uint64_t limit)
    : file_(std::move(file)), limit_(limit) {
    std::ifstream in(file_);
    std::string sender;
    std::uint64_t bytes = 0;
    while (in >> sender >> bytes) {
        used_[sender] = bytes;
    }
}

std::string SenderQuota::Charge(const std::string& sender, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    std::uint64_t& used = used_[sender];
    if (bytes > UINT64_MAX - used) {
        // Only without a limit: a claim no disk could hold, which must not wrap the count.
        return "a file of " + std::to_string(bytes) + " bytes cannot be counted";
    }
    if (limit_ == 0 || (bytes <= limit_ && used <= limit_ - bytes)) {
        used += bytes;
        Save();
        return {};
    }
    return "this sender's quota of " + std::to_string(limit_) + " bytes would be exceeded (" +
           std::to_string(used) + " used, " + std::to_string(bytes) + " more asked)";
}

void SenderQuota::Refund(const std::string& sender, std::uint64_t bytes) {
    if (bytes == 0) {
        return;
    }
    std::lock_guard lock(mutex_);
    std::uint64_t& used = used_[sender];
    used -= std::min(bytes, used);
    Save();
}

std::uint64_t SenderQuota::Used(const std::string& sender) {
    std::lock_guard lock(mutex_);
    return used_[sender];
}

// Beside the list and renamed over it, so a crash never leaves half a list.
void SenderQuota::Save() {
    std::string temporary = file_ + ".new";
    {
        std::ofstream out(temporary, std::ios::trunc);
        for (const auto& [sender, bytes] : used_) {
            out << sender << " " << bytes << "\n";
        }
        if (!out.flush()) {
            return;
        }
    }
    std::rename(temporary.c_str(), file_.c_str());
}

}  // namespace transfer
