// Connection fixtures several socket suites share: a connection accepted from
// a raw peer the test drives by hand, a listener with a short queue, and a
// port that refuses connections; and two questions about a plain descriptor
// asked without running a loop.
#pragma once

#include "TestSupport.h"

#include <xsock/Descriptor.h>
#include <xsock/SocketAddress.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <system_error>

namespace xsock::test {

// `peer` connects to `listener`, which listens on `port`, and `server`
// accepts that connection.
inline void AcceptRawPeer(SocketLoop& loop, AsyncSocket& listener, unsigned port, RawSocket& peer,
                          AsyncSocket& server) {
    peer.Connect(port);
    AcceptNext(loop, listener, server);
}

// The same through a new listener on 127.0.0.1 (whose connections select
// `events`); returns its port.
inline unsigned AcceptRawPeer(SocketLoop& loop, AsyncSocket& listener, RawSocket& peer,
                              AsyncSocket& server, long events = FD_ALL) {
    unsigned port = Listen(listener, "127.0.0.1", events);
    AcceptRawPeer(loop, listener, port, peer, server);
    return port;
}

// A listener on 127.0.0.1 whose queue holds `backlog` connections (Linux
// takes one more); returns its port.
inline unsigned ListenWithBacklog(AsyncSocket& listener, int backlog) {
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(listener.Listen(backlog));
    SocketAddress local;
    BOOST_REQUIRE(listener.GetSockName(local));
    BOOST_REQUIRE(local.Port() != 0);
    return local.Port();
}

// A port on `address` that refuses every connection while the object lives:
// a bound socket that does not listen keeps the port taken and refuses.
class RefusingPort {
  public:
    explicit RefusingPort(const char* address = "127.0.0.1") {
        std::error_code error;
        SocketAddress local = SocketAddress::FromHostAndPort(address, 0, error);
        BOOST_REQUIRE_MESSAGE(!error, address << ": " << error.message());
        socket_.Reset(::socket(local.Family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
        BOOST_REQUIRE(socket_.IsOpen());
        BOOST_REQUIRE(::bind(socket_.Get(), local.Native(), local.NativeLength()) == 0);
        sockaddr_storage bound{};
        socklen_t length = sizeof bound;
        BOOST_REQUIRE(::getsockname(socket_.Get(), reinterpret_cast<sockaddr*>(&bound), &length) ==
                      0);
        address_ = SocketAddress::FromNative(reinterpret_cast<const sockaddr*>(&bound), length);
        BOOST_REQUIRE(address_.Port() != 0);
    }

    unsigned Port() const noexcept { return address_.Port(); }
    const SocketAddress& Address() const noexcept { return address_; }

  private:
    Descriptor socket_;
    SocketAddress address_;
};

inline bool IsOpen(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

// Whether `fd` turns readable within `timeout`; unlike AwaitReady, a "no" is
// an answer, not a failure.
inline bool PollsReadable(int fd, std::chrono::milliseconds timeout) {
    pollfd entry{fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&entry, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    return n == 1 && (entry.revents & POLLIN) != 0;
}

}  // namespace xsock::test
