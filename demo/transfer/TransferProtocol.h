// The messages xsock-transfer sends, as xsock::Object classes that an Archive
// carries in MFC's wire format.
//
// Everything travels inside mutual TLS: each side presents the certificate of
// its own key pair (demo/common/Identity.h). A connection opens with
//
//   S: Hello                                R: Result (paired: go on) or
//   (pairing)                               R: PairProof
//   S: PairProof                            R: Result
//
// A paired sender (its key is on the server's authorized list) says
// Hello{pairing = false} and gets Result{ok}; an unknown key gets
// Result{!ok} and the connection ends before any entry. To pair, the sender
// says Hello{pairing = true}; the server takes its open pairing code out of
// use and proves it knows it first, the sender checks that proof and proves
// its own (demo/common/Pairing.h), and the server then authorizes the
// sender's key while the sender pins the server's.
//
// Then any number of entries, each in this order (S is the sender, R the
// receiving server; every message is WriteClass + Serialize, so the class tag
// names the message and only a handful of classes are ever mapped, however
// many chunks travel):
//
//   directory:  S: DirectoryEntry          R: Result
//   file:       S: FileHeader              R: Result (refused) or ResumeOffset
//               S: StartAt, Chunk..., FileDone
//               R: Result
//
// FileHeader names the file by its path relative to the server's folder, with
// '/' separators, and gives its size, mode and modification time. The server
// checks the path (see PathSafety.h) and the free space, and opens the
// sender's part file for that path in DIR/.xsock-parts/. ResumeOffset tells how many
// bytes of that part file it already holds and their SHA-256, so the sender
// can check that the prefix is its own before it continues from there;
// StartAt is its answer: that offset, or 0 to start over. The chunks carry
// the bytes from that offset to the end, at most kMaxChunk each. FileDone
// carries the sender's SHA-256 of the whole file, worked out while sending
// (so the file is read once, not once to hash and once to send); the server
// compares it with its own digest of what it wrote. Only if the two agree is
// the part file given its mode and time and renamed to the final name, so an
// interrupted transfer never leaves a file that looks complete, and sending
// again resumes. Result says whether an entry arrived, and why not.
//
// A server that cannot write (disk full, a file-size limit) keeps reading the
// chunks so the stream stays in step, and reports the error in the Result.
// Closing the connection between entries ends the session.
#pragma once

#include <xsock/Archive.h>
#include <xsock/Object.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace transfer {

using Digest = std::array<std::uint8_t, 32>;

inline constexpr std::uint32_t kMaxChunk = 1u << 20;
inline constexpr const char* kPartSuffix = ".xsock-part";

class FileHeader : public xsock::Object {
    XSOCK_DECLARE_SERIAL(FileHeader)
  public:
    void Serialize(xsock::Archive& ar) override;

    std::string path;
    std::uint64_t size = 0;
    std::uint32_t mode = 0644;
    std::int64_t mtimeSeconds = 0;
    std::uint32_t mtimeNanoseconds = 0;
};

class Hello : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Hello)
  public:
    void Serialize(xsock::Archive& ar) override;

    bool pairing = false;
};

class PairProof : public xsock::Object {
    XSOCK_DECLARE_SERIAL(PairProof)
  public:
    void Serialize(xsock::Archive& ar) override;

    Digest proof{};
};

// A folder, sent before its contents so that empty folders arrive too.
class DirectoryEntry : public xsock::Object {
    XSOCK_DECLARE_SERIAL(DirectoryEntry)
  public:
    void Serialize(xsock::Archive& ar) override;

    std::string path;
    std::uint32_t mode = 0755;
};

class ResumeOffset : public xsock::Object {
    XSOCK_DECLARE_SERIAL(ResumeOffset)
  public:
    void Serialize(xsock::Archive& ar) override;

    std::uint64_t offset = 0;
    Digest prefix{};  // SHA-256 of the part file's first `offset` bytes
};

class StartAt : public xsock::Object {
    XSOCK_DECLARE_SERIAL(StartAt)
  public:
    void Serialize(xsock::Archive& ar) override;

    std::uint64_t offset = 0;
};

// Reused for every chunk of a connection: `bytes` keeps its capacity.
class Chunk : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Chunk)
  public:
    void Serialize(xsock::Archive& ar) override;

    std::vector<char> bytes;
};

class FileDone : public xsock::Object {
    XSOCK_DECLARE_SERIAL(FileDone)
  public:
    void Serialize(xsock::Archive& ar) override;

    Digest sha256{};
};

class Result : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Result)
  public:
    void Serialize(xsock::Archive& ar) override;

    bool ok = false;
    std::string message;  // why it was refused, or what was done
};

// One message: its class tag, then its data.
void Store(xsock::Archive& ar, const xsock::Object& message);

// Reads the next message's class tag; the caller then calls that class's
// Serialize. Throws ArchiveException(endOfFile) at the end of the stream.
const xsock::RuntimeClass* NextMessage(xsock::Archive& ar);

// Reads a message of one known class, or throws ArchiveException(badClass).
void Expect(xsock::Archive& ar, xsock::Object& message);

}  // namespace transfer
