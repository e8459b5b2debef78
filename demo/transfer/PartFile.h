// PartFile: one incoming file on the server, from its header to its rename.
//
// Open checks the path (PathSafety.h), walks to its folder without following
// symbolic links, and opens the hidden part file ".NAME.xsock-part" there,
// locked so that two senders of the same path cannot interleave. Whatever
// the part file already holds (from an interrupted transfer) is hashed again,
// so the server can offer to resume from it and still vouch for every byte.
// Write appends at the current offset with pwrite and hashes as it goes;
// Finish compares the digest with the sender's, applies mode and time, and
// only then renames the part file to its final name. A mismatch removes the
// part file; an interruption (the object destroyed without Finish) keeps it
// for the next attempt.
//
// Thread safety: one object per connection thread. Errors: Open, Finish and
// the write error kept by Write are reasons a person can read; protocol
// violations (a bad StartAt, more bytes than announced) throw
// std::runtime_error.
#pragma once

#include "TransferProtocol.h"

#include <Sha256.h>
#include <xsock/Descriptor.h>

#include <cstdint>
#include <string>

namespace transfer {

class PartFile {
  public:
    // Empty on success, otherwise why the file is refused.
    std::string Open(int root, const FileHeader& header);

    // What the part file held when opened (0 if it was longer than the file).
    std::uint64_t Offset() const noexcept { return offset_; }
    const Digest& PrefixDigest() const noexcept { return prefix_; }

    // The sender's choice: resume at Offset(), or start over at 0.
    void StartAt(std::uint64_t offset);
    void Write(const char* data, std::size_t length);
    // Empty once the file is in place under its final name.
    std::string Finish(const Digest& claimed);

    std::uint64_t Position() const noexcept { return position_; }
    std::uint64_t ResumedFrom() const noexcept { return start_; }

  private:
    FileHeader header_;
    xsock::Descriptor folder_;
    xsock::Descriptor file_;
    std::string name_;
    std::string part_;
    xsock::demo::Sha256 sha_;
    Digest prefix_{};
    std::uint64_t offset_ = 0;
    std::uint64_t start_ = 0;
    std::uint64_t position_ = 0;
    std::string writeError_;
};

}  // namespace transfer
