#include <xsock/File.h>

#include <cerrno>

namespace xsock {

namespace {

[[noreturn]] void RefusePositioning() {
    throw FileException(FileException::badSeek, ESPIPE, {},
                        "this file cannot report or change its position");
}

}  // namespace

void File::Abort() noexcept {
    try {
        Close();
    } catch (...) {
        // Abort exists for error paths, where a second failure has no one to go to.
    }
}

std::uint64_t File::Seek(std::int64_t, SeekPosition) {
    RefusePositioning();
}

std::uint64_t File::GetPosition() const {
    RefusePositioning();
}

std::uint64_t File::GetLength() const {
    RefusePositioning();
}

void File::SetLength(std::uint64_t) {
    RefusePositioning();
}

}  // namespace xsock
