// Ping-pong over standalone Asio (libasio-dev) built for io_uring: with
// ASIO_HAS_IO_URING and ASIO_DISABLE_EPOLL every socket operation goes
// through the ring, which is Asio's own io_uring design.
#define ASIO_HAS_IO_URING 1
#define ASIO_DISABLE_EPOLL 1
#include "AsioPingPong.h"

#include <asio.hpp>

namespace pingpong {
namespace {

struct StandaloneAsio {
    using io_context = asio::io_context;
    using tcp = asio::ip::tcp;
    using error_code = asio::error_code;
    using address_v4 = asio::ip::address_v4;
    using mutable_buffer = asio::mutable_buffer;
};

}  // namespace

bench::Window RunAsioUring(const Cell& cell) {
    return asio_flavour::Run<StandaloneAsio>(cell);
}

}  // namespace pingpong
