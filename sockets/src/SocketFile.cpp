#include <xsock/SocketFile.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace xsock {

namespace {

// Socket calls take an int length.
constexpr std::size_t kLargestCall = INT_MAX;

}  // namespace

SocketFile::SocketFile(Socket* socket, bool archiveCompatible) noexcept
    : socket_(socket), archiveCompatible_(archiveCompatible) {}

Socket& SocketFile::Require() const {
    if (socket_ == nullptr) {
        throw FileException(FileException::invalidFile, EBADF, {}, "the SocketFile is closed");
    }
    return *socket_;
}

std::size_t SocketFile::Read(void* buffer, std::size_t count) {
    Socket& socket = Require();
    auto* bytes = static_cast<char*>(buffer);
    std::size_t done = 0;
    while (done < count) {
        int n =
            socket.Receive(bytes + done, static_cast<int>(std::min(count - done, kLargestCall)));
        if (n == SOCKET_ERROR) {
            FileException::ThrowErrno(AsyncSocket::GetLastError(), {}, "receive");
        }
        if (n == 0) {
            break;  // the peer closed: the end of the data
        }
        done += static_cast<std::size_t>(n);
        if (archiveCompatible_) {
            break;  // one Receive: what arrived is enough for the archive
        }
    }
    return done;
}

void SocketFile::Write(const void* buffer, std::size_t count) {
    Socket& socket = Require();
    const auto* bytes = static_cast<const char*>(buffer);
    while (count > 0) {
        int chunk = static_cast<int>(std::min(count, kLargestCall));
        if (socket.Send(bytes, chunk) != chunk) {
            FileException::ThrowErrno(AsyncSocket::GetLastError(), {}, "send");
        }
        bytes += chunk;
        count -= static_cast<std::size_t>(chunk);
    }
}

void SocketFile::Close() {
    socket_ = nullptr;
}

void SocketFile::Abort() noexcept {
    socket_ = nullptr;
}

}  // namespace xsock
