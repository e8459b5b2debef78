// Helpers shared by the socket tests: the backends every test runs on, a
// socket that records its notifications, and loopback plumbing. Tests never
// sleep: they run the loop until a condition holds, with a generous deadline.
#pragma once

#include <xsock/AsyncSocket.h>
#include <xsock/Descriptor.h>
#include <xsock/SocketLoop.h>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace xsock {

inline std::ostream& operator<<(std::ostream& out, SocketLoop::Backend backend) {
    return out << SocketLoop::BackendName(backend);
}

}  // namespace xsock

namespace xsock::test {

// Whether a uring loop can start here: built with liburing, and a kernel that
// allows io_uring. Where it cannot, says so once, in one line, and the tests
// run on the other backends.
inline bool UringUsable() {
    static const bool usable = [] {
        try {
            SocketLoop probe({SocketLoop::Backend::Uring});
            return true;
        } catch (const std::exception& refused) {
            std::cout << "io_uring backend not tested: " << refused.what() << std::endl;
            return false;
        }
    }();
    return usable;
}

// `backends`, plus uring where it can run.
inline std::vector<SocketLoop::Backend> WithUring(std::vector<SocketLoop::Backend> backends) {
    if (UringUsable()) {
        backends.push_back(SocketLoop::Backend::Uring);
    }
    return backends;
}

inline const std::vector<SocketLoop::Backend> kAllBackends =
    WithUring({SocketLoop::Backend::Select, SocketLoop::Backend::Poll, SocketLoop::Backend::Epoll});

// Every event but FD_OOB: a stream socket that has not selected urgent data,
// whose bytes the io_uring backend receives into buffers of its own (one that
// selected FD_OOB is watched by a peek and its bytes stay in the kernel).
// Suites about reading run with both sets.
inline constexpr long kAllButOob = FD_ALL & ~FD_OOB;
inline const std::vector<long> kEventSets = {FD_ALL, kAllButOob};

// Long enough for a loaded CI machine under sanitizers; a passing test never waits it out.
inline constexpr std::chrono::milliseconds kDeadline{20000};

inline bool RunUntil(SocketLoop& loop, const std::function<bool()>& done) {
    return loop.RunUntil(done, kDeadline);
}

// Runs `iterations` non-blocking loop iterations: used to show that something
// does NOT happen again (no storm) without waiting on a clock.
inline void Spin(SocketLoop& loop, int iterations = 50) {
    for (int i = 0; i < iterations; ++i) {
        loop.RunOnce(std::chrono::milliseconds(0));
    }
}

// Records every notification; each may also run a hook.
class Probe : public AsyncSocket {
  public:
    struct Counts {
        int receive = 0, send = 0, oob = 0, accept = 0, connect = 0, close = 0;
    };
    Counts counts;
    int connectError = -1;
    int closeError = -1;
    std::vector<std::string> order;  // names of notifications in delivery order

    std::function<void(Probe&)> onReceive, onSend, onOob, onAccept, onConnect, onClose;

  protected:
    void OnReceive(int) override { Fire(counts.receive, "receive", onReceive); }
    void OnSend(int) override { Fire(counts.send, "send", onSend); }
    void OnOutOfBandData(int) override { Fire(counts.oob, "oob", onOob); }
    void OnAccept(int) override { Fire(counts.accept, "accept", onAccept); }
    void OnConnect(int error) override {
        connectError = error;
        Fire(counts.connect, "connect", onConnect);
    }
    void OnClose(int error) override {
        closeError = error;
        Fire(counts.close, "close", onClose);
    }

  private:
    void Fire(int& count, const char* name, const std::function<void(Probe&)>& hook) {
        ++count;
        order.emplace_back(name);
        if (hook) {
            hook(*this);
        }
    }
};

// A listener on 127.0.0.1 (or ::1) with a kernel-chosen port.
inline unsigned Listen(AsyncSocket& listener, const char* address = "127.0.0.1",
                       long events = FD_ALL) {
    BOOST_REQUIRE_MESSAGE(listener.Create(0, SOCK_STREAM, events, address),
                          "Create failed: " << AsyncSocket::GetLastErrorCode().message());
    BOOST_REQUIRE(listener.Listen());
    std::string host;
    unsigned port = 0;
    BOOST_REQUIRE(listener.GetSockName(host, port));
    BOOST_REQUIRE(port != 0);
    return port;
}

// Accepts the next connection waiting on `listener` into `server`.
inline void AcceptNext(SocketLoop& loop, AsyncSocket& listener, AsyncSocket& server) {
    BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return listener.Accept(server); }),
                          "no connection to accept: " << AsyncSocket::GetLastErrorCode().message());
}

// Connects `client` to `listener` and accepts into `server`, running the loop
// until both ends are usable and the client's OnConnect has been delivered.
inline void ConnectPair(SocketLoop& loop, Probe& listener, Probe& client, Probe& server,
                        const char* address = "127.0.0.1", long events = FD_ALL) {
    unsigned port = Listen(listener, address, events);
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, events, address));
    bool started = client.Connect(address, port);
    BOOST_REQUIRE(started || AsyncSocket::GetLastError() == EWOULDBLOCK);
    // Accept after OnAccept, as MFC code does; tests count on it having fired.
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept > 0; }));
    BOOST_REQUIRE(listener.Accept(server));
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect > 0; }));
    BOOST_REQUIRE_EQUAL(client.connectError, 0);
}

// A plain blocking descriptor, for a peer whose every step the test controls.
class RawSocket {
  public:
    explicit RawSocket(int family = AF_INET)
        : fd_(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        BOOST_REQUIRE(fd_.IsOpen());
    }

    int Fd() const { return fd_.Get(); }
    void Close() { fd_.Reset(); }
    // Starts a connect without waiting; loopback completes it in the kernel.
    void Connect(unsigned port, const char* address = "127.0.0.1") {
        SocketAddress target = SocketAddress::Loopback(AF_INET, port);
        std::error_code error;
        target = SocketAddress::FromHostAndPort(address, port, error);
        BOOST_REQUIRE(!error);
        BOOST_REQUIRE(::connect(fd_.Get(), target.Native(), target.NativeLength()) == 0);
    }
    void SendAll(const std::string& data, int flags = 0) {
        std::size_t sent = 0;
        while (sent < data.size()) {
            ssize_t n =
                ::send(fd_.Get(), data.data() + sent, data.size() - sent, flags | MSG_NOSIGNAL);
            BOOST_REQUIRE(n > 0);
            sent += static_cast<std::size_t>(n);
        }
    }
    // An abortive close: the peer sees a reset, not an orderly end.
    void Reset() {
        linger option{1, 0};
        BOOST_REQUIRE(::setsockopt(fd_.Get(), SOL_SOCKET, SO_LINGER, &option, sizeof option) == 0);
        Close();
    }
    void SetReceiveBuffer(int bytes) {
        BOOST_REQUIRE(::setsockopt(fd_.Get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == 0);
    }

  private:
    Descriptor fd_;
};

// Accepts one pending connection on `listener` as a raw descriptor.
inline int AcceptRaw(SocketLoop& loop, Probe& listener) {
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept > 0; }));
    int fd = ::accept4(listener.Handle(), nullptr, nullptr, SOCK_CLOEXEC);
    BOOST_REQUIRE(fd >= 0);
    return fd;
}

// Waits (with the usual deadline) until the kernel reports `events` on `fd`,
// so the next loop iteration is known to see that descriptor ready.
inline void AwaitReady(int fd, short events) {
    pollfd entry{fd, events, 0};
    int n;
    do {
        n = ::poll(&entry, 1, static_cast<int>(kDeadline.count()));
    } while (n < 0 && errno == EINTR);
    BOOST_REQUIRE_MESSAGE(n == 1, "descriptor " << fd << " never became ready");
}

// The raw peer of a socket that was closed sees the connection end: an orderly
// end, or a reset when unread data was thrown away.
inline void ExpectConnectionEnded(RawSocket& peer) {
    AwaitReady(peer.Fd(), POLLIN);
    char byte;
    ssize_t n = ::recv(peer.Fd(), &byte, 1, MSG_DONTWAIT);
    BOOST_CHECK_MESSAGE(n == 0 || (n < 0 && errno == ECONNRESET),
                        "the peer still has a live connection (recv gave " << n << ")");
}

// A hook that destroys the socket it runs on, through the test's owning
// pointer; the pointer is null afterwards. Nothing may run after the delete:
// the hook itself belonged to the destroyed object.
inline std::function<void(Probe&)> DeleteSelf(std::unique_ptr<Probe>& owner) {
    return [&owner](Probe&) { delete owner.release(); };
}

inline int OpenDescriptorCount() {
    int count = 0;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (::readdir(dir) != nullptr) {
            ++count;
        }
        ::closedir(dir);
    }
    return count;
}

// Sends 16 KiB blocks on `socket` until the kernel says EWOULDBLOCK (which
// re-arms OnSend); returns how many bytes it took.
inline std::size_t FillSendBuffer(AsyncSocket& socket) {
    const std::string block(16384, 'a');
    std::size_t queued = 0;
    for (;;) {
        int n = socket.Send(block.data(), static_cast<int>(block.size()));
        if (n < 0) {
            BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
            return queued;
        }
        queued += static_cast<std::size_t>(n);
    }
}

// Reads everything available on `socket` into `into`; returns false at EOF.
inline bool Drain(AsyncSocket& socket, std::string& into) {
    char buffer[65536];
    for (;;) {
        int n = socket.Receive(buffer, sizeof buffer);
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        return n != 0;
    }
}

}  // namespace xsock::test
