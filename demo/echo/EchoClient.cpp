#include "EchoClient.h"

#include <xsock/Socket.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <vector>

namespace echo {

namespace {

constexpr std::size_t kPiece = 16384;

bool WriteAll(const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(STDOUT_FILENO, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

int Fail(const char* what) {
    std::cerr << "xsock-echo: " << what << ": " << xsock::AsyncSocket::GetLastErrorCode().message()
              << "\n";
    return 1;
}

}  // namespace

int RunBlockingClient(const std::string& address, std::chrono::milliseconds timeout) {
    std::error_code error;
    std::vector<xsock::SocketAddress> candidates =
        xsock::SocketAddress::Lookup(address, SOCK_STREAM, error);
    if (candidates.empty()) {
        std::cerr << "xsock-echo: bad address '" << address << "': " << error.message() << "\n";
        return 2;
    }
    xsock::Socket socket;
    socket.SetTimeout(timeout);
    if (!socket.Create() || !socket.Connect(candidates)) {
        return Fail(("cannot connect to " + address).c_str());
    }
    std::vector<char> piece(kPiece);
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, piece.data(), piece.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        // Send blocks until every byte is out; Receive until some come back.
        if (socket.Send(piece.data(), static_cast<int>(n)) != n) {
            return Fail("send");
        }
        for (ssize_t back = 0; back < n;) {
            char buffer[kPiece];
            int got = socket.Receive(buffer, sizeof buffer);
            if (got <= 0) {
                return got == 0 ? (std::cerr << "xsock-echo: the server closed early\n", 1)
                                : Fail("receive");
            }
            if (!WriteAll(buffer, static_cast<std::size_t>(got))) {
                return 1;
            }
            back += got;
        }
    }
    socket.ShutDown();
    char rest[256];
    int n;
    while ((n = socket.Receive(rest, sizeof rest)) > 0) {
        WriteAll(rest, static_cast<std::size_t>(n));
    }
    return n == 0 ? 0 : Fail("receive");
}

}  // namespace echo
