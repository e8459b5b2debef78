// Ping-pong throughput of xsock AsyncSocket, Boost.Asio and blocking threads,
// measured in the same run for each block size and connection count; prints
// the medians as a markdown table, then the targets.
//
// MiB/s counts the echoed payload the clients received per second; a round
// trip is one block's worth of those bytes, so round trips/s = bytes/s / block
// size, summed over all connections.
#include "BenchUtil.h"
#include "PingPong.h"

#include <cstdio>
#include <vector>

namespace {

struct Runner {
    const char* name;
    double (*run)(const pingpong::Cell&);
};

const Runner kRunners[] = {
    {"xsock", pingpong::RunXsock},
    {"asio", pingpong::RunAsio},
    {"raw threads", pingpong::RunRaw},
};

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "PingPongBench: echo ping-pong, xsock AsyncSocket vs Boost.Asio vs one blocking\n"
        "thread per connection, each on its own client and server.",
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

    std::printf(
        "Ping-pong, median of %d runs of %.1f s per cell; one loop thread per side "
        "(raw: one thread per connection per side).\n\n",
        options.runs, options.seconds);
    std::printf(
        "| block | conns | xsock MiB/s | asio MiB/s | raw MiB/s | xsock rt/s | asio rt/s "
        "| raw rt/s | xsock/asio | xsock/raw |\n");
    std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    double smallRatio = 0;
    double bulkRatio = 0;
    for (std::size_t block : blocks) {
        for (int connections : counts) {
            const pingpong::Cell cell{block, connections, options.seconds};
            std::vector<std::vector<double>> rates(std::size(kRunners));
            // The implementations take turns so that drifts in machine load
            // reach all of them alike.
            for (int run = 0; run < options.runs; ++run) {
                for (std::size_t i = 0; i < std::size(kRunners); ++i) {
                    rates[i].push_back(options.Runs(kRunners[i].name) ? kRunners[i].run(cell) : 0);
                }
            }
            double median[std::size(kRunners)];
            for (std::size_t i = 0; i < std::size(kRunners); ++i) {
                median[i] = bench::Median(rates[i]);
            }
            const double mib = 1024.0 * 1024.0;
            const double b = static_cast<double>(block);
            std::printf("| %s | %d | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f | %.2f | %.2f |\n",
                        bench::SizeName(block).c_str(), connections, median[0] / mib,
                        median[1] / mib, median[2] / mib, median[0] / b, median[1] / b,
                        median[2] / b, bench::Ratio(median[0], median[1]),
                        bench::Ratio(median[0], median[2]));
            std::fflush(stdout);
            if (block == 64 && connections == 1) {
                smallRatio = bench::Ratio(median[0], median[1]);
            }
            if (block == 16384 && connections == 100) {
                bulkRatio = bench::Ratio(median[0], median[1]);
            }
        }
    }
    std::printf("\n| target | measured | met |\n| --- | ---: | --- |\n");
    std::printf("| 64 B, 1 connection: xsock >= 1.10x asio round trips/s | %.2fx | %s |\n",
                smallRatio, bench::Met(smallRatio >= 1.10));
    std::printf("| 16 KiB, 100 connections: xsock >= 1.15x asio MiB/s | %.2fx | %s |\n", bulkRatio,
                bench::Met(bulkRatio >= 1.15));
    return 0;
}
