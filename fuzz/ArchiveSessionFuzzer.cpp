// libFuzzer entry point for sessions: one loading archive kept across several
// messages, as a connection keeps it, while the program between messages
// destroys earlier messages' objects, loads into a kept message in place (so
// vectors shrink and optionals and variants are replaced) or lets go of shared
// objects. References that reach any destroyed object must be refused
// (badIndex) without touching it; AddressSanitizer reports any that is not. Any
// ArchiveException is an expected outcome; a crash, a sanitizer report, a leak
// or a timeout is a bug.
#include "SessionModel.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

namespace {

xsock::Archive::Limits FuzzLimits() {
    xsock::Archive::Limits limits;
    limits.maxStringLength = 1 << 16;
    limits.maxCount = 1 << 12;
    limits.maxObjects = 1 << 12;
    limits.maxDepth = 32;
    limits.maxMemory = std::uint64_t{64} << 20;
    return limits;
}

constexpr std::size_t kKeptMessages = 4;

void RunSession(const std::uint8_t* data, std::size_t size) {
    const session::Options options = session::DecodeOptions(data[0]);
    std::deque<std::unique_ptr<session::Message>> kept;
    {
        xsock::MemFile inbox;
        xsock::Archive ar(inbox, xsock::Archive::load, options.bufferSize);
        ar.SetLimits(FuzzLimits());
        ar.SetByteOrder(options.bigEndian ? std::endian::big : std::endian::little);
        std::size_t at = 1;
        while (at + 3 <= size) {
            const std::uint8_t control = data[at];
            const std::size_t length = std::min<std::size_t>(
                data[at + 1] | static_cast<std::size_t>(data[at + 2]) << 8, size - at - 3);
            inbox.Append(data + at + 3, length);
            at += 3 + length;
            if ((control & session::kDestroyOldest) != 0 && !kept.empty()) {
                kept.pop_front();
            }
            if ((control & session::kDropShared) != 0) {
                for (auto& message : kept) {
                    message->items.clear();
                    if (std::holds_alternative<std::shared_ptr<session::Holder>>(
                            message->variant)) {
                        message->variant = std::monostate{};
                    }
                }
            }
            const bool inPlace = (control & session::kLoadInPlace) != 0 && !kept.empty();
            if (!inPlace) {
                kept.push_back(std::make_unique<session::Message>());
                if (kept.size() > kKeptMessages) {
                    kept.pop_front();
                }
            }
            session::Message& message = *kept.back();
            try {
                if (options.transactional) {
                    while (ar.TryLoad([&] { session::Load(ar, message); })) {
                    }
                } else {
                    session::Load(ar, message);
                }
            } catch (const xsock::ArchiveException&) {
                // Refusing bad input is the expected outcome; the session goes
                // on, as a program might after logging it.
            }
        }
    }
    kept.clear();
    session::DeleteLeftoverItems();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    RunSession(data, size);
    return 0;
}
