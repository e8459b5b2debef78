// The serve limits' defaults and options.
#include "ServeLimits.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace transfer {

mode_t ProcessUmask() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Umask:", 0) == 0) {
            return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8) & 0777);
        }
    }
    return 022;
}

std::chrono::seconds ServeLimits::SweepInterval() const {
    return std::clamp(partMaxAge / 4, std::chrono::seconds(1),
                      std::chrono::seconds(std::chrono::hours(1)));
}

bool SpaceLedger::Reserve(std::uint64_t bytes, std::uint64_t free, std::uint64_t reserve,
                          std::uint64_t* promised) {
    std::lock_guard lock(mutex_);
    *promised = promised_;
    if (free < reserve || promised_ > free - reserve || bytes > free - reserve - promised_) {
        return false;
    }
    promised_ += bytes;
    return true;
}

void SpaceLedger::Release(std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    promised_ -= std::min(bytes, promised_);
}

std::string CheckInodes(int root, const std::string& path, std::uint64_t needed,
                        std::uint64_t reserve) {
    struct statvfs disk {};
    if (::fstatvfs(root, &disk) != 0) {
        return "cannot tell the free inodes for '" + path + "': " + std::strerror(errno);
    }
    const std::uint64_t free = disk.f_favail;
    if (disk.f_files == 0 || (free >= reserve && free - reserve >= needed)) {
        return {};
    }
    return "not enough free inodes on the server for '" + path + "': " + std::to_string(needed) +
           " needed, " + std::to_string(free) + " free, of which " + std::to_string(reserve) +
           " are kept free";
}

const char kServeLimitsHelp[] =
    "  --reserve MIB      keep this much disk space free: a file that would eat\n"
    "                     into it is refused before it is written (default 256)\n"
    "  --reserve-inodes N keep this many inodes free: a file or folder that would\n"
    "                     use them is refused (default 10000)\n"
    "  --max-depth N      at most N folders deep (default 64)\n"
    "  --max-entries N    at most N files and folders per connection (default 100000)\n"
    "  --part-max-age SEC remove partial files untouched this long, at start and\n"
    "                     while serving (default 604800: 7 days)\n";

bool ParseServeLimit(const std::string& option, const char* value, ServeLimits& limits,
                     std::string& error) {
    if (option != "--reserve" && option != "--reserve-inodes" && option != "--max-depth" &&
        option != "--max-entries" && option != "--part-max-age") {
        return false;
    }
    char* end = nullptr;
    unsigned long long number = std::strtoull(value, &end, 10);
    bool positive = option != "--reserve" && option != "--reserve-inodes";
    if (end == value || *end != '\0' || value[0] == '-' || (positive && number == 0) ||
        number > (std::uint64_t{1} << 40)) {
        error = "bad value '" + std::string(value) + "' for " + option;
        return true;
    }
    if (option == "--reserve") {
        limits.reserveBytes = number << 20;
    } else if (option == "--reserve-inodes") {
        limits.reserveInodes = number;
    } else if (option == "--max-depth") {
        limits.maxDepth = static_cast<std::uint32_t>(std::min<unsigned long long>(number, 4096));
    } else if (option == "--max-entries") {
        limits.maxEntries = number;
    } else {
        limits.partMaxAge = std::chrono::seconds(number);
    }
    return true;
}

}  // namespace transfer
