// Ping-pong throughput of xsock AsyncSocket (on epoll and on io_uring),
// Boost.Asio and blocking threads, measured in the same run for each block
// size and connection count; prints the medians as a markdown table, then the
// targets.
//
// MiB/s counts the echoed payload the clients received per second; a round
// trip is one block's worth of those bytes, so round trips/s = bytes/s / block
// size, summed over all connections.
#include "BenchUtil.h"
#include "PingPong.h"

#include <xsock/SocketLoop.h>

#include <cstdio>
#include <exception>
#include <vector>

namespace {

struct Runner {
    const char* name;
    double (*run)(const pingpong::Cell&);
};

// The order of the table's columns.
enum { kEpoll, kUring, kAsio, kRaw, kRunnerCount };
const Runner kRunners[kRunnerCount] = {
    {"xsock epoll", pingpong::RunXsockEpoll},
    {"xsock uring", pingpong::RunXsockUring},
    {"asio", pingpong::RunAsio},
    {"raw threads", pingpong::RunRaw},
};

// Whether a uring loop starts here; if not, says why once and its column shows 0.
bool UringStarts() {
    try {
        xsock::SocketLoop probe({xsock::SocketLoop::Backend::Uring});
        return true;
    } catch (const std::exception& refused) {
        std::fprintf(stderr, "PingPongBench: no xsock uring column: %s\n", refused.what());
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "PingPongBench: echo ping-pong, xsock AsyncSocket (epoll and io_uring backends) vs\n"
        "Boost.Asio vs one blocking thread per connection, each on its own client and server.",
        1.0);
    bench::RaiseFdLimit(8192);
    std::vector<std::size_t> blocks = {64, 1024, 16384, 65536};
    std::vector<int> counts = {1, 10, 100, 1000};
    if (options.quick) {
        blocks = {64, 16384};
        counts = {1, 100};
    }
    if (options.block != 0) {
        blocks = {options.block};
    }
    if (options.connections != 0) {
        counts = {options.connections};
    }
    const bool uring = UringStarts();

    std::printf(
        "Ping-pong, median of %d runs of %.1f s per cell; one loop thread per side "
        "(raw: one thread per connection per side).\n\n",
        options.runs, options.seconds);
    std::printf("| block | conns |");
    for (const char* unit : {"MiB/s", "rt/s"}) {
        for (const Runner& runner : kRunners) {
            std::printf(" %s %s |", runner.name, unit);
        }
    }
    std::printf(" epoll/asio | uring/asio | uring/epoll | uring/raw |\n|");
    for (int column = 0; column < 2 + 2 * kRunnerCount + 4; ++column) {
        std::printf(" ---: |");
    }
    std::printf("\n");
    // Ratios in the target cells (round trips/s and MiB/s give the same ratio).
    double smallEpollAsio = 0;
    double bulkEpollAsio = 0;
    double smallUringRaw = 0;
    double small100UringAsio = 0;
    double bulkUringAsio = 0;
    for (std::size_t block : blocks) {
        for (int connections : counts) {
            const pingpong::Cell cell{block, connections, options.seconds};
            std::vector<std::vector<double>> rates(kRunnerCount);
            // The implementations take turns so that drifts in machine load
            // reach all of them alike.
            for (int run = 0; run < options.runs; ++run) {
                for (std::size_t i = 0; i < kRunnerCount; ++i) {
                    const bool runs = options.Runs(kRunners[i].name) && (i != kUring || uring);
                    rates[i].push_back(runs ? kRunners[i].run(cell) : 0);
                }
            }
            double median[kRunnerCount];
            for (std::size_t i = 0; i < kRunnerCount; ++i) {
                median[i] = bench::Median(rates[i]);
            }
            const double mib = 1024.0 * 1024.0;
            const double b = static_cast<double>(block);
            std::printf("| %s | %d |", bench::SizeName(block).c_str(), connections);
            for (double rate : median) {
                std::printf(" %.1f |", rate / mib);
            }
            for (double rate : median) {
                std::printf(" %.0f |", rate / b);
            }
            const double epollAsio = bench::Ratio(median[kEpoll], median[kAsio]);
            const double uringAsio = bench::Ratio(median[kUring], median[kAsio]);
            const double uringRaw = bench::Ratio(median[kUring], median[kRaw]);
            std::printf(" %.2f | %.2f | %.2f | %.2f |\n", epollAsio, uringAsio,
                        bench::Ratio(median[kUring], median[kEpoll]), uringRaw);
            std::fflush(stdout);
            if (block == 64 && connections == 1) {
                smallEpollAsio = epollAsio;
                smallUringRaw = uringRaw;
            }
            if (block == 64 && connections == 100) {
                small100UringAsio = uringAsio;
            }
            if (block == 16384 && connections == 100) {
                bulkEpollAsio = epollAsio;
                bulkUringAsio = uringAsio;
            }
        }
    }
    std::printf("\n| target | measured | met |\n| --- | ---: | --- |\n");
    std::printf("| 64 B, 1 connection: xsock epoll >= 1.10x asio round trips/s | %.2fx | %s |\n",
                smallEpollAsio, bench::Met(smallEpollAsio >= 1.10));
    std::printf("| 16 KiB, 100 connections: xsock epoll >= 1.15x asio MiB/s | %.2fx | %s |\n",
                bulkEpollAsio, bench::Met(bulkEpollAsio >= 1.15));
    std::printf("| 64 B, 100 connections: xsock uring >= 1.25x asio | %.2fx | %s |\n",
                small100UringAsio, bench::Met(small100UringAsio >= 1.25));
    std::printf("| 16 KiB, 100 connections: xsock uring >= 1.25x asio | %.2fx | %s |\n",
                bulkUringAsio, bench::Met(bulkUringAsio >= 1.25));
    std::printf("| 64 B, 1 connection: xsock uring >= 1.0x raw threads | %.2fx | %s |\n",
                smallUringRaw, bench::Met(smallUringRaw >= 1.0));
    return 0;
}
