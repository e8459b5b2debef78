#include "Wakeup.h"

#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace xsock::detail {

Wakeup::Wakeup() {
#ifdef __linux__
    read_.Reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!read_) {
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
#else
    int fds[2];
    if (::pipe(fds) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    read_.Reset(fds[0]);
    write_.Reset(fds[1]);
    for (int fd : fds) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
#endif
}

void Wakeup::Wake() noexcept {
    if (pending_.exchange(true)) {
        return;
    }
    std::uint64_t one = 1;
    int fd = write_ ? write_.Get() : read_.Get();
    // An eventfd takes exactly eight bytes; a pipe needs only one.
    std::size_t size = write_ ? 1 : sizeof one;
    ssize_t written;
    do {
        written = ::write(fd, &one, size);
    } while (written < 0 && errno == EINTR);
}

void Wakeup::Drain() noexcept {
    // Drain before clearing the flag: a Wake() in between would otherwise be
    // drained here with the flag left set, and every later Wake() would skip
    // its write. A Post() that sees the flag still set is picked up by this
    // iteration's task phase.
    DrainDescriptor(read_.Get());
    pending_.store(false);
}

void DrainDescriptor(int fd) noexcept {
    std::uint64_t buffer[8];
    while (::read(fd, buffer, sizeof buffer) > 0 || errno == EINTR) {
    }
}

}  // namespace xsock::detail
