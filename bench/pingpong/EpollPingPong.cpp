// Ping-pong over a hand-written epoll loop on each side: level-triggered,
// one recv and one send per readable connection, EPOLLOUT only while a send
// is incomplete. What a careful C programmer would write, and the floor an
// event library on epoll is measured against.
#include "BenchUtil.h"
#include "Measure.h"
#include "PingPong.h"

#include <pthread.h>
#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace pingpong {
namespace {

struct Connection {
    int fd = -1;
    std::vector<char> buffer;
    std::size_t pending = 0;  // bytes of buffer still to send
    std::size_t sent = 0;
};

void Watch(int epoll, Connection& connection, std::uint32_t events, int op) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = &connection;
    ::epoll_ctl(epoll, op, connection.fd, &event);
}

// Sends what is pending; false if the connection failed.
bool Flush(int epoll, Connection& connection) {
    while (connection.sent < connection.pending) {
        const ssize_t n = ::send(connection.fd, connection.buffer.data() + connection.sent,
                                 connection.pending - connection.sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            Watch(epoll, connection, EPOLLOUT, EPOLL_CTL_MOD);
            return true;
        }
        if (n <= 0) {
            return false;
        }
        connection.sent += static_cast<std::size_t>(n);
    }
    connection.pending = connection.sent = 0;
    return true;
}

// Echoes on every connection until `stop`; counts what arrives in `received`
// if given (one thread adds to it, so a plain store is enough).
void Loop(std::vector<Connection>& connections, std::atomic<std::uint64_t>* received,
          const std::atomic<bool>& stop) {
    xsock::Descriptor epoll(::epoll_create1(EPOLL_CLOEXEC));
    for (Connection& connection : connections) {
        Watch(epoll.Get(), connection, EPOLLIN, EPOLL_CTL_ADD);
        if (connection.pending > 0 && !Flush(epoll.Get(), connection)) {
            return;
        }
    }
    std::vector<epoll_event> events(connections.size());
    while (!stop.load(std::memory_order_relaxed)) {
        const int ready =
            ::epoll_wait(epoll.Get(), events.data(), static_cast<int>(events.size()), 50);
        for (int i = 0; i < ready; ++i) {
            auto& connection = *static_cast<Connection*>(events[i].data.ptr);
            if ((events[i].events & EPOLLOUT) != 0) {
                if (!Flush(epoll.Get(), connection)) {
                    return;
                }
                if (connection.pending == 0) {
                    Watch(epoll.Get(), connection, EPOLLIN, EPOLL_CTL_MOD);
                }
                continue;
            }
            const ssize_t n =
                ::recv(connection.fd, connection.buffer.data(), connection.buffer.size(), 0);
            if (n <= 0) {
                if (n < 0 && errno == EAGAIN) {
                    continue;
                }
                return;
            }
            if (received != nullptr) {
                received->store(
                    received->load(std::memory_order_relaxed) + static_cast<std::uint64_t>(n),
                    std::memory_order_relaxed);
            }
            connection.pending = static_cast<std::size_t>(n);
            if (!Flush(epoll.Get(), connection)) {
                return;
            }
        }
    }
}

std::vector<Connection> Connections(const std::vector<xsock::Descriptor>& fds, std::size_t block,
                                    bool sendFirst) {
    std::vector<Connection> connections(fds.size());
    for (std::size_t i = 0; i < fds.size(); ++i) {
        connections[i].fd = fds[i].Get();
        connections[i].buffer.assign(block, 'x');
        connections[i].pending = sendFirst ? block : 0;
        bench::SetNonBlocking(fds[i].Get());
    }
    return connections;
}

}  // namespace

bench::Window RunEpoll(const Cell& cell) {
    bench::RawPairs pairs = bench::RawConnectPairs(cell.connections);
    std::vector<xsock::Descriptor>& clientFds = pairs.clients;
    std::vector<xsock::Descriptor>& serverFds = pairs.servers;
    std::vector<Connection> serverSide = Connections(serverFds, cell.block, false);
    std::vector<Connection> clientSide = Connections(clientFds, cell.block, true);
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> received{0};
    std::thread server([&] { Loop(serverSide, nullptr, stop); });
    std::thread client([&] {
        ::pthread_setname_np(::pthread_self(), bench::kClientThread);
        Loop(clientSide, &received, stop);
    });
    const bench::Window window = bench::MeasureWindow(received, cell.seconds);
    stop = true;
    client.join();
    server.join();
    return window;
}

}  // namespace pingpong
