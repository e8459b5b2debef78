// Request/response over one connection with blocking calls: an xsock::Socket
// client (Send of the request, Receive until the whole response is in) against
// a plain send/recv client, both talking to the same raw blocking echo server
// in the same run. Prints round trips/s, medians of several runs.
#include "BenchUtil.h"

#include <xsock/Socket.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

// A blocking echo server with one thread per connection; the connections end
// when the client closes.
class EchoServer {
  public:
    EchoServer() : listener_(bench::RawListen(port_)) {
        thread_ = std::thread([this] {
            std::vector<std::thread> workers;
            for (;;) {
                const int fd = ::accept4(listener_.Get(), nullptr, nullptr, SOCK_CLOEXEC);
                if (fd < 0) {
                    break;  // shutdown() by the destructor
                }
                bench::SetNoDelay(fd);
                workers.emplace_back([fd] {
                    xsock::Descriptor owned(fd);
                    std::vector<char> buffer(64 * 1024);
                    ssize_t n;
                    while ((n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0 &&
                           bench::SendAll(fd, buffer.data(), static_cast<std::size_t>(n))) {
                    }
                });
            }
            for (std::thread& worker : workers) {
                worker.join();
            }
        });
    }
    ~EchoServer() {
        ::shutdown(listener_.Get(), SHUT_RDWR);
        thread_.join();
    }
    unsigned Port() const { return port_; }

  private:
    unsigned port_ = 0;
    xsock::Descriptor listener_;
    std::thread thread_;
};

double RunXsock(unsigned port, std::size_t size, double seconds) {
    xsock::Socket socket;
    if (!socket.Create() || !socket.SetNoDelay(true) || !socket.Connect("127.0.0.1", port)) {
        bench::Fail("xsock::Socket connect");
    }
    std::vector<char> request(size, 'x');
    std::vector<char> response(size);
    const int length = static_cast<int>(size);
    std::uint64_t trips = 0;
    const double start = bench::WallSeconds();
    double now = start;
    while (now - start < seconds) {
        if (socket.Send(request.data(), length) != length) {
            bench::Fail("xsock::Socket::Send");
        }
        for (int got = 0; got < length;) {
            const int n = socket.Receive(response.data() + got, length - got);
            if (n <= 0) {
                bench::Fail("xsock::Socket::Receive");
            }
            got += n;
        }
        ++trips;
        if (trips % 64 == 0) {
            now = bench::WallSeconds();
        }
    }
    return static_cast<double>(trips) / (bench::WallSeconds() - start);
}

double RunRaw(unsigned port, std::size_t size, double seconds) {
    xsock::Descriptor fd = bench::RawConnect(port);
    std::vector<char> request(size, 'x');
    std::vector<char> response(size);
    std::uint64_t trips = 0;
    const double start = bench::WallSeconds();
    double now = start;
    while (now - start < seconds) {
        if (!bench::SendAll(fd.Get(), request.data(), size)) {
            bench::Fail("send");
        }
        for (std::size_t got = 0; got < size;) {
            const ssize_t n = ::recv(fd.Get(), response.data() + got, size - got, 0);
            if (n <= 0) {
                bench::Fail("recv");
            }
            got += static_cast<std::size_t>(n);
        }
        ++trips;
        if (trips % 64 == 0) {
            now = bench::WallSeconds();
        }
    }
    return static_cast<double>(trips) / (bench::WallSeconds() - start);
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "BlockingBench: request/response with xsock::Socket vs blocking send/recv,\n"
        "against the same blocking echo server; round trips/s.",
        1.0);
    EchoServer server;
    std::printf("Blocking request/response, one connection, median of %d runs of %.1f s.\n\n",
                options.runs, options.seconds);
    std::printf("| request | xsock::Socket rt/s | raw send/recv rt/s | xsock/raw |\n");
    std::printf("| ---: | ---: | ---: | ---: |\n");
    for (std::size_t size : {std::size_t{64}, std::size_t{16384}}) {
        std::vector<double> xsock;
        std::vector<double> raw;
        for (int run = 0; run < options.runs; ++run) {
            xsock.push_back(options.Runs("xsock") ? RunXsock(server.Port(), size, options.seconds)
                                                  : 0);
            raw.push_back(options.Runs("raw") ? RunRaw(server.Port(), size, options.seconds) : 0);
        }
        const double x = bench::Median(xsock);
        const double r = bench::Median(raw);
        std::printf("| %s | %.0f | %.0f | %.2f |\n", bench::SizeName(size).c_str(), x, r,
                    bench::Ratio(x, r));
        std::fflush(stdout);
    }
    return 0;
}
