// Bytes that go with a detached stream descriptor (HeldInput.cpp).
#pragma once

#include <cstddef>
#include <string>

namespace xsock::detail {

// Detached descriptors whose bytes are kept for the next Attach; past this
// the oldest are dropped.
inline constexpr std::size_t kMaxDetached = 1024;

// Keeps `bytes`, read off `fd` but not by the program, for the next Attach
// of the same socket, on any loop.
void CarryAcrossDetach(int fd, std::string bytes);
// The bytes kept for the socket `fd` names, if any.
std::string TakeCarried(int fd);
// True if any detached descriptor has bytes kept: the others need not look.
bool AnyCarried() noexcept;
// For a socket whose loop is gone: copies up to `length` of the bytes kept
// for it (taking them unless `peek`) and returns the count, 0 if none.
std::size_t ReadCarried(int fd, void* buffer, std::size_t length, bool peek);
// How many bytes are kept for the socket `fd` names; any thread.
std::size_t CarriedCount(int fd);

}  // namespace xsock::detail
