// ServeLimits: what one sender may make `xsock-transfer serve` do to its disk.
//
// Every limit has a default that suits a home folder; `serve` options change
// them (ParseServeLimit). The server holds back:
//
//   - free space: a file is accepted only if the disk keeps `reserveBytes`
//     free after it (checked with statvfs before anything is created);
//   - free inodes: a file or folder is accepted only if the file system
//     keeps `reserveInodes` inodes free after it and the folders on its way,
//     for empty files and folders use no space but can still exhaust them;
//   - modes: a sender's mode bits pass through the server's umask and never
//     make a file or folder writable by others;
//   - depth and entries: a path has at most `maxDepth` components, and one
//     connection sends at most `maxEntries` files and folders;
//   - part files: kept in DIR/.xsock-parts/ under a hash of (sender, path),
//     so any name up to NAME_MAX can be received and a sender sees and
//     resumes only its own; those untouched for `partMaxAge` are removed when
//     `serve` starts and every `SweepInterval()` while it runs.
//
// SpaceLedger counts the bytes promised to files being received and not yet
// written, so that senders at the same time cannot each be promised the same
// free space.
//
// Thread safety: ServeLimits is a plain value, copied into each session;
// SpaceLedger is shared by all sessions and locks. Errors: ParseServeLimit
// says why a value is refused.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace transfer {

// The umask of this process, read without changing it (Linux's
// /proc/self/status), or 022 where that is unavailable.
mode_t ProcessUmask();

struct ServeLimits {
    std::uint64_t reserveBytes = std::uint64_t{256} << 20;
    std::uint64_t reserveInodes = 10000;
    mode_t umask = ProcessUmask();
    std::uint32_t maxDepth = 64;
    std::uint64_t maxEntries = 100000;
    std::chrono::seconds partMaxAge = std::chrono::hours(24 * 7);

    // How often a running server looks for stale part files: a quarter of
    // their age, between one second and one hour.
    std::chrono::seconds SweepInterval() const;
};

class SpaceLedger {
  public:
    // Promises `bytes` if `free` less `reserve` covers them and every other
    // promise; false (and *promised set to the others' promises) otherwise.
    bool Reserve(std::uint64_t bytes, std::uint64_t free, std::uint64_t reserve,
                 std::uint64_t* promised);
    void Release(std::uint64_t bytes);

  private:
    std::mutex mutex_;
    std::uint64_t promised_ = 0;
};

// Empty if the file system under `root` keeps `reserve` inodes free once
// `needed` more are used (always, on file systems without an inode count),
// otherwise why `path` is refused.
std::string CheckInodes(int root, const std::string& path, std::uint64_t needed,
                        std::uint64_t reserve);

// The --help lines for the options below.
extern const char kServeLimitsHelp[];

// If `option` is one of --reserve MiB, --reserve-inodes N, --max-depth N,
// --max-entries N or --part-max-age SEC, applies `value` and returns true (with `error` set if
// the value is bad); otherwise returns false.
bool ParseServeLimit(const std::string& option, const char* value, ServeLimits& limits,
                     std::string& error);

}  // namespace transfer
