// Ping-pong over plain blocking sockets with one thread per connection on each
// side: the baseline without any event loop.
#include "BenchUtil.h"
#include "Measure.h"
#include "PingPong.h"

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace pingpong {
namespace {

// Receives and sends back until the peer goes away or `stop` is set, then
// shuts the connection down so that the peer's thread ends too; counts what
// arrives in `received` if given. Every thread of a side adds to the same
// counter, so it takes an atomic add.
void Echo(int fd, std::size_t block, std::atomic<std::uint64_t>* received,
          const std::atomic<bool>& stop) {
    std::vector<char> buffer(block);
    while (!stop.load(std::memory_order_relaxed)) {
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (received != nullptr) {
            received->fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
        }
        if (!bench::SendAll(fd, buffer.data(), static_cast<std::size_t>(n))) {
            break;
        }
    }
    ::shutdown(fd, SHUT_RDWR);
}

}  // namespace

bench::Window RunRaw(const Cell& cell) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> received{0};
    bench::RawPairs pairs = bench::RawConnectPairs(cell.connections);
    std::vector<xsock::Descriptor>& clientFds = pairs.clients;
    std::vector<xsock::Descriptor>& serverFds = pairs.servers;
    std::vector<std::thread> threads;
    const std::vector<char> first(cell.block, 'x');
    for (int i = 0; i < cell.connections; ++i) {
        threads.emplace_back(Echo, serverFds[i].Get(), cell.block, nullptr, std::cref(stop));
        threads.emplace_back([&, fd = clientFds[i].Get()] {
            ::pthread_setname_np(::pthread_self(), bench::kClientThread);
            if (bench::SendAll(fd, first.data(), first.size())) {
                Echo(fd, cell.block, &received, stop);
            }
        });
    }
    const bench::Window window = bench::MeasureWindow(received, cell.seconds);
    stop = true;
    for (std::thread& thread : threads) {
        thread.join();
    }
    return window;
}

}  // namespace pingpong
