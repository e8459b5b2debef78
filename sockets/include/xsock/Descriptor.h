// Descriptor: owns one POSIX file descriptor and closes it when it goes.
//
// The library's own descriptors (the loop's wake-up and timer descriptors, the
// backend's epoll descriptor) and every descriptor a demo, benchmark or test
// opens are held by one of these, so no failure path leaks one. It owns a
// plain descriptor, not a socket's registration: an AsyncSocket manages its
// own handle, which Detach may hand over.
//
// Errors: Reset and the destructor close without retrying on EINTR (on Linux
// the descriptor is gone even then) and ignore close's result.
//
// Thread safety: distinct objects are independent; one object is not safe to
// change from two threads at once.
#pragma once

#include <unistd.h>

#include <utility>

namespace xsock {

class Descriptor {
  public:
    Descriptor() noexcept = default;
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    ~Descriptor() { Reset(); }

    Descriptor(Descriptor&& other) noexcept : fd_(other.Release()) {}
    Descriptor& operator=(Descriptor&& other) noexcept {
        if (this != &other) {
            Reset(other.Release());
        }
        return *this;
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;

    int Get() const noexcept { return fd_; }
    bool IsOpen() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

    // Closes the descriptor held now, if any, and holds `fd` instead.
    void Reset(int fd = -1) noexcept {
        int old = std::exchange(fd_, fd);
        if (old >= 0) {
            ::close(old);
        }
    }
    // Gives the descriptor up without closing it.
    [[nodiscard]] int Release() noexcept { return std::exchange(fd_, -1); }

  private:
    int fd_ = -1;
};

}  // namespace xsock
