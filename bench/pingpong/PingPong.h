// Ping-pong, the throughput test Asio and muduo use: every connection starts
// with one block from the client, and from then on client and server each send
// back whatever arrives. Each implementation runs its own client and its own
// server, each on one thread, so the figure measures the library on both ends.
//
// Each runner returns the bytes per second the clients received (every one of
// them went client -> server -> client once), with the system calls both
// sides made per second and the client threads' CPU share (Measure.h); client
// threads are named bench::kClientThread.
#pragma once

#include "Measure.h"

#include <cstddef>

namespace pingpong {

struct Cell {
    std::size_t block;  // bytes each connection keeps in flight
    int connections;
    double seconds;  // measured window
};

// xsock on the epoll backend, and on the io_uring one (which throws
// std::system_error where the kernel refuses io_uring).
bench::Window RunXsockEpoll(const Cell& cell);
bench::Window RunXsockUring(const Cell& cell);
// Boost.Asio on epoll, and standalone Asio built for io_uring.
bench::Window RunAsio(const Cell& cell);
bench::Window RunAsioUring(const Cell& cell);
// A hand-written epoll loop on each side.
bench::Window RunEpoll(const Cell& cell);
// A hand-written io_uring loop on each side (multishot recv into provided
// buffers, sends from them); throws std::system_error where the kernel
// refuses io_uring.
bench::Window RunUring(const Cell& cell);
// One blocking thread per connection on each side.
bench::Window RunRaw(const Cell& cell);

}  // namespace pingpong
