// Memory per idle connection: a server accepts N connections from a peer
// process and leaves them idle, each with a read pending (xsock: an
// AsyncSocket with FD_READ selected; Asio: a tcp::socket with an outstanding
// async_read_some into a shared buffer, so that no per-connection buffer is
// counted). Each measurement runs in a fresh child process and reports the
// growth of the resident set (/proc/self/statm) and of the malloc heap
// (mallinfo2) divided by N. Kernel socket buffers are in neither. Afterwards
// the peer sends one byte on every connection and the server must see all of
// them, which proves the N connections are really watched by one loop.
#include "BenchUtil.h"
#include "Peer.h"

#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>

#include <boost/asio.hpp>

#include <malloc.h>

#include <chrono>
#include <exception>
#include <memory>
#include <vector>

namespace {

namespace asio = boost::asio;

struct Usage {
    double rss;
    double heap;
};

Usage Now() {
    long pages = 0;
    long resident = 0;
    if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        std::fclose(statm);
    }
    return {static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)),
            static_cast<double>(::mallinfo2().uordblks)};
}

struct Result {
    double rssPerConnection = 0;
    double heapPerConnection = 0;
    std::size_t answered = 0;  // connections whose byte arrived
};

class IdleConnection : public xsock::AsyncSocket {
  public:
    explicit IdleConnection(std::size_t& answered) : answered_(answered) {}

  protected:
    void OnReceive(int) override {
        char byte;
        if (Receive(&byte, 1) == 1) {
            ++answered_;
        }
    }

  private:
    std::size_t& answered_;
};

class Listener : public xsock::AsyncSocket {
  public:
    Listener(std::size_t count, std::size_t& answered) : answered_(answered) {
        connections.reserve(count);
    }
    std::vector<std::unique_ptr<IdleConnection>> connections;

  protected:
    void OnAccept(int) override {
        auto connection = std::make_unique<IdleConnection>(answered_);
        if (Accept(*connection)) {
            connections.push_back(std::move(connection));
        }
    }

  private:
    std::size_t& answered_;
};

Result MeasureXsockOn(xsock::SocketLoop::Backend backend, std::size_t count) {
    bench::Peer peer(count);
    Result result;
    xsock::SocketLoop loop({backend});
    Listener listener(count, result.answered);
    std::string address;
    unsigned port = 0;
    if (!listener.Create(0, SOCK_STREAM, xsock::FD_ACCEPT | xsock::FD_READ, "127.0.0.1") ||
        !listener.Listen() || !listener.GetSockName(address, port)) {
        bench::Fail("xsock listen");
    }
    loop.RunOnce(std::chrono::milliseconds(0));
    const Usage before = Now();
    peer.Start(port);
    if (!loop.RunUntil([&] { return listener.connections.size() == count; },
                       std::chrono::seconds(60))) {
        bench::Fail("accepting the connections");
    }
    const Usage after = Now();
    result.rssPerConnection = (after.rss - before.rss) / static_cast<double>(count);
    result.heapPerConnection = (after.heap - before.heap) / static_cast<double>(count);
    peer.SendOneByteEach();
    loop.RunUntil([&] { return result.answered == count; }, std::chrono::seconds(60));
    return result;
}

Result MeasureXsock(std::size_t count) {
    return MeasureXsockOn(xsock::SocketLoop::Backend::Epoll, count);
}

// The io_uring backend keeps one armed poll per idle socket in the kernel
// (not counted here, as epoll's own entries are not) and 16 bytes in the loop.
Result MeasureXsockUring(std::size_t count) {
    return MeasureXsockOn(xsock::SocketLoop::Backend::Uring, count);
}

Result MeasureAsio(std::size_t count) {
    using asio::ip::tcp;
    bench::Peer peer(count);
    Result result;
    asio::io_context context(1);
    tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    std::vector<std::unique_ptr<tcp::socket>> sockets;
    sockets.reserve(count);
    static char shared[1];
    std::function<void(tcp::socket&)> read = [&](tcp::socket& socket) {
        socket.async_read_some(asio::buffer(shared),
                               [&](boost::system::error_code error, std::size_t n) {
                                   if (!error && n == 1) {
                                       ++result.answered;
                                   }
                               });
    };
    std::function<void()> accept = [&] {
        acceptor.async_accept([&](boost::system::error_code error, tcp::socket socket) {
            if (error) {
                return;
            }
            sockets.push_back(std::make_unique<tcp::socket>(std::move(socket)));
            read(*sockets.back());
            if (sockets.size() < count) {
                accept();
            }
        });
    };
    accept();
    context.poll();
    const Usage before = Now();
    peer.Start(acceptor.local_endpoint().port());
    while (sockets.size() < count && context.run_one_for(std::chrono::seconds(60)) > 0) {
    }
    const Usage after = Now();
    result.rssPerConnection = (after.rss - before.rss) / static_cast<double>(count);
    result.heapPerConnection = (after.heap - before.heap) / static_cast<double>(count);
    peer.SendOneByteEach();
    while (result.answered < count && context.run_one_for(std::chrono::seconds(60)) > 0) {
    }
    return result;
}

// Runs `measure` in a child process, so each starts from a fresh heap.
Result InChild(Result (*measure)(std::size_t), std::size_t count) {
    int pipe[2];
    if (::pipe(pipe) != 0) {
        bench::Fail("pipe");
    }
    xsock::Descriptor readEnd(pipe[0]);
    xsock::Descriptor writeEnd(pipe[1]);
    const pid_t pid = ::fork();
    if (pid == 0) {
        readEnd.Reset();
        const Result result = measure(count);
        const bool written = ::write(writeEnd.Get(), &result, sizeof result) == sizeof result;
        ::_exit(written ? 0 : 1);
    }
    writeEnd.Reset();
    Result result;
    if (::read(readEnd.Get(), &result, sizeof result) != sizeof result) {
        std::fprintf(stderr, "MemoryBench: a measurement with %zu connections failed\n", count);
        std::exit(1);
    }
    readEnd.Reset();
    int status = 0;
    ::waitpid(pid, &status, 0);
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "MemoryBench: resident and heap bytes per idle connection with a read pending,\n"
        "xsock AsyncSocket (epoll and uring backends) vs Boost.Asio, and 20,000\n"
        "connections on one xsock loop.\n"
        "(--seconds is not used.)",
        1.0);
    const std::size_t count = options.quick ? 1000 : 10000;
    std::size_t many = options.quick ? 2000 : 20000;
    // The loop process needs a descriptor per connection plus a few of its own
    // (listener, epoll, wake-up, pipes, stdio). Where the hard limit is lower
    // and cannot be raised, the check runs with as many as fit and says so.
    const std::size_t reserved = 32;
    const rlim_t limit = bench::RaiseFdLimit(many + reserved);
    if (limit < many + reserved) {
        std::fprintf(stderr,
                     "MemoryBench: RLIMIT_NOFILE hard limit is %llu: checking %llu "
                     "connections instead of %zu\n",
                     static_cast<unsigned long long>(limit),
                     static_cast<unsigned long long>(limit - reserved), many);
        many = limit - reserved;
    }
    if (count > many) {
        std::fprintf(stderr, "MemoryBench: RLIMIT_NOFILE %llu is too low\n",
                     static_cast<unsigned long long>(limit));
        return 1;
    }
    struct Row {
        const char* name;
        Result (*measure)(std::size_t);
        std::size_t count;
        std::vector<Result> results;
    };
    std::vector<Row> rows = {{"xsock AsyncSocket, epoll", MeasureXsock, count, {}},
                             {"xsock AsyncSocket, uring", MeasureXsockUring, count, {}},
                             {"Boost.Asio tcp::socket + async_read_some", MeasureAsio, count, {}},
                             {"xsock AsyncSocket, epoll", MeasureXsock, many, {}},
                             {"xsock AsyncSocket, uring", MeasureXsockUring, many, {}},
                             {"Boost.Asio tcp::socket + async_read_some", MeasureAsio, many, {}}};
    try {
        xsock::SocketLoop probe({xsock::SocketLoop::Backend::Uring});
    } catch (const std::exception& refused) {
        std::fprintf(stderr, "MemoryBench: no uring rows: %s\n", refused.what());
        std::erase_if(rows, [](const Row& row) { return row.measure == MeasureXsockUring; });
    }
    for (int run = 0; run < options.runs; ++run) {
        for (Row& row : rows) {
            row.results.push_back(InChild(row.measure, row.count));
        }
    }
    std::printf(
        "Memory per idle connection (one loop, read pending), median of %d runs; each\n"
        "measurement in a fresh process, the peers in another.\n\n",
        options.runs);
    std::printf(
        "| implementation | connections | heap bytes/conn | RSS bytes/conn | all alive |\n");
    std::printf("| --- | ---: | ---: | ---: | --- |\n");
    double xsockHeap = 0;
    double uringHeap = 0;
    bool manyAlive = false;
    bool uringManyAlive = false;
    for (const Row& row : rows) {
        std::vector<double> heap;
        std::vector<double> rss;
        std::size_t answered = row.count;
        for (const Result& result : row.results) {
            heap.push_back(result.heapPerConnection);
            rss.push_back(result.rssPerConnection);
            answered = std::min(answered, result.answered);
        }
        std::printf("| %s | %zu | %.0f | %.0f | %s |\n", row.name, row.count, bench::Median(heap),
                    bench::Median(rss), bench::Met(answered == row.count));
        if (row.measure == MeasureXsock && row.count == count) {
            xsockHeap = bench::Median(heap);
        }
        if (row.measure == MeasureXsock && row.count == many) {
            manyAlive = answered == row.count;
        }
        if (row.measure == MeasureXsockUring && row.count == count) {
            uringHeap = bench::Median(heap);
        }
        if (row.measure == MeasureXsockUring && row.count == many) {
            uringManyAlive = answered == row.count;
        }
    }
    std::printf("\n| target | measured | met |\n| --- | ---: | --- |\n");
    std::printf("| <= 256 B user-space memory (heap) per idle AsyncSocket, epoll | %.0f B | %s |\n",
                xsockHeap, bench::Met(xsockHeap <= 256));
    std::printf("| <= 256 B user-space memory (heap) per idle AsyncSocket, uring | %.0f B | %s |\n",
                uringHeap, bench::Met(uringHeap <= 256));
    std::printf("| >= 20,000 concurrent connections on one loop | %zu, all alive: %s | %s%s |\n",
                many, manyAlive ? "yes" : "no", bench::Met(manyAlive && many >= 20000),
                options.quick  ? " (quick run)"
                : many < 20000 ? " (RLIMIT_NOFILE hard limit)"
                               : "");
    std::printf("| the same on the uring backend | %zu, all alive: %s | %s |\n", many,
                uringManyAlive ? "yes" : "no", bench::Met(uringManyAlive && many >= 20000));
    return 0;
}
