// The path checks and the openat walk behind PathSafety.h.
#include "PathSafety.h"

#include "TransferProtocol.h"

#include <Sha256.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace transfer {

namespace {

// NAME_MAX of Linux's file systems; a longer name cannot be created anyway.
constexpr std::size_t kNameMax = 255;

bool EndsWith(std::string_view text, std::string_view tail) {
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

}  // namespace

std::string CheckRelativePath(std::string_view path) {
    if (path.empty()) {
        return "the path is empty";
    }
    if (path.find('\0') != std::string_view::npos) {
        return "the path contains a NUL byte";
    }
    if (path.front() == '/') {
        return "the path is absolute";
    }
    std::size_t start = 0;
    for (;;) {
        std::size_t slash = path.find('/', start);
        std::string_view component = path.substr(start, slash - start);
        if (component.empty()) {
            return "the path has an empty component";
        }
        if (component == "." || component == "..") {
            return "the path has a '" + std::string(component) + "' component";
        }
        if (component.size() > kNameMax) {
            return "a name in the path is longer than " + std::to_string(kNameMax) + " bytes";
        }
        if (component == kPartsFolder) {
            return "'" + std::string(kPartsFolder) + "' is kept for partial files";
        }
        if (EndsWith(component, kPartSuffix)) {
            return "names ending in " + std::string(kPartSuffix) + " are kept for partial files";
        }
        if (slash == std::string_view::npos) {
            return {};
        }
        start = slash + 1;
    }
}

std::vector<std::string> SplitPath(std::string_view path) {
    std::vector<std::string> components;
    std::size_t start = 0;
    for (;;) {
        std::size_t slash = path.find('/', start);
        components.emplace_back(path.substr(start, slash - start));
        if (slash == std::string_view::npos) {
            return components;
        }
        start = slash + 1;
    }
}

xsock::Descriptor OpenFolders(int root, const std::vector<std::string>& components,
                              bool includeLast, std::string& error, std::size_t* created) {
    xsock::Descriptor current(::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!current.IsOpen()) {
        error = std::string("cannot open the server's folder: ") + std::strerror(errno);
        return {};
    }
    std::size_t count = components.size() - (includeLast || components.empty() ? 0 : 1);
    std::string walked;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string& name = components[i];
        walked += (walked.empty() ? "" : "/") + name;
        if (::mkdirat(current.Get(), name.c_str(), 0755) == 0) {
            if (created != nullptr) {
                ++*created;
            }
        } else if (errno != EEXIST) {
            error = "cannot create folder '" + walked + "': " + std::strerror(errno);
            return {};
        }
        xsock::Descriptor next(
            ::openat(current.Get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next.IsOpen()) {
            int cause = errno;
            struct stat info {};
            bool link = ::fstatat(current.Get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
                        S_ISLNK(info.st_mode);
            error = link ? "'" + walked + "' is a symbolic link, which is never followed"
                         : "cannot open folder '" + walked + "': " + std::strerror(cause);
            return {};
        }
        current = std::move(next);
    }
    return current;
}

std::string PartName(std::string_view senderId, std::string_view path) {
    xsock::demo::Sha256 sha;
    sha.Update(senderId.data(), senderId.size());
    sha.Update("", 1);  // a NUL cannot occur in either, so no two pairs collide
    sha.Update(path.data(), path.size());
    return xsock::demo::Sha256::Hex(sha.Finish()) + kPartSuffix;
}

xsock::Descriptor OpenPartsFolder(int root, bool create, std::string& error) {
    if (create && ::mkdirat(root, kPartsFolder, 0700) != 0 && errno != EEXIST) {
        error = std::string("cannot create the partial files' folder: ") + std::strerror(errno);
        return {};
    }
    xsock::Descriptor parts(
        ::openat(root, kPartsFolder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!parts.IsOpen() && (create || errno != ENOENT)) {
        error = errno == ELOOP || errno == ENOTDIR
                    ? std::string("the partial files' folder is not a folder (a symbolic link?)")
                    : std::string("cannot open the partial files' folder: ") + std::strerror(errno);
        return parts;
    }
    if (parts.IsOpen()) {
        if (std::string why = UnsafeFolderReason(parts.Get(), ::geteuid()); !why.empty()) {
            error = "the partial files' folder " + std::string(kPartsFolder) + " " + why +
                    ": another user could read, replace or swap what is received; remove it "
                    "or make it the server's own with mode 0700";
            return {};
        }
    }
    return parts;
}

std::string UnsafeFolderReason(int folder, uid_t owner) {
    struct stat info {};
    if (::fstat(folder, &info) != 0) {
        return std::string("cannot be examined (") + std::strerror(errno) + ")";
    }
    if (info.st_uid != owner) {
        return "belongs to user " + std::to_string(info.st_uid);
    }
    if (info.st_mode & (S_IWGRP | S_IWOTH)) {
        return "can be written by others";
    }
    return {};
}

std::string UnsafePartFileReason(int file, uid_t owner) {
    struct stat info {};
    if (::fstat(file, &info) != 0) {
        return std::string("cannot be examined (") + std::strerror(errno) + ")";
    }
    if (!S_ISREG(info.st_mode)) {
        return "is not a regular file";
    }
    if (info.st_uid != owner) {
        return "belongs to user " + std::to_string(info.st_uid);
    }
    if (info.st_nlink > 1) {
        return "has other names (hard links)";
    }
    return {};
}

}  // namespace transfer
