// Ping-pong over a hand-written io_uring loop on each side, the ceiling an
// event library on io_uring can reach here: per thread one ring, a ring of
// provided buffers and the connections as registered files; per connection
// one multishot recv that picks its buffers from that ring, and each echo an
// IORING_OP_SEND straight from the buffer the data arrived in (the buffer
// goes back to the ring when the send completes, so nothing is copied in user
// space). Sends on one connection go one at a time, in order; a short send
// sends its rest, and a recv the kernel ended for want of buffers (ENOBUFS)
// is armed again once buffers come back. Each loop iteration is a single
// io_uring_submit_and_wait, then the completions are reaped as a batch.
#include "BenchUtil.h"
#include "Measure.h"
#include "PingPong.h"

#include <liburing.h>
#include <pthread.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

namespace pingpong {
namespace {

// Ring set-up flags. SINGLE_ISSUER | DEFER_TASKRUN runs the ring's work only
// when the loop waits, on its own thread; COOP_TASKRUN | TASKRUN_FLAG makes
// fewer io_uring_enter calls (3.2 against 4.0 per round trip at 64 B x 1, 0.05
// against 0.10 at 64 B x 100) but was not faster. Ten alternating 1 s runs of
// each (PingPongBench --only "uring by" --block 64 --connections N, load
// average 4-6 from other builds): 64 B x 100 77.0k and 76.9k round trips/s,
// 64 B x 1 31.7k and 26.6k; COOP_TASKRUN alone and no flag were within the
// noise of both at 64 B x 100. Six more of each at 64 B x 100 in a quieter
// minute (load average 10-12): 181k and 177k.
constexpr unsigned kRingFlags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

constexpr std::uint64_t kRecv = 0;
constexpr std::uint64_t kSend = 1;
constexpr int kNotFromRing = -1;
constexpr std::size_t kPoolBytes = 64 << 20;  // at most, per thread

std::system_error Failure(int error, const char* what) {
    return std::system_error(error, std::system_category(), what);
}

unsigned PowerOfTwoAtLeast(std::size_t n) {
    unsigned p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

// An anonymous mapping, unmapped on destruction.
class Mapping {
  public:
    explicit Mapping(std::size_t bytes) : bytes_(bytes) {
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED) {
            throw Failure(errno, "mmap");
        }
        data_ = static_cast<char*>(p);
    }
    ~Mapping() { ::munmap(data_, bytes_); }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    char* Data() const { return data_; }

  private:
    char* data_ = nullptr;
    std::size_t bytes_;
};

// A block of data waiting to be sent, from the ring's buffer `bid` or, for
// the client's first block, from elsewhere.
struct Pending {
    char* data;
    unsigned length;
    int bid;
};

struct Connection {
    std::vector<Pending> queue;  // in order; queue[head] is the send in flight
    std::size_t head = 0;
    unsigned sent = 0;  // of queue[head]
};

class Loop {
  public:
    // Sets up the ring over connected sockets that carry `block` bytes each.
    Loop(const std::vector<xsock::Descriptor>& fds, std::size_t block)
        : connections_(fds.size()),
          bufferSize_(static_cast<unsigned>(block)),
          bufferCount_(BufferCount(fds.size(), block)),
          entries_(bufferCount_ * sizeof(io_uring_buf)),
          buffers_(std::size_t{bufferCount_} * bufferSize_) {
        io_uring_params params{};
        params.flags = kRingFlags | IORING_SETUP_CQSIZE;
        params.cq_entries = 4 * PowerOfTwoAtLeast(std::max<std::size_t>(64, 2 * fds.size()));
        const unsigned sqEntries =
            std::min(4096u, PowerOfTwoAtLeast(std::max<std::size_t>(64, 2 * fds.size())));
        if (const int error = io_uring_queue_init_params(sqEntries, &ring_, &params); error < 0) {
            throw Failure(-error, "io_uring_queue_init_params");
        }
        io_uring_register_ring_fd(&ring_);  // optional: saves a file lookup per enter
        std::vector<int> raw;
        for (const xsock::Descriptor& fd : fds) {
            raw.push_back(fd.Get());
        }
        if (const int error =
                io_uring_register_files(&ring_, raw.data(), static_cast<unsigned>(raw.size()));
            error < 0) {
            io_uring_queue_exit(&ring_);
            throw Failure(-error, "io_uring_register_files");
        }
        bufferRing_ = reinterpret_cast<io_uring_buf_ring*>(entries_.Data());
        io_uring_buf_ring_init(bufferRing_);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(bufferRing_);
        reg.ring_entries = bufferCount_;
        reg.bgid = 0;
        if (const int error = io_uring_register_buf_ring(&ring_, &reg, 0); error < 0) {
            io_uring_queue_exit(&ring_);
            throw Failure(-error, "io_uring_register_buf_ring");
        }
        for (unsigned bid = 0; bid < bufferCount_; ++bid) {
            Return(static_cast<int>(bid));
        }
        Publish();
    }
    ~Loop() { io_uring_queue_exit(&ring_); }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // Echoes on every connection until `stop` or until one fails or ends;
    // sends `first` (if given, block bytes) on each at the start, and adds
    // what arrives to `received` if given (one thread adds to it, so a plain
    // store is enough).
    void Run(const std::atomic<bool>& stop, char* first, std::atomic<std::uint64_t>* received) {
        received_ = received;
        for (std::size_t i = 0; i < connections_.size(); ++i) {
            ArmRecv(i);
            if (first != nullptr) {
                Queue(i, {first, bufferSize_, kNotFromRing});
            }
        }
        while (!stop.load(std::memory_order_relaxed)) {
            if (io_uring_submit_and_wait(&ring_, 1) < 0 && errno != EINTR) {
                return;
            }
            unsigned head = 0;
            unsigned seen = 0;
            bool ok = true;
            io_uring_cqe* cqe = nullptr;
            io_uring_for_each_cqe(&ring_, head, cqe) {
                ++seen;
                if (!Complete(*cqe)) {
                    ok = false;
                    break;
                }
            }
            io_uring_cq_advance(&ring_, seen);
            if (!ok) {
                return;
            }
            Publish();
            // As many as there are free buffers, the longest waiting first:
            // re-arming them all would see most fail again.
            const std::size_t rearm = std::min<std::size_t>(starved_.size(), bufferCount_ - held_);
            for (std::size_t k = 0; k < rearm; ++k) {
                ArmRecv(starved_[k]);
            }
            starved_.erase(starved_.begin(), starved_.begin() + static_cast<std::ptrdiff_t>(rearm));
        }
    }

  private:
    static unsigned BufferCount(std::size_t connections, std::size_t block) {
        // Each connection has one block in flight, so a recv never takes more
        // than a buffer; twice the connections leaves room for fragments.
        const unsigned wanted = PowerOfTwoAtLeast(std::max<std::size_t>(16, 2 * connections));
        unsigned fits = PowerOfTwoAtLeast(kPoolBytes / block + 1) / 2;
        return std::min({wanted, fits, 32768u});
    }

    io_uring_sqe* Sqe() {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        while (sqe == nullptr) {
            io_uring_submit(&ring_);
            sqe = io_uring_get_sqe(&ring_);
        }
        return sqe;
    }

    void ArmRecv(std::size_t i) {
        io_uring_sqe* sqe = Sqe();
        io_uring_prep_recv_multishot(sqe, static_cast<int>(i), nullptr, 0, 0);
        sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
        sqe->buf_group = 0;
        io_uring_sqe_set_data64(sqe, (i << 1) | kRecv);
    }

    void SendHead(std::size_t i) {
        Connection& connection = connections_[i];
        const Pending& p = connection.queue[connection.head];
        io_uring_sqe* sqe = Sqe();
        io_uring_prep_send(sqe, static_cast<int>(i), p.data + connection.sent,
                           p.length - connection.sent, MSG_NOSIGNAL);
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, (i << 1) | kSend);
    }

    void Queue(std::size_t i, Pending pending) {
        Connection& connection = connections_[i];
        connection.queue.push_back(pending);
        if (connection.queue.size() - connection.head == 1) {
            SendHead(i);
        }
    }

    // Hands buffer `bid` back to the kernel at the next Publish.
    void Return(int bid) {
        io_uring_buf_ring_add(bufferRing_, buffers_.Data() + std::size_t(bid) * bufferSize_,
                              bufferSize_, static_cast<unsigned short>(bid),
                              io_uring_buf_ring_mask(bufferCount_), returned_++);
    }

    void Publish() {
        if (returned_ > 0) {
            io_uring_buf_ring_advance(bufferRing_, returned_);
            returned_ = 0;
        }
    }

    // False when the run is over for this loop (end of stream or an error).
    bool Complete(const io_uring_cqe& cqe) {
        const std::size_t i = cqe.user_data >> 1;
        if ((cqe.user_data & 1) == kRecv) {
            if (cqe.res == -ENOBUFS) {
                starved_.push_back(i);
                return true;
            }
            if (cqe.res <= 0) {
                return false;
            }
            const int bid = static_cast<int>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
            ++held_;
            if (received_ != nullptr) {
                received_->store(received_->load(std::memory_order_relaxed) +
                                     static_cast<std::uint64_t>(cqe.res),
                                 std::memory_order_relaxed);
            }
            Queue(i, {buffers_.Data() + std::size_t(bid) * bufferSize_,
                      static_cast<unsigned>(cqe.res), bid});
            if ((cqe.flags & IORING_CQE_F_MORE) == 0) {
                ArmRecv(i);
            }
            return true;
        }
        if (cqe.res <= 0) {
            return false;
        }
        Connection& connection = connections_[i];
        connection.sent += static_cast<unsigned>(cqe.res);
        const Pending& p = connection.queue[connection.head];
        if (connection.sent < p.length) {
            SendHead(i);
            return true;
        }
        if (p.bid != kNotFromRing) {
            Return(p.bid);
            --held_;
        }
        connection.sent = 0;
        if (++connection.head == connection.queue.size()) {
            connection.queue.clear();
            connection.head = 0;
        } else {
            SendHead(i);
        }
        return true;
    }

    io_uring ring_{};
    std::vector<Connection> connections_;
    unsigned bufferSize_;
    unsigned bufferCount_;
    Mapping entries_;
    Mapping buffers_;
    io_uring_buf_ring* bufferRing_ = nullptr;
    int returned_ = 0;   // buffers added since the last Publish
    unsigned held_ = 0;  // buffers the kernel filled and we have not returned
    std::vector<std::size_t> starved_;
    std::atomic<std::uint64_t>* received_ = nullptr;
};

// Runs a loop over `fds` on this thread; `ready` learns whether the ring
// could be set up.
void Serve(const std::vector<xsock::Descriptor>& fds, std::size_t block, char* first,
           std::atomic<std::uint64_t>* received, const std::atomic<bool>& stop,
           std::promise<void>& ready) {
    std::unique_ptr<Loop> loop;
    try {
        loop = std::make_unique<Loop>(fds, block);
    } catch (...) {
        ready.set_exception(std::current_exception());
        return;
    }
    ready.set_value();
    loop->Run(stop, first, received);
}

}  // namespace

bench::Window RunUring(const Cell& cell) {
    bench::RawPairs pairs = bench::RawConnectPairs(cell.connections);
    std::vector<xsock::Descriptor>& clientFds = pairs.clients;
    std::vector<xsock::Descriptor>& serverFds = pairs.servers;
    std::vector<char> first(cell.block, 'x');
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> received{0};
    std::promise<void> serverReady;
    std::promise<void> clientReady;
    std::thread server([&] { Serve(serverFds, cell.block, nullptr, nullptr, stop, serverReady); });
    std::thread client([&] {
        ::pthread_setname_np(::pthread_self(), bench::kClientThread);
        Serve(clientFds, cell.block, first.data(), &received, stop, clientReady);
    });
    // Ends both loops: each sees the end of its streams.
    auto finish = [&] {
        stop = true;
        for (const xsock::Descriptor& fd : clientFds) {
            ::shutdown(fd.Get(), SHUT_RDWR);
        }
        client.join();
        server.join();
    };
    try {
        serverReady.get_future().get();
        clientReady.get_future().get();
    } catch (...) {
        finish();
        throw;
    }
    const bench::Window window = bench::MeasureWindow(received, cell.seconds);
    finish();
    return window;
}

}  // namespace pingpong
