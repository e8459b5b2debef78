// SenderQuota: how many bytes each paired sender has stored on this server,
// against `serve --quota MIB` (none by default). Kept across runs in the
// server's profile (usage.list: FINGERPRINT BYTES per line), so reconnecting
// does not start the count again. A file is charged in full when it is
// accepted, before any byte of it arrives, so that files under way on several
// connections at once cannot together pass the quota; one that would take its
// sender past the quota is refused before anything is written. When a file
// does not arrive whole, what is given back is what never reached the disk:
// the bytes its part file keeps for a resume stay counted until the resume,
// so part files left behind cannot pass the quota either (the sweep of stale
// part files gives nothing back). Deleting received files does not give the
// space back: revoke and pair again, or edit the list, to reset a sender.
// What is counted is bytes as sent, not the disk's blocks: a 1-byte file is
// charged 1 byte and takes a 4 KiB block, and folders and empty files are
// charged nothing, so a sender of many small files uses up to some 4000
// times its quota on disk. The free-space and free-inode reserves
// (ServeLimits) still bound the disk as a whole.
//
// Thread safety: shared by all sessions; every call locks.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace transfer {

class SenderQuota {
  public:
    // `limit` 0: no quota (usage is still counted).
    SenderQuota(std::string file, std::uint64_t limit);

    // Empty, and `bytes` counted, if `sender` may store `bytes` more;
    // otherwise why not.
    std::string Charge(const std::string& sender, std::uint64_t bytes);
    // Gives back bytes charged that were not stored after all.
    void Refund(const std::string& sender, std::uint64_t bytes);
    std::uint64_t Used(const std::string& sender);

  private:
    void Save();

    std::string file_;
    std::uint64_t limit_;
    std::mutex mutex_;
    std::map<std::string, std::uint64_t> used_;
};

}  // namespace transfer
