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
// What is counted is what the disk gives: a file's size in whole 4 KiB
// blocks, at least one (an empty file still takes an inode), and a block for
// every folder a sender's entries create, so that many small files or
// folders cannot use more disk than the quota says.
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

    // What `bytes` of a file are charged: whole blocks of kBlock, at least
    // one, as the disk allocates them; a folder is charged one block.
    static constexpr std::uint64_t kBlock = 4096;
    static std::uint64_t Cost(std::uint64_t bytes) noexcept {
        if (bytes > UINT64_MAX - kBlock) {
            return UINT64_MAX;
        }
        return bytes == 0 ? kBlock : (bytes + kBlock - 1) / kBlock * kBlock;
    }
    std::uint64_t Used(const std::string& sender);

  private:
    void Save();

    std::string file_;
    std::uint64_t limit_;
    std::mutex mutex_;
    std::map<std::string, std::uint64_t> used_;
};

}  // namespace transfer
