// One TCP connection over loopback carrying 64 KiB writes as fast as the
// receiver takes them: xsock AsyncSocket sender and receiver (each on its own
// thread and SocketLoop) against blocking send/recv threads, in the same run.
// Prints Gbit/s of payload delivered, medians of several runs.
#include "BenchUtil.h"
#include "Measure.h"

#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace {

constexpr int kWrite = 64 * 1024;
constexpr int kReadBuffer = 256 * 1024;

// Writes 64 KiB blocks until the kernel pushes back, then waits for OnSend.
class Sender : public xsock::AsyncSocket {
  protected:
    void OnSend(int) override {
        while (Send(block_.data(), kWrite) != xsock::SOCKET_ERROR) {
        }
    }

  private:
    std::vector<char> block_ = std::vector<char>(kWrite, 'x');
};

// One Receive per OnReceive, as MFC code reads.
class Receiver : public xsock::AsyncSocket {
  public:
    explicit Receiver(std::atomic<std::uint64_t>& received) : received_(received) {}

  protected:
    void OnReceive(int) override {
        const int n = Receive(buffer_.data(), kReadBuffer);
        if (n > 0) {
            received_.store(received_.load(std::memory_order_relaxed) + n,
                            std::memory_order_relaxed);
        }
    }

  private:
    std::atomic<std::uint64_t>& received_;
    std::vector<char> buffer_ = std::vector<char>(kReadBuffer);
};

// Runs `socket` attached to `fd` on a new thread with its own loop until Quit.
template <class S>
std::thread RunOnLoop(S& socket, int fd, std::promise<xsock::SocketLoop*>& ready) {
    return std::thread([&socket, fd, &ready] {
        xsock::SocketLoop loop;
        if (!socket.Attach(fd)) {
            bench::Fail("Attach");
        }
        ready.set_value(&loop);
        loop.Run();
        socket.Close();
    });
}

double RunXsock(double seconds) {
    unsigned port = 0;
    xsock::Descriptor listener = bench::RawListen(port);
    xsock::Descriptor sending = bench::RawConnect(port);
    xsock::Descriptor receiving = bench::RawAccept(listener.Get());
    std::atomic<std::uint64_t> received{0};
    Sender sender;
    Receiver receiver(received);
    std::promise<xsock::SocketLoop*> senderReady;
    std::promise<xsock::SocketLoop*> receiverReady;
    std::thread receiveThread = RunOnLoop(receiver, receiving.Release(), receiverReady);
    std::thread sendThread = RunOnLoop(sender, sending.Release(), senderReady);
    xsock::SocketLoop* senderLoop = senderReady.get_future().get();
    xsock::SocketLoop* receiverLoop = receiverReady.get_future().get();
    const double rate = bench::MeasureRate(received, seconds);
    senderLoop->Quit();
    sendThread.join();
    receiverLoop->Quit();
    receiveThread.join();
    return rate;
}

double RunRaw(double seconds) {
    unsigned port = 0;
    xsock::Descriptor listener = bench::RawListen(port);
    xsock::Descriptor sending = bench::RawConnect(port);
    xsock::Descriptor receiving = bench::RawAccept(listener.Get());
    std::atomic<std::uint64_t> received{0};
    std::atomic<bool> stop{false};
    std::thread sendThread([&] {
        const std::vector<char> block(kWrite, 'x');
        while (!stop.load(std::memory_order_relaxed) &&
               bench::SendAll(sending.Get(), block.data(), block.size())) {
        }
        ::shutdown(sending.Get(), SHUT_WR);
    });
    std::thread receiveThread([&] {
        std::vector<char> buffer(kReadBuffer);
        ssize_t n;
        while ((n = ::recv(receiving.Get(), buffer.data(), buffer.size(), 0)) > 0) {
            received.store(received.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        }
    });
    const double rate = bench::MeasureRate(received, seconds);
    stop = true;
    sendThread.join();
    receiveThread.join();
    return rate;
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "StreamBench: one loopback connection, 64 KiB writes; xsock AsyncSocket vs\n"
        "blocking send/recv threads, Gbit/s.",
        2.0);
    std::vector<double> xsock;
    std::vector<double> raw;
    for (int run = 0; run < options.runs; ++run) {
        xsock.push_back(options.Runs("xsock") ? RunXsock(options.seconds) : 0);
        raw.push_back(options.Runs("raw") ? RunRaw(options.seconds) : 0);
    }
    const double x = bench::Median(xsock) * 8 / 1e9;
    const double r = bench::Median(raw) * 8 / 1e9;
    std::printf(
        "Stream, one connection, 64 KiB writes, 256 KiB reads; median of %d runs of "
        "%.1f s.\n\n",
        options.runs, options.seconds);
    std::printf("| implementation | Gbit/s |\n| --- | ---: |\n");
    std::printf("| xsock AsyncSocket | %.2f |\n| raw blocking threads | %.2f |\n", x, r);
    std::printf("\n| target | measured | met |\n| --- | ---: | --- |\n");
    std::printf("| stream: xsock >= 0.95x raw blocking | %.2fx | %s |\n", bench::Ratio(x, r),
                bench::Met(bench::Ratio(x, r) >= 0.95));
    return 0;
}
