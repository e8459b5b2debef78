// xsock-echo: a small echo server to talk to with `nc 127.0.0.1 PORT`, or
// with `nc -U PATH` when it listens on a Unix-domain socket; and, with
// --connect, a blocking client for it built on xsock::Socket.
//
//   xsock-echo [--listen [ADDR:]PORT|unix:PATH|unix:@NAME] [--backend select|poll|epoll]
//   xsock-echo --connect ADDRESS [--timeout MS]   < input > echoes
#include "EchoClient.h"
#include "EchoServer.h"

#include <xsock/SocketLoop.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

namespace {

constexpr unsigned kDefaultPort = 7007;

void Usage() {
    std::cerr << "usage: xsock-echo [--listen [ADDR:]PORT|unix:PATH|unix:@NAME]"
                 " [--backend select|poll|epoll]\n"
                 "       xsock-echo --connect ADDRESS [--timeout MS]\n";
}

std::optional<xsock::SocketAddress> ParseListen(const std::string& text) {
    std::error_code error;
    if (text.find_first_not_of("0123456789") == std::string::npos) {
        auto address = xsock::SocketAddress::FromHostAndPort(
            "127.0.0.1", static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 10)), error);
        if (!error && text.size() <= 5) {
            return address;
        }
        return std::nullopt;
    }
    auto address = xsock::SocketAddress::Parse(text, error);
    if (error) {
        return std::nullopt;
    }
    return address;
}

// What to type in another terminal to talk to the server at `bound`.
std::string TalkCommand(const xsock::SocketAddress& bound) {
    std::string host = bound.Host();
    if (bound.Family() == AF_UNIX) {
        // nc cannot reach Linux's abstract namespace ("@name"); socat can.
        return bound.IsUnixPath() ? "nc -U " + host : "socat - ABSTRACT-CONNECT:" + host.substr(1);
    }
    if (host == "0.0.0.0") {
        host = "127.0.0.1";
    } else if (host == "::") {
        host = "::1";
    }
    return "nc " + host + " " + std::to_string(bound.Port());
}

}  // namespace

int main(int argc, char** argv) {
    xsock::SocketAddress where = xsock::SocketAddress::Loopback(AF_INET, kDefaultPort);
    xsock::SocketLoop::Options options;
    std::optional<std::string> connect;
    std::chrono::milliseconds timeout{0};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--connect" && i + 1 < argc) {
            connect = argv[++i];
        } else if (arg == "--timeout" && i + 1 < argc) {
            timeout = std::chrono::milliseconds(std::strtol(argv[++i], nullptr, 10));
        } else if (arg == "--listen" && i + 1 < argc) {
            auto parsed = ParseListen(argv[++i]);
            if (!parsed) {
                std::cerr << "xsock-echo: bad address '" << argv[i]
                          << "' (use PORT, 127.0.0.1:PORT, [::1]:PORT or unix:PATH)\n";
                return 2;
            }
            where = *parsed;
        } else if (arg == "--backend" && i + 1 < argc) {
            std::string name = argv[++i];
            if (name == "select") {
                options.backend = xsock::SocketLoop::Backend::Select;
            } else if (name == "poll") {
                options.backend = xsock::SocketLoop::Backend::Poll;
            } else if (name == "epoll") {
                options.backend = xsock::SocketLoop::Backend::Epoll;
            } else {
                Usage();
                return 2;
            }
        } else {
            Usage();
            return arg == "--help" || arg == "-h" ? 0 : 2;
        }
    }

    xsock::SocketLoop loop(options);
    if (connect) {
        return echo::RunBlockingClient(*connect, timeout);
    }
    echo::EchoServer server;
    server.log = [](const std::string& line) { std::cout << line << std::endl; };
    if (!server.Start(where)) {
        std::cerr << "xsock-echo: cannot listen on " << where.ToString() << ": "
                  << xsock::AsyncSocket::GetLastErrorCode().message() << "\n";
        return 1;
    }
    xsock::SocketAddress bound;
    server.GetSockName(bound);
    std::cout << "xsock-echo listening on " << bound.ToString() << " (backend "
              << xsock::SocketLoop::BackendName(loop.GetBackend()) << ")\n"
              << "Talk to it from another terminal:  " << TalkCommand(bound) << "\n"
              << "or with the blocking client:       xsock-echo --connect " << bound.ToString()
              << "\n"
              << "Everything you type comes back. Ctrl-C stops the server." << std::endl;
    loop.Run();
    return 0;
}
