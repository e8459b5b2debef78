// The part file's life on the server: open and re-hash, write, verify, rename.
#include "PartFile.h"

#include "PathSafety.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace transfer {

namespace {

std::string Reason(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// Whether the disk under `root` keeps `reserve` bytes free once `needed`
// more, and all the bytes `ledger` promised to other files, are written;
// empty if so, and then `needed` is promised too.
std::string CheckSpace(int root, const std::string& path, std::uint64_t needed,
                       std::uint64_t reserve, SpaceLedger& ledger) {
    struct statvfs disk {};
    if (::fstatvfs(root, &disk) != 0) {
        return Reason("cannot tell the free space for '" + path + "'");
    }
    const std::uint64_t free = static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize;
    std::uint64_t promised = 0;
    if (!ledger.Reserve(needed, free, reserve, &promised)) {
        return "not enough space on the server for '" + path + "': " + std::to_string(needed) +
               " bytes needed, " + std::to_string(free) + " free, of which " +
               std::to_string(reserve) + " are kept free" +
               (promised > 0 ? " and " + std::to_string(promised) + " promised to other files"
                             : std::string());
    }
    return {};
}

// What the part file `part` holds, without creating anything; nothing if
// there is none.
std::optional<std::uint64_t> HeldBytes(int root, const std::string& part, std::string& problem) {
    struct stat info {};
    xsock::Descriptor parts = OpenPartsFolder(root, false, problem);
    if (parts.IsOpen() && ::fstatat(parts.Get(), part.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(info.st_mode)) {
        return static_cast<std::uint64_t>(info.st_size);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> PartBytes(int root, const std::string& senderId,
                                       const std::string& path) {
    std::string ignored;
    return HeldBytes(root, PartName(senderId, path), ignored);
}

std::optional<std::uint64_t> PartFile::Stored() const noexcept {
    struct stat info {};
    if (!file_.IsOpen() || ::fstat(file_.Get(), &info) != 0 || info.st_nlink == 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(info.st_size);
}

PartFile::~PartFile() {
    pipeline_.reset();  // what was received is written, for a resume
    if (ledger_ != nullptr) {
        ledger_->Release(promised_);
    }
}

std::string PartFile::Open(int root, const FileHeader& header, const std::string& senderId,
                           const ServeLimits& limits, SpaceLedger* ledger) {
    header_ = header;
    limits_ = limits;
    if (std::string problem = CheckRelativePath(header.path); !problem.empty()) {
        return problem;
    }
    std::vector<std::string> components = SplitPath(header.path);
    part_ = PartName(senderId, header.path);
    // What this sender already sent counts as written; nothing is created yet.
    std::string problem;
    const std::uint64_t held = HeldBytes(root, part_, problem).value_or(0);
    if (!problem.empty()) {
        return problem;
    }
    // The part file and every folder on its way, were none of them there yet.
    problem = CheckInodes(root, header.path, components.size(), limits.reserveInodes);
    if (!problem.empty()) {
        return problem;
    }
    const std::uint64_t needed = header.size - (held <= header.size ? held : 0);
    static SpaceLedger unshared;  // for a PartFile used on its own
    ledger_ = ledger != nullptr ? ledger : &unshared;
    problem = CheckSpace(root, header.path, needed, limits.reserveBytes, *ledger_);
    if (!problem.empty()) {
        return problem;
    }
    promised_ = needed;
    folder_ = OpenFolders(root, components, false, problem, &createdFolders_);
    if (!folder_.IsOpen()) {
        return problem;
    }
    name_ = components.back();
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
    parts_ = OpenPartsFolder(root, true, problem);
    if (!parts_.IsOpen()) {
        return problem;
    }
    return OpenPart(senderId);
}

std::string PartFile::OpenPart(const std::string& senderId) {
    const std::string& path = header_.path;
    struct stat info {};
    // Twice at most: the sweep of stale part files may unlink the one just
    // opened before its lock is taken.
    for (int attempt = 0;; ++attempt) {
        file_ = xsock::Descriptor(
            ::openat(parts_.Get(), part_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!file_.IsOpen()) {
            return errno == ELOOP ? "the part file for '" + path + "' is a symbolic link"
                                  : Reason("cannot create the part file for '" + path + "'");
        }
        if (std::string why = UnsafePartFileReason(file_.Get(), ::geteuid()); !why.empty()) {
            file_.Reset();
            return "the part file for '" + path + "' " + why;
        }
        if (::flock(file_.Get(), LOCK_EX | LOCK_NB) != 0) {
            return senderId.empty() ? "another sender is sending '" + path + "' right now"
                                    : "'" + path + "' is being sent on another connection";
        }
        if (::fstat(file_.Get(), &info) == 0 && info.st_nlink > 0) {
            break;
        }
        if (attempt > 0) {
            return "the part file for '" + path + "' keeps disappearing";
        }
    }
    const auto held = static_cast<std::uint64_t>(info.st_size);
    if (held == 0 || held > header_.size) {
        return {};  // nothing to resume; StartAt(0) truncates
    }
    // Hash the prefix twice over: once to offer it, once to continue from it.
    xsock::demo::Sha256 check;
    std::vector<char> block(kMaxChunk);
    for (std::uint64_t at = 0; at < held;) {
        ssize_t n = ::pread(file_.Get(), block.data(), block.size(), static_cast<off_t>(at));
        if (n <= 0) {
            return n < 0 ? Reason("cannot read the part file of '" + path + "'")
                         : "the part file of '" + path + "' shrank while being read";
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
        // Only a part file that holds something is truncated: ext4 takes a
        // truncation to 0 for a file being rewritten in place and starts
        // writing all of it back at close, which the sender would wait for.
        struct stat info {};
        if ((::fstat(file_.Get(), &info) != 0 || info.st_size != 0) &&
            ::ftruncate(file_.Get(), 0) != 0) {
            writeError_ = Reason("cannot truncate the part file");
        }
        sha_.Finish();  // drops the prefix hashed in Open
    }
    start_ = offset;
    position_ = offset;
}

void PartFile::Account(std::size_t length) {
    if (position_ + length > header_.size) {
        throw std::runtime_error("the sender sent more than the " + std::to_string(header_.size) +
                                 " bytes it announced");
    }
    if (ledger_ != nullptr) {
        const std::uint64_t written = std::min<std::uint64_t>(length, promised_);
        ledger_->Release(written);
        promised_ -= written;
    }
}

void PartFile::WriteAt(const char* data, std::size_t length, std::uint64_t at) {
    for (std::size_t done = 0; done < length && writeError_.empty();) {
        ssize_t n =
            ::pwrite(file_.Get(), data + done, length - done, static_cast<off_t>(at + done));
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

void PartFile::Write(const char* data, std::size_t length) {
    Account(length);
    if (pipeline_) {
        pipeline_->Drain();  // in order after the blocks handed before
    }
    if (writeError_.empty()) {
        sha_.Update(data, length);
        WriteAt(data, length, position_);
    }
    position_ += length;
    written_ = position_;
}

void PartFile::Write(std::vector<char>& block) {
    Account(block.size());
    if (!pipeline_) {
        written_ = position_;
        // After a failed write the file is refused at Finish, but the stream
        // is still read in step; only the writing thread reads writeError_.
        std::vector<BlockPipeline::Stage> stages{
            [this](const char* data, std::size_t length) { sha_.Update(data, length); },
            [this](const char* data, std::size_t length) {
                WriteAt(data, length, written_);
                written_ += length;
            }};
        pipeline_ = std::make_unique<BlockPipeline>(std::move(stages), kPipelineBuffers);
    }
    position_ += block.size();
    pipeline_->Hand(block);
}

void PartFile::Settle() noexcept {
    if (pipeline_) {
        try {
            pipeline_->Drain();
        } catch (const std::exception&) {
            // The hash is lost, which only matters to Finish; the bytes are written.
        }
    }
}

std::string PartFile::Finish(const Digest& claimed) {
    if (pipeline_) {
        pipeline_->Drain();
    }
    if (!writeError_.empty()) {
        return writeError_;
    }
    if (position_ != header_.size) {
        return "'" + header_.path + "' ended after " + std::to_string(position_) + " of " +
               std::to_string(header_.size) + " bytes";
    }
    Digest digest = sha_.Finish();
    if (digest != claimed) {
        ::unlinkat(parts_.Get(), part_.c_str(), 0);
        return "checksum mismatch for '" + header_.path + "': the sender says " +
               xsock::demo::Sha256::Hex(claimed) + ", the server received " +
               xsock::demo::Sha256::Hex(digest) + "; the partial file was removed";
    }
    // Special bits (setuid, setgid, sticky) are not taken from a sender, nor
    // more than the umask allows, nor write access for others.
    const mode_t mode = header_.mode & 0777 & ~limits_.umask & ~static_cast<mode_t>(S_IWOTH);
    if (::fchmod(file_.Get(), mode) != 0) {
        return Reason("cannot set the mode of '" + header_.path + "'");
    }
    const struct timespec times[2] = {
        {0, UTIME_OMIT},
        {static_cast<time_t>(header_.mtimeSeconds), static_cast<long>(header_.mtimeNanoseconds)}};
    if (header_.mtimeNanoseconds >= 1000000000u || ::futimens(file_.Get(), times) != 0) {
        return Reason("cannot set the modification time of '" + header_.path + "'");
    }
    if (::renameat(parts_.Get(), part_.c_str(), folder_.Get(), name_.c_str()) != 0) {
        return Reason("cannot rename the part file to '" + header_.path + "'");
    }
    return {};
}

std::size_t RemoveStaleParts(int root, std::chrono::seconds maxAge) {
    std::string problem;
    xsock::Descriptor parts = OpenPartsFolder(root, false, problem);
    if (!parts.IsOpen()) {
        return 0;
    }
    xsock::Descriptor listing(::openat(parts.Get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* folder = listing.IsOpen() ? ::fdopendir(listing.Get()) : nullptr;
    if (folder == nullptr) {
        return 0;
    }
    static_cast<void>(listing.Release());  // closedir closes it
    const auto now = std::chrono::system_clock::now();
    auto old = [&](const struct stat& info) {
        return S_ISREG(info.st_mode) &&
               now - std::chrono::system_clock::from_time_t(info.st_mtim.tv_sec) > maxAge;
    };
    std::vector<std::string> stale;
    while (const dirent* entry = ::readdir(folder)) {
        struct stat info {};
        std::string name = entry->d_name;
        if (name.size() > std::string_view(kPartSuffix).size() && name.ends_with(kPartSuffix) &&
            ::fstatat(parts.Get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && old(info)) {
            stale.push_back(std::move(name));
        }
    }
    ::closedir(folder);
    std::size_t removed = 0;
    for (const std::string& name : stale) {
        // A part file a connection holds (locked) is in use, however old; one
        // written to since the listing is no longer stale.
        xsock::Descriptor file(
            ::openat(parts.Get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        struct stat info {};
        if (file.IsOpen() && ::flock(file.Get(), LOCK_EX | LOCK_NB) == 0 &&
            ::fstat(file.Get(), &info) == 0 && old(info) &&
            ::unlinkat(parts.Get(), name.c_str(), 0) == 0) {
            ++removed;
        }
    }
    return removed;
}

}  // namespace transfer
