// The TLS benchmark's cells, each run by xsock and by its competitor: echo
// ping-pong and full handshakes against Boost.Asio's ssl::stream, bulk
// throughput over one connection against openssl s_server / s_client. Every
// runner returns its rate and what the connection negotiated ("TLSv1.3
// TLS_AES_256_GCM_SHA384").
#pragma once

#include "BenchPki.h"
#include "BenchUtil.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace tlsbench {

struct Result {
    double rate = 0;  // bytes/s, or handshakes/s
    // CPU seconds (user + system, every thread and process of both ends) per
    // byte or handshake: on a shared machine the rate follows the CPU share
    // the scheduler grants, this much less.
    double cpu = 0;
    std::string negotiated;
};

inline double ProcessCpuSeconds() {
    return bench::Seconds(CLOCK_PROCESS_CPUTIME_ID);
}

// bench::MeasureRate, and the process's CPU time over the same window per
// unit counted.
inline Result MeasureRateAndCpu(const std::atomic<std::uint64_t>& counter, double seconds) {
    const double setupDeadline = bench::WallSeconds() + 30;
    while (counter.load(std::memory_order_relaxed) == 0) {
        if (bench::WallSeconds() > setupDeadline) {
            std::fprintf(stderr, "TlsBench: no traffic after 30 s\n");
            std::exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.2, seconds / 4)));
    const std::uint64_t before = counter.load(std::memory_order_relaxed);
    const double start = bench::WallSeconds();
    const double cpuStart = ProcessCpuSeconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const std::uint64_t after = counter.load(std::memory_order_relaxed);
    const double cpu = ProcessCpuSeconds() - cpuStart;
    const double wall = bench::WallSeconds() - start;
    const double count = static_cast<double>(after - before);
    return {count / wall, count > 0 ? cpu / count : 0, {}};
}

struct PingPongCell {
    std::size_t block;  // bytes each connection keeps in flight
    int connections;
    double seconds;  // measured window, after every handshake is done
};

// Echo ping-pong: every client sends one block once its handshake is done,
// then both ends send back whatever arrives. Bytes/s the clients received.
Result XsockPingPong(const BenchPki& pki, const PingPongCell& cell);
Result AsioPingPong(const BenchPki& pki, const PingPongCell& cell);

// Full handshakes (no resumption) per second: `inFlight` connections at a
// time from a client thread to a server thread. A connection counts once the
// server, after its own handshake, sent one byte and the client read it; the
// client then closes it with a reset (no TIME_WAIT, no close_notify on either
// side) and opens the next.
Result XsockHandshakes(const BenchPki& pki, int inFlight, double seconds);
Result AsioHandshakes(const BenchPki& pki, int inFlight, double seconds);

// `bytes` over one connection, sender to receiver; bytes/s from the first byte
// to the last one received.
Result XsockBulk(const BenchPki& pki, std::uint64_t bytes);
// openssl s_client (stdin: `bytes` from memory) to openssl s_server (stdout
// read here and thrown away).
Result OpenSslBulk(const BenchPki& pki, std::uint64_t bytes);

}  // namespace tlsbench
