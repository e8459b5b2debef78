// Ping-pong over Asio, in Asio's own idiom: async_read_some into the
// session's buffer, async_write of what arrived, read again. Server and client
// each run one io_context on one thread.
//
// A template over the Asio flavour (`Net`), so Boost.Asio on epoll and
// standalone Asio built for io_uring (each in its own translation unit, as the
// configuration macros must be the same throughout one) run the same code.
// Net names io_context, tcp, error_code, address_v4 and mutable_buffer; the
// free functions (async_write) are found through the socket's namespace.
#pragma once

#include "Measure.h"
#include "PingPong.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <thread>
#include <vector>

namespace pingpong::asio_flavour {

template <class Net>
class Session {
    using tcp = typename Net::tcp;
    using error_code = typename Net::error_code;

  public:
    Session(tcp::socket socket, std::size_t block, std::atomic<std::uint64_t>* received)
        : socket_(std::move(socket)), buffer_(block), received_(received) {
        socket_.set_option(typename tcp::no_delay(true));
    }

    // Cancels what is outstanding; the handlers run (with an error) in the
    // context's next run, which must end before the session is destroyed.
    void Close() {
        error_code ignored;
        socket_.close(ignored);
    }

    void Start(bool sendFirst) {
        if (sendFirst) {
            async_write(socket_, typename Net::mutable_buffer(buffer_.data(), buffer_.size()),
                        [this](error_code error, std::size_t) {
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
            typename Net::mutable_buffer(buffer_.data(), buffer_.size()),
            [this](error_code error, std::size_t n) {
                if (error) {
                    return;
                }
                if (received_ != nullptr) {
                    received_->store(received_->load(std::memory_order_relaxed) + n,
                                     std::memory_order_relaxed);
                }
                async_write(socket_, typename Net::mutable_buffer(buffer_.data(), n),
                            [this](error_code error, std::size_t) {
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

template <class Net>
class Server {
    using tcp = typename Net::tcp;

  public:
    Server(typename Net::io_context& context, std::size_t block)
        : acceptor_(context, typename tcp::endpoint(Net::address_v4::loopback(), 0)),
          block_(block) {
        Accept();
    }
    unsigned Port() const { return acceptor_.local_endpoint().port(); }

    void Close() {
        typename Net::error_code ignored;
        acceptor_.close(ignored);
        for (Session<Net>& session : sessions_) {
            session.Close();
        }
    }

  private:
    void Accept() {
        acceptor_.async_accept([this](typename Net::error_code error, typename tcp::socket socket) {
            if (error) {
                return;
            }
            sessions_.emplace_back(std::move(socket), block_, nullptr).Start(false);
            Accept();
        });
    }

    typename tcp::acceptor acceptor_;
    std::size_t block_;
    std::list<Session<Net>> sessions_;
};

// After stop(): closes everything and runs the context until the cancelled
// operations have completed. On io_uring the kernel writes into a session's
// buffer until its receive completes, so freeing the sessions while their
// receives were still in the ring corrupted the heap (one run in six). Asio
// does not cancel such a receive when its socket closes: it ends when the
// peer closes, so both sides drain at the same time.
template <class Context, class Owner>
void Drain(Context& context, Owner& owner) {
    context.restart();
    if constexpr (requires { owner.Close(); }) {
        owner.Close();
    } else {
        for (auto& session : owner) {
            session.Close();
        }
    }
    // Asio on io_uring keeps work counted after its cancellations complete,
    // so run() alone would wait for ever: a bounded run collects them.
    context.run_for(std::chrono::milliseconds(200));
}

template <class Net>
bench::Window Run(const Cell& cell) {
    using tcp = typename Net::tcp;
    typename Net::io_context serverContext(1);
    std::promise<unsigned> serverReady;
    std::thread server([&] {
        Server<Net> listener(serverContext, cell.block);
        serverReady.set_value(listener.Port());
        serverContext.run();
        Drain(serverContext, listener);
    });
    const unsigned port = serverReady.get_future().get();

    typename Net::io_context clientContext(1);
    std::atomic<std::uint64_t> received{0};
    std::thread client([&] {
        ::pthread_setname_np(::pthread_self(), bench::kClientThread);
        std::list<Session<Net>> sessions;
        const typename tcp::endpoint endpoint(Net::address_v4::loopback(),
                                              static_cast<unsigned short>(port));
        for (int i = 0; i < cell.connections; ++i) {
            typename tcp::socket socket(clientContext);
            socket.connect(endpoint);
            sessions.emplace_back(std::move(socket), cell.block, &received).Start(true);
        }
        clientContext.run();
        Drain(clientContext, sessions);
    });

    const bench::Window window = bench::MeasureWindow(received, cell.seconds);
    // Both sides stop, then drain at once: a receive the kernel holds in a
    // ring ends when the other side's socket closes.
    clientContext.stop();
    serverContext.stop();
    client.join();
    server.join();
    return window;
}

}  // namespace pingpong::asio_flavour
