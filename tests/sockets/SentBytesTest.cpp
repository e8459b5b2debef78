// What Send returned is the peer's to read, in order, on every backend: the
// io_uring backend hands the sends of one loop iteration to the kernel in one
// batch as the iteration ends, and keeps what a send had no room for until
// the peer reads. So a send inside a notification is on the wire once the
// iteration returns, many sends in one iteration keep their order, and the
// bytes a socket was told it sent still reach the peer, before the end of
// the stream, after a Close or a ShutDown while the peer was not reading;
// an abortive close resets; and OnSend comes once there is room again.
#include "Fixtures.h"
#include "TestSupport.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

char PatternByte(std::size_t offset) {
    return static_cast<char>('a' + (offset * 7 + offset / 251) % 26);
}

// Sends the pattern from `sent` on until the socket would block (or `limit`
// bytes are gone), in pieces of `piece` bytes; adds what Send took to `sent`.
void SendPattern(AsyncSocket& socket, std::size_t& sent, std::size_t limit, std::size_t piece) {
    std::string chunk;
    while (sent < limit) {
        std::size_t length = std::min(piece, limit - sent);
        chunk.resize(length);
        for (std::size_t i = 0; i < length; ++i) {
            chunk[i] = PatternByte(sent + i);
        }
        int n = socket.Send(chunk.data(), static_cast<int>(length));
        if (n <= 0) {
            BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
            return;
        }
        sent += static_cast<std::size_t>(n);
    }
}

// Reads what the raw peer has without waiting; true once it saw the end.
bool ReadSome(RawSocket& peer, std::string& got, int& error) {
    char buffer[65536];
    for (;;) {
        ssize_t n = ::recv(peer.Fd(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            got.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) {
            return true;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            error = errno;
            return true;
        }
        return false;
    }
}

// Runs `loop` until `peer` has read at least `n` bytes, or met an error.
std::string ReadAtLeast(SocketLoop& loop, RawSocket& peer, std::size_t n, int& error) {
    std::string got;
    BOOST_REQUIRE(RunUntil(loop, [&] {
        ReadSome(peer, got, error);
        return got.size() >= n || error != 0;
    }));
    return got;
}

bool IsPattern(const std::string& got) {
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i] != PatternByte(i)) {
            return false;
        }
    }
    return true;
}

}  // namespace

// Sends from `server`'s notifications until the kernel and the loop would
// take no more from it, its peer reading nothing; `sent` counts what Send took.
void FillFromNotifications(SocketLoop& loop, Probe& server, std::size_t& sent, std::size_t limit) {
    server.onSend = [&sent, limit](Probe& self) { SendPattern(self, sent, limit, 8192); };
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.send >= 1; }));
    // Full once a send in a notification would block and OnSend comes no
    // more: a run of iterations that brings none (bounded in count).
    int before = -1;
    for (int rounds = 0; server.counts.send != before && rounds < 100000; ++rounds) {
        before = server.counts.send;
        Spin(loop, 20);
    }
    BOOST_REQUIRE_EQUAL(server.counts.send, before);
    BOOST_REQUIRE(sent > 0 && sent < limit);
}

// A server socket whose raw peer does not read, filled by sends made in its
// notifications until the kernel and the loop would take no more. (Named,
// not anonymous: the test cases' lambdas capture it.)
struct FullPipe {
    explicit FullPipe(SocketLoop::Backend backend, long events = FD_ALL) : loop({backend}) {
        AcceptRawPeer(loop, listener, peer, server, events);
        FillFromNotifications(loop, server, sent, kLimit);
    }
    static constexpr std::size_t kLimit = std::size_t{64} << 20;
    SocketLoop loop;
    Probe listener, server;
    RawSocket peer;
    std::size_t sent = 0;
};

BOOST_AUTO_TEST_SUITE(SentBytes)

// An echo made inside OnReceive is in the kernel once the iteration that
// delivered it returns: the peer reads it with no further iteration.
BOOST_DATA_TEST_CASE(ASendInANotificationIsOnTheWireWhenTheIterationReturns,
                     data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    server.onReceive = [](Probe& self) {
        char buffer[64];
        int n = self.Receive(buffer, sizeof buffer);
        BOOST_REQUIRE(n > 0);
        BOOST_REQUIRE_EQUAL(self.Send(buffer, n), n);
    };
    peer.SendAll("ping");
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    char reply[8];
    ssize_t n = ::recv(peer.Fd(), reply, sizeof reply, MSG_DONTWAIT);
    BOOST_REQUIRE_EQUAL(n, 4);
    BOOST_CHECK_EQUAL(std::string(reply, 4), "ping");
}

// Many sends in one iteration, past what the loop takes at once from one
// socket, reach the peer whole and in order, while the peer reads.
BOOST_DATA_TEST_CASE(ManySendsInOneIterationKeepTheirOrder, data::make(kAllBackends), backend) {
    constexpr std::size_t kTotal = 600 * 1000;
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    std::size_t sent = 0;
    server.onSend = [&](Probe& self) { SendPattern(self, sent, kTotal, 1000); };
    int error = 0;
    std::string got = ReadAtLeast(loop, peer, kTotal, error);
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK_EQUAL(got.size(), kTotal);
    BOOST_CHECK(IsPattern(got));
}

// The peer reads nothing until the sender's buffers are full and it has
// closed: then it reads every byte Send said it took, and the end after them.
BOOST_DATA_TEST_CASE(BytesSentBeforeACloseAllReachAPeerThatReadsLate, data::make(kAllBackends),
                     backend) {
    FullPipe pipe(backend);
    pipe.server.Close();
    std::string got;
    int error = 0;
    bool ended = false;
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] {
        ended = ReadSome(pipe.peer, got, error);
        return ended;
    }));
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK_EQUAL(got.size(), pipe.sent);
    BOOST_CHECK(IsPattern(got));
}

// The same with ShutDown(sends): the end comes after every byte sent, and
// the socket still reads what the peer sends then.
BOOST_DATA_TEST_CASE(AShutDownFollowsTheBytesSentBeforeIt, data::make(kAllBackends), backend) {
    FullPipe pipe(backend);
    pipe.server.onSend = nullptr;  // nothing more to send
    BOOST_REQUIRE(pipe.server.ShutDown(AsyncSocket::sends));
    std::string got;
    int error = 0;
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] { return ReadSome(pipe.peer, got, error); }));
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK_EQUAL(got.size(), pipe.sent);
    BOOST_CHECK(IsPattern(got));
    pipe.peer.SendAll("after");
    std::string back;
    pipe.server.onReceive = [&](Probe& self) {
        char buffer[16];
        int n = self.Receive(buffer, sizeof buffer);
        if (n > 0) {
            back.append(buffer, static_cast<std::size_t>(n));
        }
    };
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] { return back.size() >= 5; }));
    BOOST_CHECK_EQUAL(back, "after");
}

// An abortive close (SO_LINGER 0) throws away what waits, as the kernel's
// does, and resets the connection at once.
BOOST_DATA_TEST_CASE(AnAbortiveCloseResetsAtOnce, data::make(kAllBackends), backend) {
    FullPipe pipe(backend);
    BOOST_REQUIRE(pipe.server.SetLinger(true, 0));
    pipe.server.Close();
    std::string got;
    int error = 0;
    // Without another iteration: nothing the loop kept may hold the reset.
    while (!ReadSome(pipe.peer, got, error)) {
        BOOST_REQUIRE(PollsReadable(pipe.peer.Fd(), kDeadline));
    }
    BOOST_CHECK_EQUAL(error, ECONNRESET);
    BOOST_CHECK(got.size() < pipe.sent);
}

// A send that would block brings OnSend once the peer has read enough, every
// time, and the sends go on from there, in order: the first time the loop
// kept bytes the kernel had no room for, later ones the kernel did, and a
// socket that watches for urgent data too watches for room again after both.
BOOST_DATA_TEST_CASE(OnSendComesEachTimeThePeerReads,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    FullPipe pipe(backend, events);
    std::string got;
    int error = 0;
    for (int round = 0; round < 4; ++round) {
        int sends = pipe.server.counts.send;
        BOOST_REQUIRE_MESSAGE(RunUntil(pipe.loop,
                                       [&] {
                                           ReadSome(pipe.peer, got, error);
                                           return pipe.server.counts.send > sends;
                                       }),
                              "no OnSend in round " << round);
    }
    std::size_t more = pipe.sent;
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] {
        ReadSome(pipe.peer, got, error);
        return got.size() >= more;
    }));
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK(IsPattern(got));
}

// A send after ShutDown(sends) fails as the kernel's does, even while the
// bytes sent before the shutdown still wait for room: it would never get
// through, so "would block" (and the OnSend it promises) would be a lie.
BOOST_DATA_TEST_CASE(ASendAfterAShutDownFails, data::make(kAllBackends), backend) {
    FullPipe pipe(backend);
    pipe.server.onSend = nullptr;
    BOOST_REQUIRE(pipe.server.ShutDown(AsyncSocket::sends));
    BOOST_CHECK_EQUAL(pipe.server.Send("x", 1), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EPIPE);
    BOOST_CHECK_EQUAL(pipe.server.Send("!", 1, MSG_OOB), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EPIPE);
    int result = 0;
    int error = 0;
    pipe.loop.Post([&] {  // and inside an iteration, where sends are batched
        result = pipe.server.Send("y", 1);
        error = AsyncSocket::GetLastError();
    });
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] { return result != 0; }));
    BOOST_CHECK_EQUAL(result, SOCKET_ERROR);
    BOOST_CHECK_EQUAL(error, EPIPE);
    std::string got;
    int readError = 0;
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] { return ReadSome(pipe.peer, got, readError); }));
    BOOST_CHECK_EQUAL(readError, 0);
    BOOST_CHECK_EQUAL(got.size(), pipe.sent);
}

// A socket that only writes, waiting for OnSend while the peer reads
// nothing, hears of a reset: OnSend comes (the socket can "send" again, and
// that send reports the reset), as epoll reports the reset as room to write.
BOOST_DATA_TEST_CASE(AResetWhileASendWaitsBringsOnSend, data::make(kAllBackends), backend) {
    FullPipe pipe(backend, FD_WRITE);
    pipe.server.onSend = nullptr;
    int sends = pipe.server.counts.send;
    pipe.peer.Reset();
    BOOST_REQUIRE_MESSAGE(RunUntil(pipe.loop, [&] { return pipe.server.counts.send > sends; }),
                          "no OnSend after the reset");
    BOOST_CHECK_EQUAL(pipe.server.Send("x", 1), SOCKET_ERROR);
    int error = AsyncSocket::GetLastError();
    BOOST_CHECK_MESSAGE(error == ECONNRESET || error == EPIPE, "the send gave " << error);
}

// A loop whose closed socket's bytes still wait for a peer that reads
// nothing ends within a bounded time, and the peer's stream ends then.
BOOST_DATA_TEST_CASE(TheLoopEndsWhileAClosedSocketsBytesWait, data::make(kAllBackends), backend) {
    Probe listener, server;
    RawSocket peer;
    std::size_t sent = 0;
    auto loop = std::make_unique<SocketLoop>(SocketLoop::Options{backend});
    AcceptRawPeer(*loop, listener, peer, server);
    FillFromNotifications(*loop, server, sent, FullPipe::kLimit);
    server.Close();
    listener.Close();
    auto start = std::chrono::steady_clock::now();
    loop.reset();
    BOOST_CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    std::string got;
    int error = 0;
    while (!ReadSome(peer, got, error)) {
        BOOST_REQUIRE_MESSAGE(PollsReadable(peer.Fd(), kDeadline), "the stream never ended");
    }
    BOOST_CHECK(IsPattern(got));
}

// A host loop asks for the loop's handle after a socket closed with bytes
// still waiting for room: they go on, then the end.
BOOST_DATA_TEST_CASE(TheHandleAskedForAfterACloseKeepsItsBytes, data::make(kAllBackends), backend) {
    FullPipe pipe(backend);
    pipe.server.Close();
    static_cast<void>(pipe.loop.NativeHandle());
    std::string got;
    int error = 0;
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] { return ReadSome(pipe.peer, got, error); }));
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK_EQUAL(got.size(), pipe.sent);
    BOOST_CHECK(IsPattern(got));
}

// A program that sizes its send buffer in the middle of its sends (the
// sends from then on meet the kernel's buffer at once) still has its bytes
// arrive in the order it sent them: those taken before go first.
BOOST_DATA_TEST_CASE(SizingTheSendBufferKeepsTheOrder, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    server.onReceive = [](Probe& self) {
        char buffer[64];
        BOOST_REQUIRE(self.Receive(buffer, sizeof buffer) > 0);
        BOOST_REQUIRE_EQUAL(self.Send("first,", 6), 6);
        int size = 1 << 20;
        BOOST_REQUIRE(self.SetSockOpt(SO_SNDBUF, &size, sizeof size));
        BOOST_REQUIRE_EQUAL(self.Send("second", 6), 6);
    };
    peer.SendAll("go");
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    int error = 0;
    std::string got = ReadAtLeast(loop, peer, 12, error);
    BOOST_CHECK_EQUAL(got, "first,second");
}

// The same while bytes the kernel had no room for wait in the loop: a send
// made once the kernel has room again goes after them, never before.
BOOST_DATA_TEST_CASE(SizingTheSendBufferWhileBytesWaitKeepsTheOrder, data::make(kAllBackends),
                     backend) {
    FullPipe pipe(backend);
    int size = 1 << 20;
    BOOST_REQUIRE(pipe.server.SetSockOpt(SO_SNDBUF, &size, sizeof size));
    std::string got;
    int error = 0;
    // Room in the kernel, without an iteration of the loop.
    for (int rounds = 0; rounds < 1000; ++rounds) {
        ReadSome(pipe.peer, got, error);
        pollfd entry{static_cast<int>(pipe.server.Handle()), POLLOUT, 0};
        if (::poll(&entry, 1, 0) == 1) {
            break;
        }
        BOOST_REQUIRE(PollsReadable(pipe.peer.Fd(), kDeadline));
    }
    SendPattern(pipe.server, pipe.sent, FullPipe::kLimit, 8192);
    std::size_t total = pipe.sent;
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] {
        ReadSome(pipe.peer, got, error);
        return got.size() >= total || error != 0;
    }));
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK(IsPattern(got));
}

// A socket sends, closes, and the next connection accepted in the same
// notification gets its descriptor number (unless the loop keeps it for the
// bytes that wait), and sends too: each peer reads
// its own bytes only, the first one then the end. Run with the first
// socket's bytes taken for the iteration's end, and with them waiting in
// the loop for a peer that does not read.
BOOST_DATA_TEST_CASE(ADescriptorNumberReusedInOneIterationKeepsEachSocketsBytes,
                     data::make(kAllBackends) * data::make({false, true}), backend, full) {
    SocketLoop loop({backend});
    Probe listener, first, second;
    RawSocket firstPeer, secondPeer;
    unsigned port = AcceptRawPeer(loop, listener, firstPeer, first);
    std::size_t sent = 0;
    if (full) {
        FillFromNotifications(loop, first, sent, FullPipe::kLimit);
        first.onSend = nullptr;
    }
    secondPeer.Connect(port);
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept > 0; }));
    SOCKET reused = INVALID_SOCKET;
    first.onReceive = [&](Probe& self) {
        char buffer[16];
        BOOST_REQUIRE(self.Receive(buffer, sizeof buffer) > 0);
        if (!full) {
            BOOST_REQUIRE_EQUAL(self.Send("old", 3), 3);
            sent = 3;
        }
        reused = self.Handle();
        self.Close();
        BOOST_REQUIRE(listener.Accept(second));
        if (!full) {  // bytes that wait keep the number taken on io_uring
            BOOST_REQUIRE_EQUAL(second.Handle(), reused);
        }
        BOOST_REQUIRE_EQUAL(second.Send("new", 3), 3);
    };
    firstPeer.SendAll("go");
    BOOST_REQUIRE(RunUntil(loop, [&] { return reused != INVALID_SOCKET; }));
    int error = 0;
    std::string got = ReadAtLeast(loop, secondPeer, 3, error);
    BOOST_CHECK_EQUAL(got, "new");
    std::string old;
    BOOST_REQUIRE(RunUntil(loop, [&] { return ReadSome(firstPeer, old, error); }));
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK_EQUAL(old.size(), sent);
    BOOST_CHECK(full ? IsPattern(old) : old == "old");
    Spin(loop, 5);
    ReadSome(secondPeer, got, error);
    BOOST_CHECK_EQUAL(got, "new");
}

// Urgent data sent after ordinary bytes in one notification comes after
// them in the stream (the peer reads urgent data inline to see where).
BOOST_DATA_TEST_CASE(UrgentDataGoesAfterTheBytesSentBeforeIt, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server);
    int inline_ = 1;
    BOOST_REQUIRE(::setsockopt(peer.Fd(), SOL_SOCKET, SO_OOBINLINE, &inline_, sizeof inline_) == 0);
    server.onReceive = [](Probe& self) {
        char buffer[16];
        BOOST_REQUIRE(self.Receive(buffer, sizeof buffer) > 0);
        BOOST_REQUIRE_EQUAL(self.Send("abc", 3), 3);
        BOOST_REQUIRE_EQUAL(self.Send("!", 1, MSG_OOB), 1);
        BOOST_REQUIRE_EQUAL(self.Send("def", 3), 3);
    };
    peer.SendAll("go");
    int error = 0;
    std::string got = ReadAtLeast(loop, peer, 7, error);
    BOOST_CHECK_EQUAL(got, "abc!def");
}

// A server filled from its notifications on a loop the test is about to
// destroy, its listener closed, the server closed too if `closedFirst`.
struct LoopAboutToEnd {
    LoopAboutToEnd(SocketLoop::Backend backend, bool closedFirst)
        : loop(std::make_unique<SocketLoop>(SocketLoop::Options{backend})) {
        AcceptRawPeer(*loop, listener, peer, server);
        FillFromNotifications(*loop, server, sent, FullPipe::kLimit);
        server.onSend = nullptr;
        listener.Close();
        if (closedFirst) {
            server.Close();
        }
    }
    Probe listener, server;
    RawSocket peer;
    std::size_t sent = 0;
    std::unique_ptr<SocketLoop> loop;
};

// Bytes Send took that the loop gives up at its end (the peer read nothing
// for too long) never end the stream in order: the peer reads every byte
// then the end (epoll: the kernel kept them), or a reset, never an orderly
// end after a hole it could not see.
BOOST_DATA_TEST_CASE(BytesGivenUpNeverEndTheStreamInOrder,
                     data::make(kAllBackends) * data::make({true, false}), backend, closedFirst) {
    LoopAboutToEnd ending(backend, closedFirst);
    ending.loop.reset();
    ending.server.Close();
    std::string got;
    int error = 0;
    while (!ReadSome(ending.peer, got, error)) {
        BOOST_REQUIRE_MESSAGE(PollsReadable(ending.peer.Fd(), kDeadline), "the stream never ended");
    }
    BOOST_CHECK_MESSAGE(
        (error == 0 && got.size() == ending.sent) || error == ECONNRESET,
        "read " << got.size() << " of " << ending.sent << " bytes, then error " << error);
    BOOST_CHECK(IsPattern(got));
}

// Close returns at once even when the process is out of descriptors, as
// epoll's does, and the bytes still reach the peer, then the end.
BOOST_DATA_TEST_CASE(ACloseAtTheDescriptorLimitReturnsAtOnce, data::make(kAllBackends), backend) {
    FullPipe pipe(backend);
    rlimit saved{};
    BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    int highest = 0;
    for (int fd = 0; fd < 4096; ++fd) {
        if (IsOpen(fd)) {
            highest = fd;
        }
    }
    rlimit lowered = saved;
    lowered.rlim_cur = static_cast<rlim_t>(highest) + 1;
    BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    std::vector<Descriptor> hog;  // every free number below the limit
    for (Descriptor fd(::fcntl(pipe.peer.Fd(), F_DUPFD_CLOEXEC, 0)); fd.IsOpen();
         fd.Reset(::fcntl(pipe.peer.Fd(), F_DUPFD_CLOEXEC, 0))) {
        hog.push_back(std::move(fd));
    }
    auto start = std::chrono::steady_clock::now();
    pipe.server.Close();
    auto took = std::chrono::steady_clock::now() - start;
    hog.clear();
    BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
    BOOST_CHECK_MESSAGE(took < std::chrono::seconds(1),
                        "Close took "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                            << " ms");
    std::string got;
    int error = 0;
    BOOST_REQUIRE(RunUntil(pipe.loop, [&] { return ReadSome(pipe.peer, got, error); }));
    BOOST_CHECK_EQUAL(error, 0);
    BOOST_CHECK_EQUAL(got.size(), pipe.sent);
    BOOST_CHECK(IsPattern(got));
}

// Reads `fd` on a thread of its own until the end of the stream or an
// error (or kDeadline): for calls that block the test's thread while they
// wait for the peer to read. Its results are read after Join.
class ReaderThread {
  public:
    explicit ReaderThread(int fd) : thread_([this, fd] { Read(fd); }) {}
    ReaderThread(const ReaderThread&) = delete;
    ReaderThread& operator=(const ReaderThread&) = delete;
    ~ReaderThread() { Join(); }
    void Join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    std::string got;
    int error = 0;
    bool ended = false;

  private:
    void Read(int fd) {
        auto deadline = std::chrono::steady_clock::now() + kDeadline;
        char buffer[65536];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd entry{fd, POLLIN, 0};
            if (::poll(&entry, 1, 100) <= 0) {
                continue;
            }
            ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                got.append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                error = n == 0 ? 0 : errno;
                ended = true;
                return;
            }
        }
    }
    std::thread thread_;  // last: starts once the results above exist
};

// Detach hands over a descriptor whose bytes are all the kernel's: it waits
// for those the loop still holds while the peer reads, so the next owner's
// bytes, and its close, come after every one of them.
BOOST_DATA_TEST_CASE(ADetachHandsOverEveryByteSent, data::make(kAllBackends), backend) {
    FullPipe pipe(backend);
    ReaderThread reader(pipe.peer.Fd());
    Descriptor handed(pipe.server.Detach());
    BOOST_REQUIRE(handed.IsOpen());
    const char last[] = "last";
    pollfd room{handed.Get(), POLLOUT, 0};  // the kernel's buffer may still be full
    BOOST_REQUIRE_EQUAL(::poll(&room, 1, static_cast<int>(kDeadline.count())), 1);
    BOOST_REQUIRE_EQUAL(::send(handed.Get(), last, 4, MSG_NOSIGNAL), 4);
    handed.Reset();
    reader.Join();
    BOOST_REQUIRE(reader.ended);
    BOOST_CHECK_EQUAL(reader.error, 0);
    BOOST_REQUIRE_EQUAL(reader.got.size(), pipe.sent + 4);
    BOOST_CHECK(IsPattern(reader.got.substr(0, pipe.sent)));
    BOOST_CHECK_EQUAL(reader.got.substr(pipe.sent), "last");
}

// A peer that never reads cannot keep a closed socket's descriptor for good:
// where the loop keeps it for bytes the kernel had no room for, the kernel
// gives the connection up after TCP_USER_TIMEOUT (a minute unless the program
// set one), and the loop closes it then. What the peer read is never more
// than was sent, nor out of order.
BOOST_DATA_TEST_CASE(AClosedSocketsDescriptorOutlivesItsPeerOnlySoLong,
                     data::make(kAllBackends) * data::make({0U, 300U}), backend, chosen) {
    FullPipe pipe(backend);
    if (chosen != 0) {
        BOOST_REQUIRE(
            pipe.server.SetSockOpt(TCP_USER_TIMEOUT, &chosen, sizeof chosen, IPPROTO_TCP));
    }
    int open = OpenDescriptorCount();
    int fd = static_cast<int>(pipe.server.Handle());
    pipe.server.Close();
    Spin(pipe.loop, 20);
    if (::fcntl(fd, F_GETFD) != -1) {
        // Kept by the loop: bounded by the program's timeout, or the loop's.
        unsigned timeout = 0;
        socklen_t size = sizeof timeout;
        BOOST_REQUIRE_EQUAL(::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, &size), 0);
        BOOST_CHECK_EQUAL(timeout, chosen != 0 ? chosen : 60000U);
    }
    if (chosen != 0) {
        BOOST_REQUIRE(RunUntil(pipe.loop, [&] { return OpenDescriptorCount() == open - 1; }));
    }
    std::string got;
    int error = 0;
    ReadSome(pipe.peer, got, error);
    BOOST_CHECK(got.size() <= pipe.sent);
    BOOST_CHECK(IsPattern(got));
}

// The loop's end waits for a peer that reads (a bounded time): every byte
// Send took reaches it, then the end, whether the socket closed before the
// loop's end or after it.
BOOST_DATA_TEST_CASE(TheLoopsEndWaitsForAPeerThatReads,
                     data::make(kAllBackends) * data::make({true, false}), backend, closedFirst) {
    LoopAboutToEnd ending(backend, closedFirst);
    ReaderThread reader(ending.peer.Fd());
    ending.loop.reset();
    ending.server.Close();
    reader.Join();
    BOOST_REQUIRE(reader.ended);
    BOOST_CHECK_EQUAL(reader.error, 0);
    BOOST_CHECK_EQUAL(reader.got.size(), ending.sent);
    BOOST_CHECK(IsPattern(reader.got));
}

BOOST_AUTO_TEST_SUITE_END()
