// The Boost.Asio side of the TLS benchmark, in Asio's own idiom: ssl::stream
// over tcp::socket, async_handshake, async_read_some into the session's
// buffer and async_write of what arrived. Server and client each run one
// io_context on one thread.
#include "TlsBench.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <atomic>
#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <thread>
#include <vector>

namespace tlsbench {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using Stream = ssl::stream<tcp::socket>;

[[noreturn]] void Die(const char* what, const boost::system::error_code& error) {
    std::fprintf(stderr, "TlsBench: asio: %s: %s\n", what, error.message().c_str());
    std::exit(1);
}

ssl::context ServerContext(const BenchPki& pki) {
    ssl::context context(ssl::context::tls_server);
    context.use_certificate_chain_file(pki.Certificate());
    context.use_private_key_file(pki.Key(), ssl::context::pem);
    return context;
}

// As xsock's client: the CA, peer verification, and the name checked and sent
// as SNI.
ssl::context ClientContext(const BenchPki& pki) {
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(pki.Ca());
    context.set_verify_mode(ssl::verify_peer);
    return context;
}

void NameServer(Stream& stream) {
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    SSL_set1_host(stream.native_handle(), "localhost");
}

std::string NegotiatedBy(Stream& stream) {
    SSL* ssl = stream.native_handle();
    return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

const tcp::endpoint Loopback(unsigned port) {
    return {asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)};
}

// Runs `body` on a new thread with its own io_context until Stop; `body`
// sets up what it serves and reports a port.
struct ContextThread {
    template <class Body>
    explicit ContextThread(Body body) {
        thread = std::thread([this, body]() mutable {
            body(context, [&](unsigned port) { ready.set_value(port); });
        });
        port = ready.get_future().get();
    }
    void Stop() {
        context.stop();
        thread.join();
    }
    asio::io_context context{1};
    std::promise<unsigned> ready;
    std::thread thread;
    unsigned port = 0;
};

class EchoSession {
  public:
    EchoSession(tcp::socket socket, ssl::context& tls, std::size_t block,
                std::atomic<std::uint64_t>* received, std::atomic<int>* connected)
        : stream_(std::move(socket), tls),
          buffer_(block),
          received_(received),
          connected_(connected) {
        stream_.lowest_layer().set_option(tcp::no_delay(true));
    }

    void Start(bool client) {
        if (client) {
            NameServer(stream_);
        }
        stream_.async_handshake(client ? Stream::client : Stream::server,
                                [this, client](const boost::system::error_code& error) {
                                    if (error) {
                                        Die("handshake", error);
                                    }
                                    if (connected_ != nullptr) {
                                        connected_->fetch_add(1);
                                    }
                                    if (client) {
                                        Write(buffer_.size());
                                    } else {
                                        Read();
                                    }
                                });
    }

    Stream& TlsStream() { return stream_; }

  private:
    void Read() {
        stream_.async_read_some(
            asio::buffer(buffer_), [this](const boost::system::error_code& error, std::size_t n) {
                if (error) {
                    return;
                }
                if (received_ != nullptr) {
                    received_->store(received_->load(std::memory_order_relaxed) + n,
                                     std::memory_order_relaxed);
                }
                Write(n);
            });
    }

    void Write(std::size_t n) {
        asio::async_write(stream_, asio::buffer(buffer_.data(), n),
                          [this](const boost::system::error_code& error, std::size_t) {
                              if (!error) {
                                  Read();
                              }
                          });
    }

    Stream stream_;
    std::vector<char> buffer_;
    std::atomic<std::uint64_t>* received_;
    std::atomic<int>* connected_;
};

class EchoServer {
  public:
    EchoServer(asio::io_context& context, ssl::context& tls, std::size_t block)
        : acceptor_(context, Loopback(0)), tls_(tls), block_(block) {
        Accept();
    }
    unsigned Port() const { return acceptor_.local_endpoint().port(); }

  private:
    void Accept() {
        acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
            if (error) {
                return;
            }
            sessions_.emplace_back(std::move(socket), tls_, block_, nullptr, nullptr).Start(false);
            Accept();
        });
    }

    tcp::acceptor acceptor_;
    ssl::context& tls_;
    std::size_t block_;
    std::list<EchoSession> sessions_;
};

void WaitFor(const std::atomic<int>& count, int wanted) {
    const double deadline = bench::WallSeconds() + 60;
    while (count.load() < wanted) {
        if (bench::WallSeconds() > deadline) {
            std::fprintf(stderr, "TlsBench: asio: %d of %d connections after 60 s\n", count.load(),
                         wanted);
            std::exit(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace

Result AsioPingPong(const BenchPki& pki, const PingPongCell& cell) {
    ssl::context serverTls = ServerContext(pki);
    ssl::context clientTls = ClientContext(pki);
    ContextThread server([&](asio::io_context& context, auto ready) {
        EchoServer listener(context, serverTls, cell.block);
        ready(listener.Port());
        context.run();
    });
    std::atomic<std::uint64_t> received{0};
    std::atomic<int> connected{0};
    std::string negotiated;
    ContextThread client([&](asio::io_context& context, auto ready) {
        std::list<EchoSession> sessions;
        for (int i = 0; i < cell.connections; ++i) {
            tcp::socket socket(context);
            socket.connect(Loopback(server.port));
            sessions.emplace_back(std::move(socket), clientTls, cell.block, &received, &connected)
                .Start(true);
        }
        ready(0);
        context.run();
        negotiated = NegotiatedBy(sessions.front().TlsStream());
    });
    WaitFor(connected, cell.connections);
    Result result = MeasureRateAndCpu(received, cell.seconds);
    client.Stop();
    server.Stop();
    result.negotiated = negotiated;
    return result;
}

namespace {

// The server end of a handshake: one byte once its handshake is done, then a
// read that ends when the client resets the connection.
class GreetingServer : public std::enable_shared_from_this<GreetingServer> {
  public:
    GreetingServer(tcp::socket socket, ssl::context& tls) : stream_(std::move(socket), tls) {
        stream_.lowest_layer().set_option(tcp::no_delay(true));
    }

    void Start() {
        auto self = shared_from_this();
        stream_.async_handshake(Stream::server, [self](const boost::system::error_code& error) {
            if (error) {
                return;  // the client's reset came first
            }
            asio::async_write(self->stream_, asio::buffer("x", 1),
                              [self](const boost::system::error_code& error, std::size_t) {
                                  if (!error) {
                                      self->stream_.async_read_some(
                                          asio::buffer(self->buffer_),
                                          [self](const boost::system::error_code&, std::size_t) {});
                                  }
                              });
        });
    }

  private:
    Stream stream_;
    char buffer_[256];
};

class GreetingAcceptor {
  public:
    GreetingAcceptor(asio::io_context& context, ssl::context& tls)
        : acceptor_(context, Loopback(0)), tls_(tls) {
        Accept();
    }
    unsigned Port() const { return acceptor_.local_endpoint().port(); }

  private:
    void Accept() {
        acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
            if (error) {
                return;
            }
            std::make_shared<GreetingServer>(std::move(socket), tls_)->Start();
            Accept();
        });
    }

    tcp::acceptor acceptor_;
    ssl::context& tls_;
};

// Keeps `inFlight` connections opening: connect, handshake, read the
// server's byte, count, close with a reset, open the next.
class HandshakeClients {
  public:
    HandshakeClients(asio::io_context& context, ssl::context& tls, unsigned port,
                     std::atomic<std::uint64_t>& done)
        : context_(context), tls_(tls), endpoint_(Loopback(port)), done_(done) {}

    void Open() {
        auto stream = std::make_shared<Stream>(context_, tls_);
        stream->lowest_layer().async_connect(
            endpoint_, [this, stream](const boost::system::error_code& error) {
                if (error) {
                    Die("connect", error);
                }
                stream->lowest_layer().set_option(tcp::no_delay(true));
                stream->lowest_layer().set_option(asio::socket_base::linger(true, 0));
                NameServer(*stream);
                stream->async_handshake(
                    Stream::client, [this, stream](const boost::system::error_code& error) {
                        if (error) {
                            Die("handshake", error);
                        }
                        stream->async_read_some(
                            asio::buffer(byte_, 1),
                            [this, stream](const boost::system::error_code& error, std::size_t n) {
                                if (error || n != 1) {
                                    Die("the server's byte", error);
                                }
                                if (negotiated_.empty()) {
                                    negotiated_ = NegotiatedBy(*stream);
                                }
                                boost::system::error_code ignored;
                                stream->lowest_layer().close(ignored);
                                done_.store(done_.load(std::memory_order_relaxed) + 1,
                                            std::memory_order_relaxed);
                                Open();
                            });
                    });
            });
    }

    const std::string& Negotiated() const noexcept { return negotiated_; }

  private:
    asio::io_context& context_;
    ssl::context& tls_;
    tcp::endpoint endpoint_;
    std::atomic<std::uint64_t>& done_;
    std::string negotiated_;
    char byte_[1];
};

}  // namespace

Result AsioHandshakes(const BenchPki& pki, int inFlight, double seconds) {
    ssl::context serverTls = ServerContext(pki);
    ssl::context clientTls = ClientContext(pki);
    ContextThread server([&](asio::io_context& context, auto ready) {
        GreetingAcceptor acceptor(context, serverTls);
        ready(acceptor.Port());
        context.run();
    });
    std::atomic<std::uint64_t> done{0};
    std::string negotiated;
    ContextThread client([&](asio::io_context& context, auto ready) {
        HandshakeClients clients(context, clientTls, server.port, done);
        for (int i = 0; i < inFlight; ++i) {
            clients.Open();
        }
        ready(0);
        context.run();
        negotiated = clients.Negotiated();
    });
    Result result = MeasureRateAndCpu(done, seconds);
    client.Stop();
    server.Stop();
    result.negotiated = negotiated;
    return result;
}

}  // namespace tlsbench
