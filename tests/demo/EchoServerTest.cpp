// The echo demo's server in this process's loop, against raw clients that send,
// shut down their sending side and read to the end: every byte must come back
// before the server closes, however slowly the client reads.
#include "EchoServer.h"

#include <xsock/Descriptor.h>
#include <xsock/SocketAddress.h>
#include <xsock/SocketLoop.h>

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Generous for a loaded machine under sanitizers; a passing test never waits it out.
constexpr std::chrono::seconds kDeadline{60};

struct Outcome {
    std::string received;
    bool ended = false;  // the client read the end of the stream
    int error = 0;       // what ended the client's reading otherwise
};

// Sends `payload` from a non-blocking client whose receive buffer is
// `receiveBuffer` bytes, shuts down its sending side once everything is out,
// and reads at most `step` bytes per round until the end. Each round waits (no
// sleeping) until the client or the server's loop has something to do.
Outcome EchoThrough(echo::EchoServer& server, xsock::SocketLoop& loop, const std::string& payload,
                    int receiveBuffer, std::size_t step) {
    xsock::SocketAddress bound;
    BOOST_REQUIRE(server.GetSockName(bound));
    xsock::Descriptor client(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    BOOST_REQUIRE(client.IsOpen());
    BOOST_REQUIRE(::setsockopt(client.Get(), SOL_SOCKET, SO_RCVBUF, &receiveBuffer,
                               sizeof receiveBuffer) == 0);
    BOOST_REQUIRE(::connect(client.Get(), bound.Native(), bound.NativeLength()) == 0 ||
                  errno == EINPROGRESS);

    Outcome outcome;
    std::vector<char> buffer(step);
    std::size_t sent = 0;
    bool shut = false;
    const int loopHandle = loop.NativeHandle();
    BOOST_REQUIRE(loopHandle >= 0);
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    const std::size_t rounds = 20 * (payload.size() / step) + 100000;
    for (std::size_t round = 0; round < rounds && !outcome.ended; ++round) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        BOOST_REQUIRE_MESSAGE(left.count() > 0, "no end after " << outcome.received.size() << " of "
                                                                << payload.size() << " bytes");
        pollfd fds[2] = {{client.Get(), static_cast<short>(POLLIN | (shut ? 0 : POLLOUT)), 0},
                         {loopHandle, POLLIN, 0}};
        BOOST_REQUIRE(::poll(fds, 2, static_cast<int>(left.count())) >= 0 || errno == EINTR);
        loop.RunOnce(std::chrono::milliseconds(0));
        if (!shut) {
            ssize_t n = ::send(client.Get(), payload.data() + sent,
                               std::min<std::size_t>(65536, payload.size() - sent),
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
            } else {
                BOOST_REQUIRE_MESSAGE(errno == EAGAIN, "send: " << std::strerror(errno));
            }
            if (sent == payload.size()) {
                BOOST_REQUIRE(::shutdown(client.Get(), SHUT_WR) == 0);
                shut = true;
            }
        }
        ssize_t n = ::recv(client.Get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n > 0) {
            outcome.received.append(buffer.data(), static_cast<std::size_t>(n));
        } else if (n == 0) {
            outcome.ended = true;
        } else if (errno != EAGAIN) {
            outcome.error = errno;
            break;
        }
    }
    BOOST_CHECK(shut);
    return outcome;
}

std::string Payload(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<char>(i % 251);
    }
    return bytes;
}

// A server on 127.0.0.1 whose operator log the test keeps.
struct Fixture {
    Fixture() {
        server.log = [this](const std::string& line) { log.push_back(line); };
        BOOST_REQUIRE(server.Start(xsock::SocketAddress::Loopback(AF_INET, 0)));
    }
    xsock::SocketLoop loop{{xsock::SocketLoop::Backend::Epoll}};
    echo::EchoServer server;
    std::vector<std::string> log;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(EchoServer, Fixture)

BOOST_AUTO_TEST_CASE(ALineComesBackBeforeTheEnd) {
    const std::string line = "hello, echo\n";
    Outcome outcome = EchoThrough(server, loop, line, 4096, 4096);
    BOOST_CHECK_EQUAL(outcome.error, 0);
    BOOST_CHECK(outcome.ended);
    BOOST_CHECK_EQUAL(outcome.received, line);
}

// The server reads far ahead of a client that reads 512 bytes at a time
// through a 4 KiB receive buffer, so when the client's end of stream reaches
// it, up to its queue limit of echoes still waits to be sent. They must all
// arrive before the server closes, and the close must be orderly.
BOOST_AUTO_TEST_CASE(ASlowReaderAfterAHalfCloseGetsEveryByteBack) {
    const std::string payload = Payload(std::size_t{3} << 20);
    Outcome outcome = EchoThrough(server, loop, payload, 4096, 512);
    BOOST_CHECK_EQUAL(outcome.error, 0);
    BOOST_CHECK(outcome.ended);
    BOOST_REQUIRE_EQUAL(outcome.received.size(), payload.size());
    BOOST_CHECK(outcome.received == payload);
    BOOST_CHECK_EQUAL(server.ConnectionCount(), 0u);
    BOOST_CHECK(std::any_of(log.begin(), log.end(), [](const std::string& line) {
        return line.find("disconnected") != std::string::npos;
    }));
}

BOOST_AUTO_TEST_SUITE_END()
