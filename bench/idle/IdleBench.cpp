// Idle scaling: the loop-thread CPU time each delivered notification costs
// while N idle connections sit in the loop next to 100 busy ones, for every
// backend. The busy pairs ping-pong 64 B blocks with both ends in the loop; the
// idle connections are registered for reading and never get data. A backend
// whose wait is O(ready) keeps the cost flat as N grows; one that scans every
// descriptor (select, poll) does not. Select only runs while every descriptor
// fits below FD_SETSIZE. The idle connections' far ends live in a child
// process, so 10,000 of them take 10,000 descriptors here.
#include "BenchUtil.h"
#include "Peer.h"
#include "XsockEcho.h"

#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>

#include <fcntl.h>
#include <sys/select.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <vector>

namespace {

using Backend = xsock::SocketLoop::Backend;

constexpr int kActivePairs = 100;
constexpr std::size_t kBlock = 64;

// A connected loopback pair; the peer end gets a reset on close so that
// thousands of pairs leave no TIME_WAIT behind.
struct Pair {
    xsock::Descriptor near;
    xsock::Descriptor peer;
};

Pair MakePair(int listener, unsigned port) {
    Pair pair;
    pair.peer = bench::RawConnect(port);
    pair.near = bench::RawAccept(listener);
    linger reset{1, 0};
    ::setsockopt(pair.peer.Get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    return pair;
}

class IdleSocket : public xsock::AsyncSocket {};

struct Sample {
    double nsPerEvent;
    double eventsPerSecond;
};

// Runs one measurement on a fresh thread with its own loop: attaches `idle`
// descriptors (handing them back afterwards) and 100 fresh busy pairs.
// Descriptors held open at the bottom of the table and released for each
// measurement's busy pairs and loop, so that those stay below FD_SETSIZE
// however many idle connections were opened after them.
class LowDescriptors {
  public:
    void Hold() {
        while (held_.size() < 4 * kActivePairs + 32) {
            held_.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        }
    }
    void Release() { held_.clear(); }

  private:
    std::vector<xsock::Descriptor> held_;
};

Sample Measure(Backend backend, const std::vector<xsock::Descriptor>& idleFds,
               std::size_t idleCount, int listener, unsigned port, double seconds,
               LowDescriptors& low) {
    low.Release();
    std::vector<Pair> active;
    for (int i = 0; i < kActivePairs; ++i) {
        active.push_back(MakePair(listener, port));
    }
    Sample sample{};
    std::thread thread([&] {
        xsock::SocketLoop loop(xsock::SocketLoop::Options{backend});
        std::vector<std::unique_ptr<IdleSocket>> idle;
        for (std::size_t i = 0; i < idleCount; ++i) {
            idle.push_back(std::make_unique<IdleSocket>());
            if (!idle.back()->Attach(idleFds[i].Get())) {
                bench::Fail("Attach (idle)");
            }
        }
        bench::EchoContext context(64 * 1024);
        std::vector<std::unique_ptr<bench::EchoSocket>> busy;
        for (Pair& pair : active) {
            busy.push_back(std::make_unique<bench::EchoSocket>(context, kBlock));
            busy.push_back(std::make_unique<bench::EchoSocket>(context));
            if (!busy[busy.size() - 2]->Attach(pair.peer.Release()) ||
                !busy.back()->Attach(pair.near.Release())) {
                bench::Fail("Attach (busy)");
            }
        }
        auto runFor = [&loop](double s) {
            loop.SetTimer(
                std::chrono::milliseconds(static_cast<long>(s * 1000)), [&loop] { loop.Quit(); },
                false);
            loop.Run();
        };
        runFor(0.1);  // warm-up: connections settle, every busy pair is moving
        const std::uint64_t events = context.notifications;
        const double cpu = bench::ThreadCpuSeconds();
        const double wall = bench::WallSeconds();
        runFor(seconds);
        const double delivered = static_cast<double>(context.notifications - events);
        sample.nsPerEvent = (bench::ThreadCpuSeconds() - cpu) * 1e9 / delivered;
        sample.eventsPerSecond = delivered / (bench::WallSeconds() - wall);
        for (auto& socket : idle) {
            socket->Detach();  // the next measurement attaches them again
        }
    });
    thread.join();
    active.clear();
    low.Hold();
    return sample;
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Options options = bench::ParseOptions(
        argc, argv,
        "IdleBench: loop CPU time per delivered notification with N idle connections\n"
        "and 100 busy ones, for each backend (select only below FD_SETSIZE).",
        1.0);
    std::vector<std::size_t> counts = {100, 1000, 10000};
    if (options.quick) {
        counts = {100, 1000};
    }
    const std::size_t maxIdle = counts.back();
    const std::size_t needed = maxIdle + 4 * kActivePairs + 128;
    const rlim_t limit = bench::RaiseFdLimit(needed);
    if (limit < needed) {
        std::fprintf(stderr, "IdleBench: RLIMIT_NOFILE is %llu; need %zu descriptors\n",
                     static_cast<unsigned long long>(limit), needed);
        return 1;
    }
    bench::Peer peer(maxIdle);  // forked before this process holds anything
    LowDescriptors low;
    low.Hold();
    // The idle connections come next, so the first ones fit below FD_SETSIZE.
    unsigned port = 0;
    xsock::Descriptor listener = bench::RawListen(port);
    peer.Start(port);
    std::vector<xsock::Descriptor> idleFds;
    for (std::size_t i = 0; i < maxIdle; ++i) {
        idleFds.push_back(bench::RawAccept(listener.Get()));
    }
    const std::size_t selectMax = FD_SETSIZE - static_cast<std::size_t>(idleFds.front().Get()) - 8;
    struct Row {
        Backend backend;
        std::size_t idle;
    };
    std::vector<Row> rows;
    for (Backend backend : {Backend::Epoll, Backend::Poll, Backend::Select}) {
        for (std::size_t count : counts) {
            if (backend != Backend::Select || count <= selectMax) {
                rows.push_back({backend, count});
            }
        }
        if (backend == Backend::Select && selectMax < counts.back()) {
            rows.push_back({backend, selectMax});
        }
    }
    std::vector<std::vector<double>> ns(rows.size());
    std::vector<std::vector<double>> rates(rows.size());
    for (int run = 0; run < options.runs; ++run) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Sample sample = Measure(rows[i].backend, idleFds, rows[i].idle, listener.Get(),
                                          port, options.seconds, low);
            ns[i].push_back(sample.nsPerEvent);
            rates[i].push_back(sample.eventsPerSecond);
        }
    }
    std::printf(
        "Idle scaling: %d busy pairs (64 B ping-pong, both ends in the loop) plus N idle\n"
        "connections; loop-thread CPU time per delivered OnReceive, median of %d runs of "
        "%.1f s.\n\n",
        kActivePairs, options.runs, options.seconds);
    std::printf(
        "| backend | idle connections | ns CPU per event | events/s | cost vs 100 idle |\n");
    std::printf("| --- | ---: | ---: | ---: | ---: |\n");
    std::map<Backend, double> base;
    double epollRatio = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double cost = bench::Median(ns[i]);
        if (rows[i].idle == counts.front()) {
            base[rows[i].backend] = cost;
        }
        const double ratio = cost / base[rows[i].backend];
        if (rows[i].backend == Backend::Epoll && rows[i].idle == maxIdle) {
            epollRatio = ratio;
        }
        std::printf("| %s | %zu | %.0f | %.0f | %.2fx |\n",
                    xsock::SocketLoop::BackendName(rows[i].backend), rows[i].idle, cost,
                    bench::Median(rates[i]), ratio);
    }
    std::printf("\n| target | measured | met |\n| --- | ---: | --- |\n");
    std::printf("| epoll: cost per event at %zu idle within 1.2x of 100 idle | %.2fx | %s |\n",
                maxIdle, epollRatio, bench::Met(epollRatio <= 1.2));
    return 0;
}
