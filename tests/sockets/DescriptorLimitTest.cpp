// Running out of descriptors (SPEC sections 2, 3 and 7): the select backend
// refuses a descriptor it cannot name in an fd_set with EMFILE on that socket
// alone, poll and epoll serve the same descriptors, and a listener whose
// Accept fails with EMFILE reports it without spinning and recovers once
// descriptors are free again.
#include "TestSupport.h"

#include <xsock/Descriptor.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// Sets the soft RLIMIT_NOFILE and puts back the one it found when destroyed.
// The hard limit is never touched, so the original can always be restored.
class SoftDescriptorLimit {
  public:
    SoftDescriptorLimit() { BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0); }
    ~SoftDescriptorLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    SoftDescriptorLimit(const SoftDescriptorLimit&) = delete;
    SoftDescriptorLimit& operator=(const SoftDescriptorLimit&) = delete;

    // Checks nothing itself: a lowered limit leaves no descriptor for the
    // test framework's checks, so the caller checks the result later.
    bool Set(rlim_t soft) {
        rlimit limit = saved_;
        limit.rlim_cur = soft;
        return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
    }
    // Raises the soft limit to at least `needed`; the hard limit must allow it.
    void AtLeast(rlim_t needed) {
        BOOST_REQUIRE_MESSAGE(
            saved_.rlim_max == RLIM_INFINITY || saved_.rlim_max >= needed,
            "this test needs " << needed << " descriptors; the hard limit is " << saved_.rlim_max);
        if (saved_.rlim_cur == RLIM_INFINITY || saved_.rlim_cur < needed) {
            BOOST_REQUIRE_MESSAGE(Set(needed), "setrlimit: " << std::strerror(errno));
        }
    }
    void Restore() { BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved_) == 0); }

  private:
    rlimit saved_{};
};

// Holds every free descriptor number below `limit`, so the next descriptor
// the process opens is numbered `limit` or higher.
class DescriptorHog {
  public:
    explicit DescriptorHog(int limit) {
        Descriptor base(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        BOOST_REQUIRE(base.IsOpen());
        const int original = base.Get();
        held_.push_back(std::move(base));
        for (;;) {
            // The lowest free number.
            Descriptor fd(::fcntl(original, F_DUPFD_CLOEXEC, 0));
            BOOST_REQUIRE_MESSAGE(fd.IsOpen(), "dup: " << std::strerror(errno));
            if (fd.Get() >= limit) {
                break;
            }
            held_.push_back(std::move(fd));
        }
    }

    // Gives one low descriptor number back.
    void ReleaseOne() {
        BOOST_REQUIRE(!held_.empty());
        held_.pop_back();
    }

  private:
    std::vector<Descriptor> held_;
};

// The lowest descriptor number the process could open next.
int LowestFreeDescriptor() {
    Descriptor fd(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0));
    if (!fd) {
        fd.Reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    }
    BOOST_REQUIRE(fd.IsOpen());
    return fd.Get();  // closed on return, so the number is free again
}

// Descriptors the tests below need beyond FD_SETSIZE, with room to spare.
constexpr rlim_t kPastFdSetSize = FD_SETSIZE + 256;

const std::vector<SocketLoop::Backend> kBackendsWithoutFdSetLimit =
    WithUring({SocketLoop::Backend::Poll, SocketLoop::Backend::Epoll});

}  // namespace

BOOST_AUTO_TEST_SUITE(DescriptorLimit)

BOOST_AUTO_TEST_CASE(SelectRefusesSocketsPastFdSetSizeWithEmfile) {
    SoftDescriptorLimit limit;
    limit.AtLeast(kPastFdSetSize);
    // The loop and the listener come first, below FD_SETSIZE; everything the
    // process opens after the hog is numbered FD_SETSIZE or higher.
    SocketLoop loop({SocketLoop::Backend::Select});
    Probe listener;
    unsigned port = Listen(listener);
    std::vector<std::unique_ptr<Probe>> accepted;
    std::vector<int> acceptErrors;
    listener.onAccept = [&](Probe& self) {
        auto server = std::make_unique<Probe>();
        if (self.Accept(*server)) {
            accepted.push_back(std::move(server));
            return;
        }
        acceptErrors.push_back(AsyncSocket::GetLastError());
        BOOST_CHECK_EQUAL(server->Handle(), INVALID_SOCKET);
    };
    DescriptorHog hog(FD_SETSIZE);
    int descriptors = OpenDescriptorCount();

    Probe stream;
    BOOST_CHECK(!stream.Create());
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EMFILE);
    BOOST_CHECK_EQUAL(stream.Handle(), INVALID_SOCKET);
    Probe datagram;
    BOOST_CHECK(!datagram.Create(0, SOCK_DGRAM));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EMFILE);
    BOOST_CHECK_EQUAL(OpenDescriptorCount(), descriptors);  // nothing left behind
    BOOST_CHECK_EQUAL(loop.SocketCount(), 1u);

    // An accepted connection would get a descriptor past FD_SETSIZE too: the
    // Accept fails with EMFILE, the descriptor is closed, and the peer is told.
    RawSocket refused;
    refused.Connect(port);
    descriptors = OpenDescriptorCount();
    BOOST_REQUIRE(RunUntil(loop, [&] { return !acceptErrors.empty(); }));
    BOOST_CHECK_EQUAL(acceptErrors.front(), EMFILE);
    BOOST_CHECK(accepted.empty());
    BOOST_CHECK_EQUAL(OpenDescriptorCount(), descriptors);
    AwaitReady(refused.Fd(), POLLIN);
    char byte;
    BOOST_CHECK(::recv(refused.Fd(), &byte, 1, MSG_DONTWAIT) <= 0);

    // Once a low number is free again, the listener accepts the next
    // connection there and serves it.
    RawSocket client;
    client.Connect(port);
    hog.ReleaseOne();
    BOOST_REQUIRE(RunUntil(loop, [&] { return !accepted.empty(); }));
    BOOST_CHECK(accepted.front()->Handle() < FD_SETSIZE);
    client.SendAll("low");
    BOOST_REQUIRE(RunUntil(loop, [&] { return accepted.front()->counts.receive == 1; }));
    std::string got;
    Drain(*accepted.front(), got);
    BOOST_CHECK_EQUAL(got, "low");
    for (int error : acceptErrors) {
        BOOST_CHECK_EQUAL(error, EMFILE);
    }
}

BOOST_DATA_TEST_CASE(PollAndEpollServeSocketsPastFdSetSize, data::make(kBackendsWithoutFdSetLimit),
                     backend) {
    SoftDescriptorLimit limit;
    limit.AtLeast(kPastFdSetSize);
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    DescriptorHog hog(FD_SETSIZE);

    Probe client;
    BOOST_REQUIRE_MESSAGE(client.Create(),
                          "Create failed: " << AsyncSocket::GetLastErrorCode().message());
    BOOST_CHECK(client.Handle() >= FD_SETSIZE);
    BOOST_CHECK(!client.Connect(SocketAddress::Loopback(AF_INET, port)));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    Probe server;
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.Accept(server); }));
    BOOST_CHECK(server.Handle() >= FD_SETSIZE);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.connect == 1; }));
    BOOST_CHECK_EQUAL(client.connectError, 0);

    BOOST_REQUIRE_EQUAL(client.Send("high", 4), 4);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    std::string got;
    Drain(server, got);
    BOOST_CHECK_EQUAL(got, "high");
    server.Close();
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.close == 1; }));
    BOOST_CHECK_EQUAL(client.closeError, 0);
}

BOOST_DATA_TEST_CASE(AcceptAtDescriptorLimitReportsEmfileWithoutSpinning, data::make(kAllBackends),
                     backend) {
    SoftDescriptorLimit limit;
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    std::vector<std::unique_ptr<Probe>> accepted;
    std::vector<int> acceptErrors;  // GetLastError() right after each failed Accept
    listener.onAccept = [&](Probe& self) {
        auto server = std::make_unique<Probe>();
        if (self.Accept(*server)) {
            accepted.push_back(std::move(server));
        } else {
            acceptErrors.push_back(AsyncSocket::GetLastError());
        }
    };
    // One connection accepted the usual way first: the same path then runs
    // short of descriptors.
    RawSocket first;
    first.Connect(port);
    BOOST_REQUIRE(RunUntil(loop, [&] { return accepted.size() == 1; }));
    // A rehearsal of what runs later while descriptors are short: a failed
    // Accept, the listener unwatched and watched again, a timer. Under the
    // sanitizers the first check of a virtual call opens a pipe, which cannot
    // happen once every descriptor number is taken.
    Probe none;
    BOOST_CHECK(!listener.Accept(none));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    BOOST_REQUIRE(listener.AsyncSelect(0));
    BOOST_REQUIRE(listener.AsyncSelect(FD_ALL));
    bool ticked = false;
    loop.SetTimer(
        std::chrono::milliseconds(0), [&] { ticked = true; }, false);
    BOOST_REQUIRE(RunUntil(loop, [&] { return ticked; }));
    constexpr std::size_t kWaiting = 3;
    std::array<RawSocket, kWaiting> waiting;
    for (RawSocket& client : waiting) {
        client.Connect(port);  // complete in the kernel, waiting in the backlog
    }

    // Every number below the soft limit is taken, so the next accept fails.
    // Nothing in this stretch may need a descriptor, and that includes the
    // test framework's checks (the sanitizers open a pipe to check a virtual
    // call), so the results are checked once the limit is back.
    bool lowered = limit.Set(static_cast<rlim_t>(LowestFreeDescriptor()));
    bool failed = loop.RunUntil([&] { return !acceptErrors.empty(); }, kDeadline);
    int acceptsBeforeSpin = listener.counts.accept;
    Spin(loop, 200);
    int acceptsDuringSpin = listener.counts.accept - acceptsBeforeSpin;
    std::size_t acceptedWhileShort = accepted.size();
    limit.Restore();

    BOOST_REQUIRE(lowered);
    BOOST_REQUIRE_MESSAGE(failed, "OnAccept never ran into the descriptor limit");
    BOOST_CHECK_EQUAL(acceptErrors.front(), EMFILE);
    // Without the hold-back this would be one OnAccept per iteration, about
    // 200; the retry timer allows one more every AsyncSocket::kAcceptRetry.
    constexpr int kHandful = 4;
    BOOST_CHECK_LE(acceptsDuringSpin, kHandful);
    BOOST_CHECK_EQUAL(acceptedWhileShort, 1u);
    BOOST_CHECK_EQUAL(acceptErrors.size(), static_cast<std::size_t>(listener.counts.accept - 1));

    // With descriptors to spare, the held-back OnAccept comes again and every
    // waiting connection is accepted and served.
    BOOST_REQUIRE(RunUntil(loop, [&] { return accepted.size() == 1 + kWaiting; }));
    for (int error : acceptErrors) {
        BOOST_CHECK_EQUAL(error, EMFILE);
    }
    for (RawSocket& client : waiting) {
        client.SendAll("x");
    }
    BOOST_CHECK(RunUntil(loop, [&] {
        for (std::size_t i = 1; i < accepted.size(); ++i) {
            if (accepted[i]->counts.receive == 0) {
                return false;
            }
        }
        return true;
    }));
    Spin(loop);
    BOOST_CHECK_EQUAL(accepted.size(), 1 + kWaiting);
}

BOOST_AUTO_TEST_SUITE_END()
