// The transfer messages' wire layouts. Paths and messages are CString-style
// narrow strings (UTF-8 bytes); digests are 32 raw bytes; a chunk is a 32-bit
// length and that many bytes, read straight into the reused buffer.
#include "TransferProtocol.h"

#include <xsock/ArchiveException.h>

namespace transfer {

namespace {

// Paths and messages are short; a hostile length is refused before anything
// is allocated. A message may quote a path twice and two digests.
constexpr std::uint64_t kMaxPathBytes = 4096;
constexpr std::uint64_t kMaxMessageBytes = 16384;

void ExchangeDigest(xsock::Archive& ar, Digest& digest) {
    if (ar.IsStoring()) {
        ar.Write(digest.data(), digest.size());
    } else if (ar.Read(digest.data(), digest.size()) != digest.size()) {
        throw xsock::ArchiveException(xsock::ArchiveException::endOfFile);
    }
}

void ExchangeText(xsock::Archive& ar, std::string& text, std::uint64_t maxBytes) {
    if (ar.IsStoring()) {
        ar << text;
        return;
    }
    xsock::Archive::Limits limits = ar.GetLimits();
    xsock::Archive::Limits strict = limits;
    strict.maxStringLength = maxBytes;
    ar.SetLimits(strict);
    try {
        ar >> text;
    } catch (...) {
        ar.SetLimits(limits);
        throw;
    }
    ar.SetLimits(limits);
}

}  // namespace

void Hello::Serialize(xsock::Archive& ar) {
    ar.Exchange(pairing);
}

void PairProof::Serialize(xsock::Archive& ar) {
    ExchangeDigest(ar, proof);
}

void FileHeader::Serialize(xsock::Archive& ar) {
    ExchangeText(ar, path, kMaxPathBytes);
    ar.Exchange(size, mode, mtimeSeconds, mtimeNanoseconds);
}

void DirectoryEntry::Serialize(xsock::Archive& ar) {
    ExchangeText(ar, path, kMaxPathBytes);
    ar.Exchange(mode);
}

void ResumeOffset::Serialize(xsock::Archive& ar) {
    ar.Exchange(offset);
    ExchangeDigest(ar, prefix);
}

void StartAt::Serialize(xsock::Archive& ar) {
    ar.Exchange(offset);
}

void Chunk::Serialize(xsock::Archive& ar) {
    if (ar.IsStoring()) {
        ar << static_cast<std::uint32_t>(bytes.size());
        ar.Write(bytes.data(), bytes.size());
        return;
    }
    std::uint32_t length = 0;
    ar >> length;
    if (length > kMaxChunk) {
        throw xsock::ArchiveException(xsock::ArchiveException::limitExceeded,
                                      "chunk of " + std::to_string(length) + " bytes");
    }
    bytes.resize(length);
    if (ar.Read(bytes.data(), length) != length) {
        throw xsock::ArchiveException(xsock::ArchiveException::endOfFile);
    }
}

void FileDone::Serialize(xsock::Archive& ar) {
    ExchangeDigest(ar, sha256);
}

void Result::Serialize(xsock::Archive& ar) {
    ar.Exchange(ok);
    ExchangeText(ar, message, kMaxMessageBytes);
}

void Store(xsock::Archive& ar, const xsock::Object& message) {
    ar.WriteClass(message.GetRuntimeClass());
    // Serialize is not const because it also loads; storing only reads.
    const_cast<xsock::Object&>(message).Serialize(ar);
}

const xsock::RuntimeClass* NextMessage(xsock::Archive& ar) {
    return ar.ReadClass();
}

void Expect(xsock::Archive& ar, xsock::Object& message) {
    const xsock::RuntimeClass* cls = NextMessage(ar);
    if (cls != message.GetRuntimeClass()) {
        throw xsock::ArchiveException(
            xsock::ArchiveException::badClass,
            std::string("expected ") + message.GetRuntimeClass()->Name() + ", got " + cls->Name());
    }
    message.Serialize(ar);
}

}  // namespace transfer

XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::Hello, xsock::Object, 1, "TransferHello")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::PairProof, xsock::Object, 1, "TransferPairProof")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::FileHeader, xsock::Object, 1, "TransferFileHeader")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::DirectoryEntry, xsock::Object, 1, "TransferDirectoryEntry")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::ResumeOffset, xsock::Object, 1, "TransferResumeOffset")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::StartAt, xsock::Object, 1, "TransferStartAt")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::Chunk, xsock::Object, 1, "TransferChunk")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::FileDone, xsock::Object, 1, "TransferFileDone")
XSOCK_IMPLEMENT_SERIAL_NAMED(transfer::Result, xsock::Object, 1, "TransferResult")
