// The xsock side of the TLS benchmark's ping-pong and handshakes:
// AsyncSocket subclasses made TLS with StartTls, the server's on one
// SocketLoop thread and the client's on another.
#include "BenchUtil.h"
#include "TlsBench.h"
#include "XsockEcho.h"
#include "XsockTlsSupport.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace tlsbench {

using namespace xsockside;

namespace {

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

}  // namespace tlsbench
