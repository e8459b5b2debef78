// The xsock side of the TLS benchmark: AsyncSocket subclasses made TLS with
// StartTls, the server's on one SocketLoop thread and the client's on another.
#include "BenchUtil.h"
#include "TlsBench.h"
#include "XsockEcho.h"

#include <xsock/SocketLoop.h>
#include <xsock/Tls.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace tlsbench {
namespace {

[[noreturn]] void Die(const char* what) {
    std::fprintf(stderr, "TlsBench: xsock: %s: %s\n", what,
                 xsock::AsyncSocket::GetLastErrorCode().message().c_str());
    std::exit(1);
}

std::string NegotiatedBy(const xsock::AsyncSocket& socket) {
    std::optional<xsock::TlsInfo> info = xsock::GetTlsInfo(socket);
    return info && info->established ? info->version + " " + info->cipher : "?";
}

xsock::TlsContext ServerContext(const BenchPki& pki) {
    return xsock::TlsContext::Server(pki.Certificate().c_str(), pki.Key().c_str());
}

xsock::TlsContext ClientContext(const BenchPki& pki) {
    xsock::TlsContext context = xsock::TlsContext::Client();
    if (!context.AddCertificateAuthority(pki.Ca().c_str())) {
        Die("AddCertificateAuthority");
    }
    context.SetSessionResumption(false);
    return context;
}

// Accepts on 127.0.0.1 into sockets that `make` creates and starts TLS on
// each; connections that say they are finished are freed at the next accept.
template <class T>
class TlsListener : public xsock::AsyncSocket {
  public:
    TlsListener(xsock::TlsContext& tls, std::function<std::unique_ptr<T>()> make)
        : tls_(tls), make_(std::move(make)) {}

    unsigned Start() {
        std::string address;
        unsigned port = 0;
        if (!Create(0, SOCK_STREAM, xsock::FD_ALL, "127.0.0.1") || !Listen() ||
            !GetSockName(address, port)) {
            Die("listen");
        }
        return port;
    }

    const std::vector<std::unique_ptr<T>>& Connections() const { return connections_; }

  protected:
    void OnAccept(int) override {
        if constexpr (requires(const T& t) { t.Finished(); }) {
            std::erase_if(connections_, [](const auto& c) { return c->Finished(); });
        }
        std::unique_ptr<T> connection = make_();
        if (!Accept(*connection)) {
            return;
        }
        connection->SetNoDelay(true);
        // A client gone before its connection was accepted (one the client
        // side reset when it stopped) fails here; the others go on.
        if (xsock::StartTls(*connection, tls_)) {
            connections_.push_back(std::move(connection));
        }
    }

  private:
    xsock::TlsContext& tls_;
    std::function<std::unique_ptr<T>()> make_;
    std::vector<std::unique_ptr<T>> connections_;
};

// Connects over TLS to 127.0.0.1:port, checking the certificate for localhost.
void TlsConnect(xsock::AsyncSocket& socket, xsock::TlsContext& tls, unsigned port) {
    if (!socket.Create()) {
        Die("socket");
    }
    socket.SetNoDelay(true);
    if (!xsock::StartTls(socket, tls, "localhost")) {
        Die("StartTls (client)");
    }
    if (!socket.Connect("127.0.0.1", port) && xsock::AsyncSocket::GetLastError() != EWOULDBLOCK) {
        Die("connect");
    }
}

// Runs `body` on a new thread inside its own loop until Quit; `body` sets up
// the sockets, which live until the loop ends, and may return a port.
struct LoopThread {
    template <class Body>
    explicit LoopThread(Body body) {
        thread = std::thread([this, body]() mutable {
            xsock::SocketLoop loop;
            body(loop, [&](unsigned port) { ready.set_value({&loop, port}); });
        });
        std::tie(loop, port) = ready.get_future().get();
    }
    void Stop() {
        loop->Quit();
        thread.join();
    }
    std::promise<std::pair<xsock::SocketLoop*, unsigned>> ready;
    std::thread thread;
    xsock::SocketLoop* loop = nullptr;
    unsigned port = 0;
};

void WaitFor(const std::atomic<int>& count, int wanted) {
    const double deadline = bench::WallSeconds() + 60;
    while (count.load() < wanted) {
        if (bench::WallSeconds() > deadline) {
            std::fprintf(stderr, "TlsBench: xsock: %d of %d connections after 60 s\n", count.load(),
                         wanted);
            std::exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

// An echo client that says when its handshake is done.
class EchoClient : public bench::EchoSocket {
  public:
    EchoClient(bench::EchoContext& context, std::size_t block, std::atomic<int>& connected)
        : EchoSocket(context, block), connected_(connected) {}

  protected:
    void OnConnect(int error) override {
        if (error != 0) {
            Die("handshake");
        }
        connected_.fetch_add(1);
    }

  private:
    std::atomic<int>& connected_;
};

}  // namespace

Result XsockPingPong(const BenchPki& pki, const PingPongCell& cell) {
    const std::size_t bufferSize = 64 * 1024;
    xsock::TlsContext serverTls = ServerContext(pki);
    xsock::TlsContext clientTls = ClientContext(pki);
    LoopThread server([&](xsock::SocketLoop& loop, auto ready) {
        bench::EchoContext context(bufferSize);
        TlsListener<bench::EchoSocket> listener(
            serverTls, [&] { return std::make_unique<bench::EchoSocket>(context); });
        ready(listener.Start());
        loop.Run();
    });
    bench::EchoContext clientContext(bufferSize);
    std::atomic<int> connected{0};
    std::string negotiated;
    LoopThread client([&](xsock::SocketLoop& loop, auto ready) {
        std::vector<std::unique_ptr<EchoClient>> clients;
        for (int i = 0; i < cell.connections; ++i) {
            clients.push_back(std::make_unique<EchoClient>(clientContext, cell.block, connected));
            TlsConnect(*clients.back(), clientTls, server.port);
        }
        ready(0);
        loop.Run();
        negotiated = NegotiatedBy(*clients.front());
    });
    WaitFor(connected, cell.connections);
    Result result = MeasureRateAndCpu(clientContext.received, cell.seconds);
    client.Stop();
    server.Stop();
    result.negotiated = negotiated;
    return result;
}

namespace {

// The server end of a handshake: one byte once its handshake is done, then
// nothing until the client resets the connection.
class GreetingServer : public xsock::AsyncSocket {
  public:
    bool Finished() const noexcept { return finished_; }

  protected:
    void OnSend(int) override {
        if (!greeted_) {
            greeted_ = true;
            Send("x", 1);
        }
    }
    void OnReceive(int) override {
        char buffer[256];
        Receive(buffer, sizeof buffer);
    }
    void OnClose(int) override {
        Close();
        finished_ = true;
    }

  private:
    bool greeted_ = false;
    bool finished_ = false;
};

class HandshakeClients;

// The client end: counts once the server's byte arrived.
class GreetedClient : public xsock::AsyncSocket {
  public:
    explicit GreetedClient(HandshakeClients& owner) : owner_(owner) {}
    bool Finished() const noexcept { return finished_; }

  protected:
    void OnConnect(int error) override {
        if (error != 0) {
            Die("handshake");
        }
    }
    void OnReceive(int) override;
    void OnClose(int) override {
        if (!finished_) {
            Die("closed before the server's byte");
        }
    }

  private:
    HandshakeClients& owner_;
    bool finished_ = false;
};

// Keeps `inFlight` connections opening; a finished one is closed with a reset
// and replaced.
class HandshakeClients {
  public:
    HandshakeClients(xsock::TlsContext& tls, unsigned port, std::atomic<std::uint64_t>& done)
        : tls_(tls), port_(port), done_(done) {}

    void Open() {
        clients_.push_back(std::make_unique<GreetedClient>(*this));
        GreetedClient& client = *clients_.back();
        TlsConnect(client, tls_, port_);
        client.SetLinger(true, 0);
    }

    void Finished(GreetedClient& client) {
        if (negotiated_.empty()) {
            negotiated_ = NegotiatedBy(client);
        }
        client.Close();
        done_.store(done_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        // Not `client`: its callback is still running.
        std::erase_if(clients_, [&](const auto& c) { return c->Finished() && c.get() != &client; });
        Open();
    }

    const std::string& Negotiated() const noexcept { return negotiated_; }

  private:
    xsock::TlsContext& tls_;
    unsigned port_;
    std::atomic<std::uint64_t>& done_;
    std::vector<std::unique_ptr<GreetedClient>> clients_;
    std::string negotiated_;
};

void GreetedClient::OnReceive(int) {
    char buffer[16];
    if (Receive(buffer, sizeof buffer) > 0 && !finished_) {
        finished_ = true;
        owner_.Finished(*this);
    }
}

}  // namespace

Result XsockHandshakes(const BenchPki& pki, int inFlight, double seconds) {
    xsock::TlsContext serverTls = ServerContext(pki);
    xsock::TlsContext clientTls = ClientContext(pki);
    LoopThread server([&](xsock::SocketLoop& loop, auto ready) {
        TlsListener<GreetingServer> listener(serverTls,
                                             [] { return std::make_unique<GreetingServer>(); });
        ready(listener.Start());
        loop.Run();
    });
    std::atomic<std::uint64_t> done{0};
    std::string negotiated;
    LoopThread client([&](xsock::SocketLoop& loop, auto ready) {
        HandshakeClients clients(clientTls, server.port, done);
        for (int i = 0; i < inFlight; ++i) {
            clients.Open();
        }
        ready(0);
        loop.Run();
        negotiated = clients.Negotiated();
    });
    Result result = MeasureRateAndCpu(done, seconds);
    client.Stop();
    server.Stop();
    result.negotiated = negotiated;
    return result;
}

namespace {

constexpr int kWrite = 64 * 1024;
constexpr int kReadBuffer = 256 * 1024;

// Sends `bytes` in 64 KiB Sends as fast as the connection takes them, then
// ends with close_notify.
class BulkSender : public xsock::AsyncSocket {
  public:
    explicit BulkSender(std::uint64_t bytes) : left_(bytes) {}

  protected:
    void OnConnect(int error) override {
        if (error != 0) {
            Die("handshake");
        }
    }
    void OnSend(int) override {
        while (left_ > 0) {
            const int n =
                Send(block_.data(), static_cast<int>(std::min<std::uint64_t>(kWrite, left_)));
            if (n == xsock::SOCKET_ERROR) {
                return;
            }
            left_ -= static_cast<std::uint64_t>(n);
        }
        if (!shut_) {
            shut_ = true;
            ShutDown(sends);
        }
    }
    void OnClose(int) override { Close(); }

  private:
    std::uint64_t left_;
    bool shut_ = false;
    std::vector<char> block_ = std::vector<char>(kWrite, 'x');
};

// One Receive per OnReceive, as MFC code reads; notes when the first and the
// last byte came.
class BulkReceiver : public xsock::AsyncSocket {
  public:
    BulkReceiver(std::uint64_t bytes, std::atomic<bool>& finished)
        : bytes_(bytes), left_(bytes), finished_(finished) {}
    // Bytes/s after the first Receive, which may have found bytes waiting.
    double Rate() const {
        return last_ > first_ ? static_cast<double>(bytes_ - firstBytes_) / (last_ - first_) : 0;
    }
    std::string negotiated;

  protected:
    void OnReceive(int) override {
        const int n = Receive(buffer_.data(), kReadBuffer);
        if (n <= 0) {
            return;
        }
        if (first_ == 0) {
            first_ = bench::WallSeconds();
            firstBytes_ = static_cast<std::uint64_t>(n);
        }
        left_ -= std::min<std::uint64_t>(left_, static_cast<std::uint64_t>(n));
        if (left_ == 0 && !finished_.load()) {
            last_ = bench::WallSeconds();
            negotiated = NegotiatedBy(*this);
            finished_.store(true);
        }
    }
    void OnClose(int) override { Close(); }

  private:
    std::uint64_t bytes_;
    std::uint64_t left_;
    std::atomic<bool>& finished_;
    std::uint64_t firstBytes_ = 0;
    double first_ = 0;
    double last_ = 0;
    std::vector<char> buffer_ = std::vector<char>(kReadBuffer);
};

}  // namespace

Result XsockBulk(const BenchPki& pki, std::uint64_t bytes) {
    xsock::TlsContext serverTls = ServerContext(pki);
    xsock::TlsContext clientTls = ClientContext(pki);
    std::atomic<bool> finished{false};
    double rate = 0;
    std::string negotiated;
    const double cpuStart = ProcessCpuSeconds();
    LoopThread receiver([&](xsock::SocketLoop& loop, auto ready) {
        TlsListener<BulkReceiver> listener(
            serverTls, [&] { return std::make_unique<BulkReceiver>(bytes, finished); });
        ready(listener.Start());
        loop.Run();
        if (!listener.Connections().empty()) {
            rate = listener.Connections().front()->Rate();
            negotiated = listener.Connections().front()->negotiated;
        }
    });
    LoopThread sender([&](xsock::SocketLoop& loop, auto ready) {
        BulkSender socket(bytes);
        TlsConnect(socket, clientTls, receiver.port);
        ready(0);
        loop.Run();
    });
    const double deadline = bench::WallSeconds() + 120;
    while (!finished.load()) {
        if (bench::WallSeconds() > deadline) {
            std::fprintf(stderr, "TlsBench: xsock bulk did not finish in 120 s\n");
            std::exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double cpu = ProcessCpuSeconds() - cpuStart;
    sender.Stop();
    receiver.Stop();
    return {rate, cpu / static_cast<double>(bytes), negotiated};
}

}  // namespace tlsbench
