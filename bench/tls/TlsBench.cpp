// TLS benchmark, every cell measured in the same run: echo ping-pong and full
// handshakes per second, xsock (AsyncSocket + StartTls) against Boost.Asio's
// ssl::stream, and bulk throughput over one connection against openssl
// s_server / s_client. Prints the medians as markdown tables, what each side
// negotiated, then the targets.
//
// Both sides of every comparison use the same certificates (made at start,
// removed at exit), the same CA and name checks, and OpenSSL's defaults for
// the protocol and cipher; the negotiated table shows what they agreed on.
#include "TlsBench.h"
#include "BenchUtil.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

using tlsbench::Result;

struct Medians {
    std::vector<double> rate, cpu;
};

// Runs each competitor `runs` times, taking turns so that drifts in the
// machine's load reach all of them alike; the medians of their rates and
// CPU costs.
template <std::size_t N>
Medians Interleaved(const bench::Options& options, const char* const (&names)[N],
                    const std::function<Result(std::size_t)>& run,
                    std::map<std::string, std::string>& negotiated) {
    std::vector<std::vector<double>> rates(N), cpus(N);
    for (int r = 0; r < options.runs; ++r) {
        for (std::size_t i = 0; i < N; ++i) {
            if (!options.Runs(names[i])) {
                continue;
            }
            Result result = run(i);
            rates[i].push_back(result.rate);
            cpus[i].push_back(result.cpu);
            negotiated[names[i]] = result.negotiated;
        }
    }
    Medians medians;
    for (std::size_t i = 0; i < N; ++i) {
        medians.rate.push_back(bench::Median(rates[i]));
        medians.cpu.push_back(bench::Median(cpus[i]));
    }
    return medians;
}

}  // namespace

int main(int argc, char** argv) {
    // --cell pingpong|handshakes|bulk runs one part only (for profiling); the
    // other options are those of every benchmark.
    std::string only;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::string(argv[i]) == "--cell" && i + 1 < argc) {
            only = argv[++i];
        } else {
            args.push_back(argv[i]);
        }
    }
    auto runs = [&](const char* cell) { return only.empty() || only == cell; };
    const bench::Options options = bench::ParseOptions(
        static_cast<int>(args.size()), args.data(),
        "TlsBench: TLS echo ping-pong and full handshakes, xsock AsyncSocket + StartTls vs\n"
        "Boost.Asio ssl::stream; bulk throughput over one connection, xsock vs openssl\n"
        "s_server / s_client. --cell pingpong|handshakes|bulk runs one part only.",
        1.0);
    bench::RaiseFdLimit(8192);
    // Static, so that a runner that gives up with std::exit still removes the
    // key material.
    static const tlsbench::BenchPki pki;
    std::vector<std::size_t> blocks = {64, 16384};
    int connections = 100;
    if (options.block != 0) {
        blocks = {options.block};
    }
    if (options.connections != 0) {
        connections = options.connections;
    }
    const std::vector<int> inFlight = {1, 4};
    const std::uint64_t bulkBytes = (options.quick ? 32ULL : 256ULL) << 20;
    const double mib = 1024.0 * 1024.0;

    const char* const pingPongNames[] = {"xsock", "asio"};
    std::map<std::string, std::string> pingPongNegotiated;
    std::printf(
        "TLS ping-pong, median of %d runs of %.1f s per cell, measured once every handshake is "
        "done; one loop thread per side.\n\n",
        options.runs, options.seconds);
    std::printf(
        "| block | conns | xsock MiB/s | asio MiB/s | xsock rt/s | asio rt/s | xsock/asio "
        "| xsock CPU us/rt | asio CPU us/rt |\n");
    std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    double smallRatio = std::nan("");  // not measured unless its cell runs
    double bulkRatio = std::nan("");
    for (std::size_t block : runs("pingpong") ? blocks : std::vector<std::size_t>{}) {
        const tlsbench::PingPongCell cell{block, connections, options.seconds};
        const Medians m = Interleaved(
            options, pingPongNames,
            [&](std::size_t i) {
                return i == 0 ? tlsbench::XsockPingPong(pki, cell)
                              : tlsbench::AsioPingPong(pki, cell);
            },
            pingPongNegotiated);
        const double b = static_cast<double>(block);
        const double ratio = bench::Ratio(m.rate[0], m.rate[1]);
        std::printf("| %s | %d | %.1f | %.1f | %.0f | %.0f | %.2f | %.1f | %.1f |\n",
                    bench::SizeName(block).c_str(), connections, m.rate[0] / mib, m.rate[1] / mib,
                    m.rate[0] / b, m.rate[1] / b, ratio, m.cpu[0] * b * 1e6, m.cpu[1] * b * 1e6);
        std::fflush(stdout);
        if (block == 64) {
            smallRatio = ratio;
        } else if (block == 16384) {
            bulkRatio = ratio;
        }
    }

    std::map<std::string, std::string> handshakeNegotiated;
    std::printf(
        "\nFull handshakes (no resumption), median of %d runs of %.1f s; client and server on "
        "separate threads; a connection counts once the client read the byte the server sends "
        "after its handshake.\n\n",
        options.runs, options.seconds);
    std::printf(
        "| in flight | xsock handshakes/s | asio handshakes/s | xsock/asio | xsock CPU "
        "us/handshake "
        "| asio CPU us/handshake |\n");
    std::printf("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    double handshakeRatio = std::nan("");
    for (int n : runs("handshakes") ? inFlight : std::vector<int>{}) {
        const Medians m = Interleaved(
            options, pingPongNames,
            [&](std::size_t i) {
                return i == 0 ? tlsbench::XsockHandshakes(pki, n, options.seconds)
                              : tlsbench::AsioHandshakes(pki, n, options.seconds);
            },
            handshakeNegotiated);
        handshakeRatio = bench::Ratio(m.rate[0], m.rate[1]);
        std::printf("| %d | %.0f | %.0f | %.2f | %.0f | %.0f |\n", n, m.rate[0], m.rate[1],
                    handshakeRatio, m.cpu[0] * 1e6, m.cpu[1] * 1e6);
        std::fflush(stdout);
    }

    const char* const bulkNames[] = {"xsock", "openssl"};
    std::map<std::string, std::string> bulkNegotiated;
    bench::Options bulkOptions = options;
    bulkOptions.runs = runs("bulk") ? options.runs : 0;
    const Medians bulk = Interleaved(
        bulkOptions, bulkNames,
        [&](std::size_t i) {
            return i == 0 ? tlsbench::XsockBulk(pki, bulkBytes)
                          : tlsbench::OpenSslBulk(pki, bulkBytes);
        },
        bulkNegotiated);
    const double bulkVsOpenSsl = bench::Ratio(bulk.rate[0], bulk.rate[1]);
    if (runs("bulk")) {
        std::printf(
            "\nBulk, %llu MiB over one connection, median of %d runs; MiB/s from the first byte "
            "received to the last. xsock: 64 KiB Sends, one 256 KiB Receive per OnReceive; "
            "openssl: s_client reading the bytes from memory, s_server writing them to a pipe. "
            "CPU: both ends from connect to the last byte (openssl: the two processes' whole "
            "lives).\n\n",
            static_cast<unsigned long long>(bulkBytes >> 20), options.runs);
        std::printf(
            "| xsock MiB/s | openssl MiB/s | xsock/openssl | xsock CPU ms/MiB | openssl CPU ms/MiB "
            "|\n| ---: | ---: | ---: | ---: | ---: |\n");
        std::printf("| %.1f | %.1f | %.2f | %.2f | %.2f |\n", bulk.rate[0] / mib,
                    bulk.rate[1] / mib, bulkVsOpenSsl, bulk.cpu[0] * mib * 1e3,
                    bulk.cpu[1] * mib * 1e3);
    }

    std::printf("\n| cell | competitor | negotiated |\n| --- | --- | --- |\n");
    for (const auto& [cell, names] :
         {std::pair{"ping-pong", &pingPongNegotiated},
          std::pair{"handshakes", &handshakeNegotiated}, std::pair{"bulk", &bulkNegotiated}}) {
        for (const auto& [name, what] : *names) {
            std::printf("| %s | %s | %s |\n", cell, name.c_str(), what.c_str());
        }
    }

    std::printf("\n| target | measured | met |\n| --- | ---: | --- |\n");
    std::printf("| TLS 64 B, %d connections: xsock >= 1.10x asio round trips/s | %.2fx | %s |\n",
                connections, smallRatio, bench::Met(smallRatio >= 1.10));
    std::printf("| TLS 16 KiB, %d connections: xsock >= 1.10x asio MiB/s | %.2fx | %s |\n",
                connections, bulkRatio, bench::Met(bulkRatio >= 1.10));
    std::printf("| TLS full handshakes/s, %d in flight: xsock >= 1.00x asio | %.2fx | %s |\n",
                inFlight.back(), handshakeRatio, bench::Met(handshakeRatio >= 1.00));
    std::printf(
        "| TLS bulk, one connection: xsock >= 0.90x openssl s_server/s_client | %.2fx | %s |\n",
        bulkVsOpenSsl, bench::Met(bulkVsOpenSsl >= 0.90));
    return 0;
}
