#include "Backends.h"

#include "poller/Poller.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace xsock::detail {

namespace {

struct BackendRow {
    SocketLoop::Backend backend;
    const char* name;
    std::unique_ptr<Poller> (*make)();  // nullptr where the platform lacks it
};

constexpr BackendRow kBackends[] = {
    {SocketLoop::Backend::Select, "select", MakeSelectPoller},
    {SocketLoop::Backend::Poll, "poll", MakePollPoller},
    {SocketLoop::Backend::Epoll, "epoll", MakeEpollPoller},
    {SocketLoop::Backend::Uring, "uring", MakeUringPoller},
};

const BackendRow* Find(SocketLoop::Backend backend) noexcept {
    for (const BackendRow& row : kBackends) {
        if (row.backend == backend) {
            return &row;
        }
    }
    return nullptr;
}

}  // namespace

std::unique_ptr<Poller> MakePoller(SocketLoop::Backend backend) {
    const BackendRow* row = Find(backend);
    if (row == nullptr) {
        throw std::invalid_argument("SocketLoop: unknown backend");
    }
    if (std::unique_ptr<Poller> poller = row->make()) {
        return poller;
    }
    throw std::invalid_argument(std::string("SocketLoop: the ") + row->name +
                                " backend does not exist here");
}

const char* BackendName(SocketLoop::Backend backend) noexcept {
    const BackendRow* row = Find(backend);
    return row != nullptr ? row->name : "unknown";
}

std::optional<SocketLoop::Backend> ParseBackend(std::string_view name) noexcept {
    for (const BackendRow& row : kBackends) {
        if (name == row.name) {
            return row.backend;
        }
    }
    return std::nullopt;
}

std::string BackendNames() {
    std::string names;
    constexpr std::size_t count = std::size(kBackends);
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) {
            names += i + 1 == count ? " or " : ", ";
        }
        names += kBackends[i].name;
    }
    return names;
}

SocketLoop::Backend DefaultBackend() {
    const char* name = std::getenv("XSOCK_BACKEND");
    if (name != nullptr && *name != '\0') {
        if (std::optional<SocketLoop::Backend> chosen = ParseBackend(name)) {
            return *chosen;
        }
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true)) {
            std::fprintf(stderr, "xsock: XSOCK_BACKEND=%s is not %s; using the default\n", name,
                         BackendNames().c_str());
        }
    }
#ifdef __linux__
    return SocketLoop::Backend::Epoll;
#else
    return SocketLoop::Backend::Poll;
#endif
}

}  // namespace xsock::detail

namespace xsock {

SocketLoop::Backend SocketLoop::DefaultBackend() {
    return detail::DefaultBackend();
}

const char* SocketLoop::BackendName(Backend backend) noexcept {
    return detail::BackendName(backend);
}

}  // namespace xsock
