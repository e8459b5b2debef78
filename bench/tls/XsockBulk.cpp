// The xsock side of the TLS benchmark's bulk transfer: one connection, a
// sender and a receiver each on its own SocketLoop thread.
#include "BenchUtil.h"
#include "TlsBench.h"
#include "XsockTlsSupport.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace tlsbench {

using namespace xsockside;

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
