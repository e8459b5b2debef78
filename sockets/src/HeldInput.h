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

}  // namespace xsock::detail
