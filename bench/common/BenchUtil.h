// Helpers shared by the socket benchmarks: command-line options (--quick,
// --runs, --seconds, --help), clocks, medians, raising the descriptor limit,
// and raw loopback sockets for the parts of a benchmark that are not the thing
// being measured (peers, listeners, the competitors).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <xsock/Descriptor.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

struct Options {
    bool quick = false;
    int runs = 3;           // repetitions per cell; the table shows the median
    double seconds = 1.0;   // measured time per repetition
    std::string only;       // run only the competitors whose name starts with this
    std::size_t block = 0;  // ping-pong: only this block size (0: all)
    int connections = 0;    // ping-pong: only this connection count (0: all)
    bool Runs(const char* name) const { return std::string(name).rfind(only, 0) == 0; }
};

// Parses the options every benchmark shares. `usage` is the program's own
// description for --help. Exits on --help (0) and on a bad argument (2).
inline Options ParseOptions(int argc, char** argv, const char* usage, double defaultSeconds) {
    Options options;
    options.seconds = defaultSeconds;
    bool secondsGiven = false;
    bool runsGiven = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s: %s needs a value\n", argv[0], arg.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--quick") {
            options.quick = true;
        } else if (arg == "--runs") {
            options.runs = std::atoi(value());
            runsGiven = true;
        } else if (arg == "--seconds") {
            options.seconds = std::atof(value());
            secondsGiven = true;
        } else if (arg == "--block") {
            options.block = std::strtoul(value(), nullptr, 10);
        } else if (arg == "--connections") {
            options.connections = std::atoi(value());
        } else if (arg == "--only") {
            options.only = value();
        } else if (arg == "--help" || arg == "-h") {
            std::printf(
                "%s\n\nOptions:\n"
                "  --quick        a fast smoke run (1 repetition, short cells)\n"
                "  --runs N       repetitions per cell, median reported (default 3)\n"
                "  --seconds S    measured seconds per repetition (default %.1f)\n"
                "  --only NAME    run only the competitors whose name starts with NAME\n"
                "                 (for profiling one; the others show 0)\n"
                "  --block B, --connections N\n"
                "                 ping-pong: one cell only (for profiling)\n"
                "  --help         this text\n",
                usage, defaultSeconds);
            std::exit(0);
        } else {
            std::fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", argv[0], arg.c_str());
            std::exit(2);
        }
    }
    if (options.quick) {
        options.runs = runsGiven ? options.runs : 1;
        options.seconds = secondsGiven ? options.seconds : 0.2;
    }
    if (options.runs < 1 || options.seconds <= 0) {
        std::fprintf(stderr, "%s: --runs and --seconds must be positive\n", argv[0]);
        std::exit(2);
    }
    return options;
}

inline double Seconds(clockid_t clock) {
    timespec now{};
    ::clock_gettime(clock, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}
inline double WallSeconds() {
    return Seconds(CLOCK_MONOTONIC);
}
inline double ThreadCpuSeconds() {
    return Seconds(CLOCK_THREAD_CPUTIME_ID);
}

inline double Median(std::vector<double> values) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

[[noreturn]] inline void Fail(const char* what) {
    std::fprintf(stderr, "bench: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// Raises RLIMIT_NOFILE to at least `wanted` (root may raise the hard limit
// too); returns the soft limit now in force.
inline rlim_t RaiseFdLimit(rlim_t wanted) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur >= wanted) {
        return limit.rlim_cur;
    }
    rlimit raised{wanted, std::max(wanted, limit.rlim_max)};
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        raised = {limit.rlim_max, limit.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &raised);
    }
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

inline void SetNoDelay(int fd) {
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

inline void SetNonBlocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// A blocking listener on 127.0.0.1 and a port the system picked.
inline xsock::Descriptor RawListen(unsigned& port) {
    xsock::Descriptor fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.Get() < 0) {
        Fail("socket");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd.Get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd.Get(), SOMAXCONN) != 0 ||
        ::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        Fail("listen");
    }
    port = ntohs(address.sin_port);
    return fd;
}

// A blocking connection to 127.0.0.1:port, with TCP_NODELAY.
inline xsock::Descriptor RawConnect(unsigned port) {
    xsock::Descriptor fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.Get() < 0) {
        Fail("socket");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd.Get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        Fail("connect");
    }
    SetNoDelay(fd.Get());
    return fd;
}

// Like RawConnect, from 127.0.0.2 and an explicit source port, the next free
// one from `nextSourcePort` on. Thousands of connections to one port through
// the kernel's ephemeral-port search cost O(n) each; binding first does not.
inline xsock::Descriptor RawConnectFrom(unsigned port, unsigned& nextSourcePort) {
    for (; nextSourcePort < 65536; ++nextSourcePort) {
        xsock::Descriptor fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (fd.Get() < 0) {
            Fail("socket");
        }
        int on = 1;
        ::setsockopt(fd.Get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        sockaddr_in source{};
        source.sin_family = AF_INET;
        source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
        source.sin_port = htons(static_cast<std::uint16_t>(nextSourcePort));
        if (::bind(fd.Get(), reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
            continue;  // in use: try the next port
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        if (::connect(fd.Get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            if (errno == EADDRNOTAVAIL || errno == EADDRINUSE) {
                continue;
            }
            Fail("connect");
        }
        SetNoDelay(fd.Get());
        ++nextSourcePort;
        return fd;
    }
    errno = EADDRNOTAVAIL;
    Fail("connect (no free source port)");
}

inline xsock::Descriptor RawAccept(int listener) {
    xsock::Descriptor fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (fd.Get() < 0) {
        Fail("accept");
    }
    SetNoDelay(fd.Get());
    return fd;
}

// `count` loopback connections, both ends of each (blocking, TCP_NODELAY).
struct RawPairs {
    std::vector<xsock::Descriptor> clients;
    std::vector<xsock::Descriptor> servers;
};

inline RawPairs RawConnectPairs(int count) {
    unsigned port = 0;
    xsock::Descriptor listener = RawListen(port);
    RawPairs pairs;
    for (int i = 0; i < count; ++i) {
        pairs.clients.push_back(RawConnect(port));
        pairs.servers.push_back(RawAccept(listener.Get()));
    }
    return pairs;
}

// Sends all of `length` bytes on a blocking socket; false if the peer is gone.
inline bool SendAll(int fd, const char* data, std::size_t length) {
    while (length > 0) {
        ssize_t n = ::send(fd, data, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data += n;
        length -= static_cast<std::size_t>(n);
    }
    return true;
}

// Human-readable sizes for table rows: 64 B, 16 KiB.
inline std::string SizeName(std::size_t bytes) {
    if (bytes >= 1024 && bytes % 1024 == 0) {
        return std::to_string(bytes / 1024) + " KiB";
    }
    return std::to_string(bytes) + " B";
}

// a / b, or NaN (printed "nan", never a met target) when b was not measured.
inline double Ratio(double a, double b) {
    return b > 0 ? a / b : std::nan("");
}

// "yes"/"no" for a target column.
inline const char* Met(bool met) {
    return met ? "yes" : "**no**";
}

}  // namespace bench
