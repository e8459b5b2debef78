// SenderQuota: how many bytes each paired sender has stored on this server,
// against `serve --quota MIB` (none by default). Kept across runs in the
// server's profile (usage.list: FINGERPRINT BYTES per line), so reconnecting
// does not start the count again. A file counts once it has arrived whole;
// one that would take its sender past the quota is refused before anything is
// written. Deleting received files does not give the space back: revoke and
// pair again, or edit the list, to reset a sender.
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

    // Empty if `sender` may store `bytes` more, otherwise why not.
    std::string Check(const std::string& sender, std::uint64_t bytes);
    void Add(const std::string& sender, std::uint64_t bytes);
    std::uint64_t Used(const std::string& sender);

  private:
    void Save();

    std::string file_;
    std::uint64_t limit_;
    std::mutex mutex_;
    std::map<std::string, std::uint64_t> used_;
};

}  // namespace transfer
