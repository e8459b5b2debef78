// PartFile: one incoming file on the server, from its header to its rename.
//
// Open checks the path (PathSafety.h) and that the disk keeps
// ServeLimits::reserveBytes free once the file is complete (statvfs, before
// anything is created), walks to its folder without following symbolic
// links, and opens the part file DIR/.xsock-parts/HASH.xsock-part, named by
// a hash of the sender's id and the path (PartName), locked so that two
// connections of one sender cannot interleave. Only the sender that started
// a part file reaches it: another sender's id gives another name. Whatever
// the part file already holds (from an interrupted transfer) is hashed
// again, so the server can offer to resume from it and still vouch for every
// byte.
// Write appends at the current offset with pwrite and hashes as it goes; the
// form that takes a vector hands the block to two threads of the PartFile's
// own (BlockPipeline.h: one hashes, one writes, each in order), so that the
// connection's thread can receive the next chunk meanwhile. Finish and the
// destructor wait for both, so a verified or kept part file holds every
// byte written to it.
// Finish compares the digest with the sender's, applies mode (through the
// umask, never writable by others) and time, and only then renames the part
// file to its final name. A mismatch removes the
// part file; an interruption (the object destroyed without Finish) keeps it
// for the next attempt.
//
// Thread safety: one object per connection thread. Errors: Open, Finish and
// the write error kept by Write are reasons a person can read; protocol
// violations (a bad StartAt, more bytes than announced) throw
// std::runtime_error.
#pragma once

#include "BlockPipeline.h"
#include "ServeLimits.h"
#include "TransferProtocol.h"

#include <Sha256.h>
#include <xsock/Descriptor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace transfer {

class PartFile {
  public:
    PartFile() = default;
    ~PartFile();
    PartFile(const PartFile&) = delete;
    PartFile& operator=(const PartFile&) = delete;

    // Empty on success, otherwise why the file is refused. `senderId` names
    // the sender for its part files (an address, or its key's fingerprint).
    // The free space it needs is promised in `ledger` (shared by the
    // server's sessions) until written or until the PartFile goes.
    std::string Open(int root, const FileHeader& header, const std::string& senderId = {},
                     const ServeLimits& limits = {}, SpaceLedger* ledger = nullptr);

    // What the part file held when opened (0 if it was longer than the file).
    std::uint64_t Offset() const noexcept { return offset_; }
    const Digest& PrefixDigest() const noexcept { return prefix_; }

    // The sender's choice: resume at Offset(), or start over at 0.
    void StartAt(std::uint64_t offset);
    void Write(const char* data, std::size_t length);
    // The same, on the hashing and writing threads: `block` is swapped for a
    // free buffer to fill next (at most kPipelineBuffers are in flight).
    void Write(std::vector<char>& block);
    // Waits until every byte handed to Write is in the part file (as the
    // destructor does), so that an interruption is reported once it is kept.
    void Settle() noexcept;
    // Empty once the file is in place under its final name.
    std::string Finish(const Digest& claimed);

    std::uint64_t Position() const noexcept { return position_; }
    std::uint64_t ResumedFrom() const noexcept { return start_; }
    // What the open part file holds on disk now: nothing if it was removed
    // (a mismatch) or never opened; the whole file once renamed into place.
    std::optional<std::uint64_t> Stored() const noexcept;
    // How many folders on the file's way Open created.
    std::size_t CreatedFolders() const noexcept { return createdFolders_; }

    static constexpr std::size_t kPipelineBuffers = 4;

  private:
    std::string OpenPart(const std::string& senderId);
    // The announced size and the promised space, before a block is taken.
    void Account(std::size_t length);
    // pwrite at `at`, unless a write failed already; keeps the first error.
    void WriteAt(const char* data, std::size_t length, std::uint64_t at);

    FileHeader header_;
    ServeLimits limits_;
    xsock::Descriptor folder_;
    xsock::Descriptor parts_;
    xsock::Descriptor file_;
    std::string name_;
    std::string part_;
    xsock::demo::Sha256 sha_;
    Digest prefix_{};
    std::uint64_t offset_ = 0;
    std::uint64_t start_ = 0;
    std::uint64_t position_ = 0;
    std::string writeError_;
    SpaceLedger* ledger_ = nullptr;
    std::uint64_t promised_ = 0;
    std::size_t createdFolders_ = 0;
    std::uint64_t written_ = 0;  // where the writing thread appends next
    // Last: its threads use the members above until it is gone.
    std::unique_ptr<BlockPipeline> pipeline_;
};

// What `senderId`'s part file for `path` holds now (nothing if there is
// none), without creating or locking anything.
std::optional<std::uint64_t> PartBytes(int root, const std::string& senderId,
                                       const std::string& path);

// Removes the part files below `root` that were not written for `maxAge`
// and that no connection holds; returns how many went.
std::size_t RemoveStaleParts(int root, std::chrono::seconds maxAge);

}  // namespace transfer
