// Ping-pong, the throughput test Asio and muduo use: every connection starts
// with one block from the client, and from then on client and server each send
// back whatever arrives. Each implementation runs its own client and its own
// server, each on one thread, so the figure measures the library on both ends.
//
// Each runner returns the bytes per second the clients received (every one of
// them went client -> server -> client once).
#pragma once

#include <cstddef>

namespace pingpong {

struct Cell {
    std::size_t block;  // bytes each connection keeps in flight
    int connections;
    double seconds;  // measured window
};

// xsock on the epoll backend, and on the io_uring one (which throws
// std::system_error where the kernel refuses io_uring).
double RunXsockEpoll(const Cell& cell);
double RunXsockUring(const Cell& cell);
double RunAsio(const Cell& cell);
// One blocking thread per connection on each side.
double RunRaw(const Cell& cell);

}  // namespace pingpong
