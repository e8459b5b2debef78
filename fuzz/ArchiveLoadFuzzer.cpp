// libFuzzer entry point: loads the fuzz model from arbitrary bytes, directly or
// fed in two pieces through transactions, in either byte order and with several
// buffer sizes. Any ArchiveException is an expected outcome; a crash, a
// sanitizer report, a leak or a timeout is a bug.
#include "FuzzModel.h"

#include <cstddef>
#include <cstdint>

namespace {

xsock::Archive::Limits FuzzLimits() {
    xsock::Archive::Limits limits;
    limits.maxStringLength = 1 << 20;
    limits.maxCount = 1 << 16;
    limits.maxObjects = 1 << 12;
    limits.maxDepth = 64;
    return limits;
}

void LoadDirect(const std::uint8_t* data, std::size_t size, const fuzz::Options& options) {
    xsock::MemFile file(std::as_bytes(std::span(data, size)));
    xsock::Archive ar(file, xsock::Archive::load, options.bufferSize);
    ar.SetLimits(FuzzLimits());
    ar.SetByteOrder(options.bigEndian ? std::endian::big : std::endian::little);
    fuzz::Model model;
    fuzz::Load(ar, model);
}

void LoadInPieces(const std::uint8_t* data, std::size_t size, const fuzz::Options& options) {
    xsock::MemFile inbox;
    xsock::Archive ar(inbox, xsock::Archive::load, options.bufferSize);
    ar.SetLimits(FuzzLimits());
    ar.SetByteOrder(options.bigEndian ? std::endian::big : std::endian::little);
    const std::size_t half = size / 2;
    fuzz::Model model;
    inbox.Append(data, half);
    if (ar.TryLoad([&] { fuzz::Load(ar, model); })) {
        return;
    }
    model = fuzz::Model{};
    inbox.Append(data + half, size - half);
    ar.TryLoad([&] { fuzz::Load(ar, model); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const fuzz::Options options = fuzz::DecodeOptions(data[0]);
    try {
        if (options.transactional) {
            LoadInPieces(data + 1, size - 1, options);
        } else {
            LoadDirect(data + 1, size - 1, options);
        }
    } catch (const xsock::ArchiveException&) {
        // Refusing bad input is the expected outcome.
    }
    return 0;
}
