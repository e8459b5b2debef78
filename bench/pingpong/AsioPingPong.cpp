// Ping-pong over Boost.Asio, in Asio's own idiom: async_read_some into the
// session's buffer, async_write of what arrived, read again. Server and client
// each run one io_context on one thread.
#include "Measure.h"
#include "PingPong.h"

#include <boost/asio.hpp>

#include <atomic>
#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <thread>
#include <vector>

namespace pingpong {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

class Session {
  public:
    Session(tcp::socket socket, std::size_t block, std::atomic<std::uint64_t>* received)
        : socket_(std::move(socket)), buffer_(block), received_(received) {
        socket_.set_option(tcp::no_delay(true));
    }

    void Start(bool sendFirst) {
        if (sendFirst) {
            asio::async_write(socket_, asio::buffer(buffer_),
                              [this](boost::system::error_code error, std::size_t) {
                                  if (!error) {
                                      Read();
                                  }
                              });
        } else {
            Read();
        }
    }

  private:
    void Read() {
        socket_.async_read_some(
            asio::buffer(buffer_), [this](boost::system::error_code error, std::size_t n) {
                if (error) {
                    return;
                }
                if (received_ != nullptr) {
                    received_->store(received_->load(std::memory_order_relaxed) + n,
                                     std::memory_order_relaxed);
                }
                asio::async_write(socket_, asio::buffer(buffer_.data(), n),
                                  [this](boost::system::error_code error, std::size_t) {
                                      if (!error) {
                                          Read();
                                      }
                                  });
            });
    }

    tcp::socket socket_;
    std::vector<char> buffer_;
    std::atomic<std::uint64_t>* received_;
};

class Server {
  public:
    Server(asio::io_context& context, std::size_t block)
        : acceptor_(context, tcp::endpoint(asio::ip::address_v4::loopback(), 0)), block_(block) {
        Accept();
    }
    unsigned Port() const { return acceptor_.local_endpoint().port(); }

  private:
    void Accept() {
        acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
            if (error) {
                return;
            }
            sessions_.emplace_back(std::move(socket), block_, nullptr).Start(false);
            Accept();
        });
    }

    tcp::acceptor acceptor_;
    std::size_t block_;
    std::list<Session> sessions_;
};

}  // namespace

double RunAsio(const Cell& cell) {
    asio::io_context serverContext(1);
    std::promise<unsigned> serverReady;
    std::thread server([&] {
        Server listener(serverContext, cell.block);
        serverReady.set_value(listener.Port());
        serverContext.run();
    });
    const unsigned port = serverReady.get_future().get();

    asio::io_context clientContext(1);
    std::atomic<std::uint64_t> received{0};
    std::thread client([&] {
        std::list<Session> sessions;
        const tcp::endpoint endpoint(asio::ip::address_v4::loopback(),
                                     static_cast<unsigned short>(port));
        for (int i = 0; i < cell.connections; ++i) {
            tcp::socket socket(clientContext);
            socket.connect(endpoint);
            sessions.emplace_back(std::move(socket), cell.block, &received).Start(true);
        }
        clientContext.run();
    });

    const double rate = bench::MeasureRate(received, cell.seconds);
    clientContext.stop();
    client.join();
    serverContext.stop();
    server.join();
    return rate;
}

}  // namespace pingpong
