// The xsock side of the echo benchmarks: an AsyncSocket that sends back
// whatever it receives, written the way an MFC-style server is (one Receive per
// OnReceive, what Send could not take kept in a SendQueue and finished in
// OnSend, no Receive while something waits to go out), and a listener that
// accepts into it.
#pragma once

#include <xsock/AsyncSocket.h>
#include <xsock/SendQueue.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace bench {

// The events the echo handles. Urgent data is not among them: a socket that
// selects FD_OOB keeps its stream in the kernel until it reads it, for a
// receive ahead of the program would step over an urgent byte (on io_uring
// it is then watched by a peek; see docs/performance.md).
constexpr long kEchoEvents =
    xsock::FD_READ | xsock::FD_WRITE | xsock::FD_ACCEPT | xsock::FD_CONNECT | xsock::FD_CLOSE;

// What the echo sockets of one loop thread share: the receive buffer and the
// count of bytes received, which another thread reads.
struct EchoContext {
    explicit EchoContext(std::size_t bufferSize) : buffer(bufferSize) {}
    std::vector<char> buffer;
    std::atomic<std::uint64_t> received{0};
    std::uint64_t notifications = 0;  // OnReceive calls, read on the loop's thread
};

class EchoSocket : public xsock::AsyncSocket {
  public:
    // `initial` bytes go out once the connection is writable (the client side).
    EchoSocket(EchoContext& context, std::size_t initial = 0)
        : context_(context), initial_(initial) {}

  protected:
    void OnReceive(int) override {
        ++context_.notifications;
        ReadSome();
    }

    void OnSend(int) override {
        if (initial_ > 0) {
            const std::vector<char> block(initial_, 'x');
            initial_ = 0;
            if (!queue_.Write(*this, block.data(), block.size())) {
                Close();
                return;
            }
        }
        if (!queue_.Flush(*this)) {
            Close();
            return;
        }
        if (paused_ && queue_.Empty()) {
            paused_ = false;
            ReadSome();
        }
    }

    void OnConnect(int error) override {
        if (error != 0) {
            std::fprintf(stderr, "bench: connect: %s\n", std::strerror(error));
            std::exit(1);
        }
    }

    void OnClose(int) override { Close(); }

  private:
    void ReadSome() {
        if (!queue_.Empty()) {
            paused_ = true;  // OnSend resumes reading once the backlog is out
            return;
        }
        char* buffer = context_.buffer.data();
        const int n = Receive(buffer, static_cast<int>(context_.buffer.size()));
        if (n <= 0) {
            return;  // EWOULDBLOCK re-arms; the end comes as OnClose
        }
        context_.received.store(
            context_.received.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(n),
            std::memory_order_relaxed);
        // Straight from the shared buffer; only what Send leaves is copied.
        if (!queue_.Write(*this, buffer, static_cast<std::size_t>(n))) {
            Close();
        }
    }

    EchoContext& context_;
    std::size_t initial_;
    xsock::SendQueue queue_;
    bool paused_ = false;
};

// Accepts into EchoSockets on the thread that created it.
class EchoListener : public xsock::AsyncSocket {
  public:
    explicit EchoListener(EchoContext& context) : context_(context) {}

    // Listens on 127.0.0.1 and a port the system picks; returns the port.
    unsigned Start() {
        std::string address;
        unsigned port = 0;
        if (!Create(0, SOCK_STREAM, kEchoEvents, "127.0.0.1") || !Listen() ||
            !GetSockName(address, port)) {
            std::fprintf(stderr, "bench: listen: %s\n", std::strerror(GetLastError()));
            std::exit(1);
        }
        return port;
    }

    std::size_t Count() const { return connections_.size(); }

  protected:
    void OnAccept(int) override {
        auto connection = std::make_unique<EchoSocket>(context_);
        if (Accept(*connection)) {
            connection->SetNoDelay(true);
            connections_.push_back(std::move(connection));
        }
    }

  private:
    EchoContext& context_;
    std::vector<std::unique_ptr<EchoSocket>> connections_;
};

// `count` client EchoSockets connecting to 127.0.0.1:port, each sending one
// block of `block` bytes once connected.
inline std::vector<std::unique_ptr<EchoSocket>> ConnectEchoClients(EchoContext& context,
                                                                   unsigned port, int count,
                                                                   std::size_t block) {
    std::vector<std::unique_ptr<EchoSocket>> clients;
    for (int i = 0; i < count; ++i) {
        auto client = std::make_unique<EchoSocket>(context, block);
        if (!client->Create(0, SOCK_STREAM, kEchoEvents)) {
            std::fprintf(stderr, "bench: socket: %s\n", std::strerror(client->GetLastError()));
            std::exit(1);
        }
        client->SetNoDelay(true);
        if (!client->Connect("127.0.0.1", port) && client->GetLastError() != EWOULDBLOCK) {
            std::fprintf(stderr, "bench: connect: %s\n", std::strerror(client->GetLastError()));
            std::exit(1);
        }
        clients.push_back(std::move(client));
    }
    return clients;
}

}  // namespace bench
