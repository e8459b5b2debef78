// The TLS benchmark's cells, each run by xsock and by its competitor: echo
// ping-pong and full handshakes against Boost.Asio's ssl::stream, bulk
// throughput over one connection against openssl s_server / s_client. Every
// runner returns its rate and what the connection negotiated ("TLSv1.3
// TLS_AES_256_GCM_SHA384").
#pragma once

#include "BenchPki.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace tlsbench {

struct Result {
    double rate = 0;  // bytes/s, or handshakes/s
    std::string negotiated;
};

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
