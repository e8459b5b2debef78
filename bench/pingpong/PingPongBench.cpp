// Ping-pong throughput of xsock AsyncSocket (on epoll and on io_uring),
// Boost.Asio on epoll, standalone Asio on io_uring, hand-written epoll and
// io_uring loops and blocking threads, measured in the same run for each
// block size and connection count; prints the medians as markdown tables
// (round trips per second, then system calls per round trip and the client's
// CPU share), then the targets.
//
// A round trip is one block echoed by the server: round trips/s = bytes/s /
// block size, summed over all connections. System calls are those both sides
// entered in the measured window (ThreadCounters.h).
#include "BenchUtil.h"
#include "PingPong.h"

#include <xsock/SocketLoop.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

namespace {

struct Runner {
    const char* name;
    bench::Window (*run)(const pingpong::Cell&);
};

// The order of the tables' columns.
enum { kEpoll, kUring, kAsio, kAsioUring, kHand, kHandUring, kRaw, kRunnerCount };
const Runner kRunners[kRunnerCount] = {
    {"xsock epoll", pingpong::RunXsockEpoll},
    {"xsock uring", pingpong::RunXsockUring},
    {"asio", pingpong::RunAsio},
    {"asio uring", pingpong::RunAsioUring},
    {"epoll by hand", pingpong::RunEpoll},
    {"uring by hand", pingpong::RunUring},
    {"raw threads", pingpong::RunRaw},
};

// Whether a uring loop starts here; if not, says why once and the uring
// columns show 0.
bool UringStarts() {
    try {
        xsock::SocketLoop probe({xsock::SocketLoop::Backend::Uring});
        return true;
    } catch (const std::exception& refused) {
        std::fprintf(stderr, "PingPongBench: no uring columns: %s\n", refused.what());
        return false;
    }
}

void Header(const char* unit, const char* extra) {
    std::printf("| block | conns |");
    for (const Runner& runner : kRunners) {
        std::printf(" %s %s |", runner.name, unit);
    }
    std::printf("%s\n|", extra);
    int columns = 2 + kRunnerCount;
    for (const char* c = extra; *c != '\0'; ++c) {
        columns += *c == '|' ? 1 : 0;
    }
    for (int column = 0; column < columns; ++column) {
        std::printf(" ---: |");
    }
    std::printf("\n");
}

struct Row {
    std::size_t block;
    int connections;
    bench::Window median[kRunnerCount];
};

double MedianOf(std::vector<bench::Window>& windows, double bench::Window::*field) {
    std::vector<double> values;
    for (const bench::Window& window : windows) {
        values.push_back(window.*field);
    }
    return bench::Median(values);
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "PingPongBench: echo ping-pong, xsock AsyncSocket (epoll and io_uring backends) vs\n"
        "Boost.Asio (epoll) vs standalone Asio (io_uring) vs hand-written epoll and io_uring\n"
        "loops vs one blocking thread per connection, each on its own client and server.",
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
        "(raw: one thread per connection per side). Round trips per second:\n\n",
        options.runs, options.seconds);
    Header("rt/s",
           " xsock epoll / asio | xsock uring / better asio | xsock uring / epoll by hand |"
           " xsock uring / raw | uring by hand / better asio |");
    std::vector<Row> rows;
    for (std::size_t block : blocks) {
        for (int connections : counts) {
            const pingpong::Cell cell{block, connections, options.seconds};
            std::vector<std::vector<bench::Window>> windows(kRunnerCount);
            // The implementations take turns so that drifts in machine load
            // reach all of them alike.
            for (int run = 0; run < options.runs; ++run) {
                for (std::size_t i = 0; i < kRunnerCount; ++i) {
                    const bool needsUring = i == kUring || i == kAsioUring || i == kHandUring;
                    const bool runs = options.Runs(kRunners[i].name) && (uring || !needsUring);
                    windows[i].push_back(runs ? kRunners[i].run(cell) : bench::Window{});
                }
            }
            Row row{block, connections, {}};
            const double b = static_cast<double>(block);
            for (std::size_t i = 0; i < kRunnerCount; ++i) {
                // Rates become round trips per second from here on.
                row.median[i] = {MedianOf(windows[i], &bench::Window::rate) / b,
                                 MedianOf(windows[i], &bench::Window::syscalls),
                                 MedianOf(windows[i], &bench::Window::clientCpu)};
            }
            std::printf("| %s | %d |", bench::SizeName(block).c_str(), connections);
            for (const bench::Window& median : row.median) {
                std::printf(" %.0f |", median.rate);
            }
            const double betterAsio = std::max(row.median[kAsio].rate, row.median[kAsioUring].rate);
            std::printf(" %.2f | %.2f | %.2f | %.2f | %.2f |\n",
                        bench::Ratio(row.median[kEpoll].rate, row.median[kAsio].rate),
                        bench::Ratio(row.median[kUring].rate, betterAsio),
                        bench::Ratio(row.median[kUring].rate, row.median[kHand].rate),
                        bench::Ratio(row.median[kUring].rate, row.median[kRaw].rate),
                        bench::Ratio(row.median[kHandUring].rate, betterAsio));
            std::fflush(stdout);
            rows.push_back(row);
        }
    }

    std::printf(
        "\nSystem calls per round trip, both sides (\"-\" where the kernel refused the "
        "counter), and the client threads' CPU in cores (1.00: the client may be the "
        "bottleneck):\n\n");
    Header("syscalls/rt", "");
    for (const Row& row : rows) {
        std::printf("| %s | %d |", bench::SizeName(row.block).c_str(), row.connections);
        for (const bench::Window& median : row.median) {
            if (median.syscalls < 0 || median.rate <= 0) {
                std::printf(" - |");
            } else {
                std::printf(" %.2f |", median.syscalls / median.rate);
            }
        }
        std::printf("\n");
    }
    std::printf("\n");
    Header("client CPU", "");
    for (const Row& row : rows) {
        std::printf("| %s | %d |", bench::SizeName(row.block).c_str(), row.connections);
        for (const bench::Window& median : row.median) {
            std::printf(" %.2f |", median.clientCpu);
        }
        std::printf("\n");
    }

    auto find = [&](std::size_t block, int connections) -> const Row* {
        for (const Row& row : rows) {
            if (row.block == block && row.connections == connections) {
                return &row;
            }
        }
        return nullptr;
    };
    auto ratio = [&](std::size_t block, int connections, int runner, int against) {
        const Row* row = find(block, connections);
        if (row == nullptr) {
            return 0.0;
        }
        double base = row->median[against].rate;
        if (against == kAsio) {  // the better of the two Asio columns
            base = std::max(base, row->median[kAsioUring].rate);
        }
        return bench::Ratio(row->median[runner].rate, base);
    };
    std::printf("\n| target | measured | met |\n| --- | ---: | --- |\n");
    struct Target {
        const char* what;
        double measured;
        double goal;
    };
    const Row* small = find(64, 1);
    const Row* bulk = find(16384, 100);
    const Target targets[] = {
        {"64 B, 1 connection: xsock epoll >= 1.10x asio round trips/s",
         small != nullptr ? bench::Ratio(small->median[kEpoll].rate, small->median[kAsio].rate) : 0,
         1.10},
        {"16 KiB, 100 connections: xsock epoll >= 1.15x asio MiB/s",
         bulk != nullptr ? bench::Ratio(bulk->median[kEpoll].rate, bulk->median[kAsio].rate) : 0,
         1.15},
        {"64 B, 100 connections: xsock uring >= 1.25x the better asio",
         ratio(64, 100, kUring, kAsio), 1.25},
        {"16 KiB, 100 connections: xsock uring >= 1.25x the better asio",
         ratio(16384, 100, kUring, kAsio), 1.25},
        {"64 B, 1 connection: xsock uring >= 1.05x epoll by hand", ratio(64, 1, kUring, kHand),
         1.05},
        {"64 B, 1 connection: xsock uring >= 1.0x raw threads", ratio(64, 1, kUring, kRaw), 1.0},
    };
    for (const Target& target : targets) {
        std::printf("| %s | %.2fx | %s |\n", target.what, target.measured,
                    bench::Met(target.measured >= target.goal));
    }
    return 0;
}
