// Ping-pong with the server spread over 1 and then 2 loop threads
// (xsock::LoopThreads): a listener on its own thread hands every accepted
// connection to the next loop round robin, and one client thread drives 100
// connections. Shows what a second server loop thread buys on this machine.
#include "BenchUtil.h"
#include "Measure.h"
#include "XsockEcho.h"

#include <xsock/AsyncSocket.h>
#include <xsock/LoopThreads.h>
#include <xsock/SocketLoop.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace {

constexpr int kConnections = 100;

// Each server loop thread's connections and receive buffer.
struct ThreadState {
    bench::EchoContext context{64 * 1024};
    std::vector<std::unique_ptr<bench::EchoSocket>> connections;
};
thread_local std::unique_ptr<ThreadState> tState;

class HandingListener : public xsock::AsyncSocket {
  public:
    explicit HandingListener(xsock::LoopThreads& threads) : threads_(threads) {}

  protected:
    void OnAccept(int) override {
        xsock::AsyncSocket accepted;
        if (!Accept(accepted)) {
            return;
        }
        accepted.SetNoDelay(true);
        threads_.HandOver(accepted, [](xsock::SOCKET handle) {
            if (!tState) {
                tState = std::make_unique<ThreadState>();
            }
            auto connection = std::make_unique<bench::EchoSocket>(tState->context);
            if (!connection->Attach(handle)) {
                bench::Fail("Attach");
            }
            tState->connections.push_back(std::move(connection));
        });
    }

  private:
    xsock::LoopThreads& threads_;
};

double Run(unsigned loopThreads, std::size_t block, double seconds) {
    xsock::LoopThreads threads(loopThreads, xsock::SocketLoop::Options{});
    std::promise<std::pair<xsock::SocketLoop*, unsigned>> listening;
    std::thread acceptor([&] {
        xsock::SocketLoop loop;
        HandingListener listener(threads);
        std::string address;
        unsigned port = 0;
        if (!listener.Create(0, SOCK_STREAM, xsock::FD_ALL, "127.0.0.1") || !listener.Listen() ||
            !listener.GetSockName(address, port)) {
            bench::Fail("listen");
        }
        listening.set_value({&loop, port});
        loop.Run();
    });
    auto [acceptorLoop, port] = listening.get_future().get();

    bench::EchoContext clientContext(64 * 1024);
    std::promise<xsock::SocketLoop*> clientReady;
    std::thread client([&] {
        xsock::SocketLoop loop;
        auto clients = bench::ConnectEchoClients(clientContext, port, kConnections, block);
        clientReady.set_value(&loop);
        loop.Run();
    });
    xsock::SocketLoop* clientLoop = clientReady.get_future().get();
    const double rate = bench::MeasureRate(clientContext.received, seconds);
    clientLoop->Quit();
    client.join();
    acceptorLoop->Quit();
    acceptor.join();
    // The connections belong to the loop threads: each drops its own.
    for (unsigned i = 0; i < threads.Size(); ++i) {
        std::promise<void> done;
        threads.LoopAt(i).Post([&done] {
            tState.reset();
            done.set_value();
        });
        done.get_future().wait();
    }
    return rate;
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "LoopThreadsBench: ping-pong with 100 connections, the xsock server on 1 vs 2\n"
        "loop threads (LoopThreads::HandOver), the client on one thread.",
        1.0);
    bench::RaiseFdLimit(1024);
    std::printf(
        "Ping-pong, %d connections, server on 1 vs 2 loop threads, client on one "
        "thread; median of %d runs of %.1f s.\n\n",
        kConnections, options.runs, options.seconds);
    std::printf(
        "| block | 1 thread MiB/s | 2 threads MiB/s | 1 thread rt/s | 2 threads rt/s | "
        "2 vs 1 |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (std::size_t block : {std::size_t{64}, std::size_t{16384}}) {
        std::vector<double> one;
        std::vector<double> two;
        for (int run = 0; run < options.runs; ++run) {
            one.push_back(Run(1, block, options.seconds));
            two.push_back(Run(2, block, options.seconds));
        }
        const double a = bench::Median(one);
        const double b = bench::Median(two);
        const double mib = 1024.0 * 1024.0;
        std::printf("| %s | %.1f | %.1f | %.0f | %.0f | %.2fx |\n", bench::SizeName(block).c_str(),
                    a / mib, b / mib, a / static_cast<double>(block),
                    b / static_cast<double>(block), b / a);
        std::fflush(stdout);
    }
    return 0;
}
