// The first byte of every fuzz input: how the archive that loads the rest is
// set up (byte order, transactions, buffer size). Shared by both fuzzers and
// their seed generators.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fuzz {

struct Options {
    bool bigEndian = false;
    bool transactional = false;
    std::size_t bufferSize = 4096;
};
std::uint8_t EncodeOptions(const Options& options);
Options DecodeOptions(std::uint8_t byte);

}  // namespace fuzz
