// The part file's life on the server: open and re-hash, write, verify, rename.
#include "PartFile.h"

#include "PathSafety.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace transfer {

namespace {

std::string Reason(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

}  // namespace

std::string PartFile::Open(int root, const FileHeader& header) {
    header_ = header;
    if (std::string problem = CheckRelativePath(header.path); !problem.empty()) {
        return problem;
    }
    std::vector<std::string> components = SplitPath(header.path);
    std::string problem;
    folder_ = OpenFolders(root, components, false, problem);
    if (!folder_.IsOpen()) {
        return problem;
    }
    name_ = components.back();
    part_ = PartName(name_);
    struct stat info {};
    if (::fstatat(folder_.Get(), name_.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(info.st_mode)) {
            return "'" + header.path +
                   "' is a symbolic link on the server, which is never replaced";
        }
        if (!S_ISREG(info.st_mode)) {
            return "'" + header.path + "' exists on the server and is not a regular file";
        }
    }
    file_ = xsock::Descriptor(
        ::openat(folder_.Get(), part_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file_.IsOpen()) {
        return errno == ELOOP ? "the part file for '" + header.path + "' is a symbolic link"
                              : Reason("cannot create the part file for '" + header.path + "'");
    }
    if (::fstat(file_.Get(), &info) != 0 || !S_ISREG(info.st_mode)) {
        return "the part file for '" + header.path + "' is not a regular file";
    }
    if (::flock(file_.Get(), LOCK_EX | LOCK_NB) != 0) {
        return "another sender is sending '" + header.path + "' right now";
    }
    const auto held = static_cast<std::uint64_t>(info.st_size);
    if (held == 0 || held > header.size) {
        return {};  // nothing to resume; StartAt(0) truncates
    }
    // Hash the prefix twice over: once to offer it, once to continue from it.
    xsock::demo::Sha256 check;
    std::vector<char> block(kMaxChunk);
    for (std::uint64_t at = 0; at < held;) {
        ssize_t n = ::pread(file_.Get(), block.data(), block.size(), static_cast<off_t>(at));
        if (n <= 0) {
            return n < 0 ? Reason("cannot read the part file of '" + header.path + "'")
                         : "the part file of '" + header.path + "' shrank while being read";
        }
        check.Update(block.data(), static_cast<std::size_t>(n));
        sha_.Update(block.data(), static_cast<std::size_t>(n));
        at += static_cast<std::uint64_t>(n);
    }
    prefix_ = check.Finish();
    offset_ = held;
    return {};
}

void PartFile::StartAt(std::uint64_t offset) {
    if (offset != 0 && offset != offset_) {
        throw std::runtime_error("the sender asked to start at " + std::to_string(offset) +
                                 ", not at the offered " + std::to_string(offset_));
    }
    if (offset == 0) {
        if (::ftruncate(file_.Get(), 0) != 0) {
            writeError_ = Reason("cannot truncate the part file");
        }
        sha_.Finish();  // drops the prefix hashed in Open
    }
    start_ = offset;
    position_ = offset;
}

void PartFile::Write(const char* data, std::size_t length) {
    if (position_ + length > header_.size) {
        throw std::runtime_error("the sender sent more than the " + std::to_string(header_.size) +
                                 " bytes it announced");
    }
    if (writeError_.empty()) {
        sha_.Update(data, length);
        for (std::size_t done = 0; done < length;) {
            ssize_t n = ::pwrite(file_.Get(), data + done, length - done,
                                 static_cast<off_t>(position_ + done));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                writeError_ = Reason("cannot write '" + header_.path + "'");
                break;
            }
            done += static_cast<std::size_t>(n);
        }
    }
    position_ += length;
}

std::string PartFile::Finish(const Digest& claimed) {
    if (!writeError_.empty()) {
        return writeError_;
    }
    if (position_ != header_.size) {
        return "'" + header_.path + "' ended after " + std::to_string(position_) + " of " +
               std::to_string(header_.size) + " bytes";
    }
    Digest digest = sha_.Finish();
    if (digest != claimed) {
        ::unlinkat(folder_.Get(), part_.c_str(), 0);
        return "checksum mismatch for '" + header_.path + "': the sender says " +
               xsock::demo::Sha256::Hex(claimed) + ", the server received " +
               xsock::demo::Sha256::Hex(digest) + "; the partial file was removed";
    }
    // Special bits (setuid, setgid, sticky) are not taken from a sender.
    if (::fchmod(file_.Get(), header_.mode & 0777) != 0) {
        return Reason("cannot set the mode of '" + header_.path + "'");
    }
    const struct timespec times[2] = {
        {0, UTIME_OMIT},
        {static_cast<time_t>(header_.mtimeSeconds), static_cast<long>(header_.mtimeNanoseconds)}};
    if (header_.mtimeNanoseconds >= 1000000000u || ::futimens(file_.Get(), times) != 0) {
        return Reason("cannot set the modification time of '" + header_.path + "'");
    }
    if (::renameat(folder_.Get(), part_.c_str(), folder_.Get(), name_.c_str()) != 0) {
        return Reason("cannot rename the part file to '" + header_.path + "'");
    }
    return {};
}

}  // namespace transfer
