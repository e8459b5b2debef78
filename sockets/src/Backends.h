// The backends a SocketLoop can wait with, as one table: a new backend is a
// poller file in poller/ plus one row in Backends.cpp.
#pragma once

#include <xsock/SocketLoop.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace xsock::detail {

class Poller;

// A running poller for `backend`. Throws std::invalid_argument, naming the
// backend, where it does not exist on this platform, and std::system_error
// where the kernel refuses it.
std::unique_ptr<Poller> MakePoller(SocketLoop::Backend backend);

// "select", "poll", "epoll", "uring"; "unknown" for a value outside the table.
const char* BackendName(SocketLoop::Backend backend) noexcept;

// The backend called `name`, or nothing.
std::optional<SocketLoop::Backend> ParseBackend(std::string_view name) noexcept;

// Every name ParseBackend accepts, as "select, poll, epoll or uring".
std::string BackendNames();

// XSOCK_BACKEND if it names a backend (with one warning on stderr if it names
// none), otherwise the platform's default.
SocketLoop::Backend DefaultBackend();

}  // namespace xsock::detail
