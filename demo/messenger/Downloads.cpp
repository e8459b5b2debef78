// Downloads: free space, partial files and names that never overwrite (see
// Downloads.h).
#include "Downloads.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <system_error>

namespace messenger {

namespace {

// Enough numbered names for any folder a person keeps; past them, refuse.
constexpr int kMaxNumberedNames = 1000;

constexpr char kPartialPrefix[] = ".xsock-part-";
// A partial file is created, then locked: one younger than this may be
// between the two.
constexpr auto kStaleAfter = std::chrono::minutes(1);

std::string Reason(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

}  // namespace

std::string CheckFreeSpace(const std::filesystem::path& folder, std::uint64_t needed,
                           std::uint64_t margin) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    struct statvfs disk {};
    if (::statvfs(folder.c_str(), &disk) != 0) {
        return Reason("cannot tell the free space in " + folder.string());
    }
    const std::uint64_t free = static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize;
    if (free < margin || free - margin < needed) {
        return "not enough space: " + std::to_string(needed) + " bytes needed, " +
               std::to_string(free) + " free, of which " + std::to_string(margin) +
               " are kept free";
    }
    return {};
}

xsock::Descriptor CreatePartial(const std::filesystem::path& folder, std::filesystem::path& partial,
                                std::string& why) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) {
        why = "cannot create " + folder.string() + ": " + error.message();
        return xsock::Descriptor();
    }
    std::random_device random;
    for (int attempt = 0; attempt < 16; ++attempt) {
        char suffix[17];
        std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
        partial = folder / (std::string(".xsock-part-") + suffix);
        xsock::Descriptor file(
            ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (file.IsOpen() || errno != EEXIST) {
            if (!file.IsOpen()) {
                why = Reason("cannot create a partial file in " + folder.string());
            }
            return file;
        }
    }
    why = "cannot create a partial file in " + folder.string() + ": every name taken";
    return xsock::Descriptor();
}

std::size_t RemoveStalePartials(const std::filesystem::path& folder) {
    std::size_t removed = 0;
    std::error_code error;
    const auto now = std::filesystem::file_time_type::clock::now();
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(kPartialPrefix, 0) != 0 || !entry.is_regular_file(error) ||
            entry.is_symlink(error) || now - entry.last_write_time(error) < kStaleAfter) {
            continue;
        }
        xsock::Descriptor file(::open(entry.path().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (file.IsOpen() && ::flock(file.Get(), LOCK_EX | LOCK_NB) == 0 &&
            ::unlink(entry.path().c_str()) == 0) {
            ++removed;
        }
    }
    return removed;
}

std::string NumberedName(const std::string& name, int number) {
    std::size_t dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0) {
        dot = name.size();
    }
    return name.substr(0, dot) + " (" + std::to_string(number) + ")" + name.substr(dot);
}

std::string PlaceFile(const std::filesystem::path& partial, const std::filesystem::path& folder,
                      const std::string& name, std::string& why) {
    for (int number = 0; number <= kMaxNumberedNames; ++number) {
        std::string candidate = number == 0 ? name : NumberedName(name, number);
        std::filesystem::path target = folder / candidate;
        xsock::Descriptor placeholder(
            ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!placeholder.IsOpen()) {
            if (errno == EEXIST) {
                continue;
            }
            why = Reason("cannot create " + candidate);
            return {};
        }
        placeholder.Reset();
        if (::rename(partial.c_str(), target.c_str()) != 0) {
            why = Reason("cannot rename the partial file to " + candidate);
            ::unlink(target.c_str());
            return {};
        }
        return candidate;
    }
    why = "'" + name + "' and its numbered names up to " + std::to_string(kMaxNumberedNames) +
          " all exist";
    return {};
}

}  // namespace messenger
