#include "FuzzOptions.h"

namespace fuzz {

std::uint8_t EncodeOptions(const Options& options) {
    std::uint8_t size = 3;
    if (options.bufferSize <= 64) {
        size = 0;
    } else if (options.bufferSize <= 256) {
        size = 1;
    } else if (options.bufferSize <= 1024) {
        size = 2;
    }
    return static_cast<std::uint8_t>((options.bigEndian ? 1 : 0) | (options.transactional ? 2 : 0) |
                                     (size << 2));
}

Options DecodeOptions(std::uint8_t byte) {
    static constexpr std::size_t kSizes[] = {64, 256, 1024, 4096};
    return {(byte & 1) != 0, (byte & 2) != 0, kSizes[(byte >> 2) & 3]};
}

}  // namespace fuzz
