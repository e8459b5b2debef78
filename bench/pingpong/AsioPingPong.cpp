// Ping-pong over Boost.Asio (header-only, from libboost-dev) on its default
// reactor, epoll.
#include "AsioPingPong.h"

#include <boost/asio.hpp>

namespace pingpong {
namespace {

struct BoostAsio {
    using io_context = boost::asio::io_context;
    using tcp = boost::asio::ip::tcp;
    using error_code = boost::system::error_code;
    using address_v4 = boost::asio::ip::address_v4;
    using mutable_buffer = boost::asio::mutable_buffer;
};

}  // namespace

bench::Window RunAsio(const Cell& cell) {
    return asio_flavour::Run<BoostAsio>(cell);
}

}  // namespace pingpong
