// Thousands of connections through one loop: an echo server and 2,000 clients
// share a single SocketLoop on the backends made for that many descriptors
// (select stops at FD_SETSIZE). Small kernel buffers make partial sends and
// EWOULDBLOCK part of the traffic; every echoed byte is checked, and every
// descriptor is given back at the end.
#include "TestSupport.h"

#include <xsock/SendQueue.h>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

// Named rather than anonymous: the test case is a template whose lambdas
// capture these types.
namespace echo {

constexpr int kConnections = 2000;
constexpr std::size_t kPayloadSize = 16384;
// Kernel buffer sizes for both ends; the kernel raises them to its minimum
// (about 4.5 KiB). A payload is several times what a send buffer plus the
// peer's window can hold, so every client's first burst ends in EWOULDBLOCK,
// and so do many of the server's echoes.
constexpr int kKernelBuffer = 2048;

const std::vector<SocketLoop::Backend> kScalableBackends =
    WithUring({SocketLoop::Backend::Poll, SocketLoop::Backend::Epoll});

// Byte `offset` of connection `id`'s payload, mixed from both (splitmix64), so
// a byte delivered to the wrong connection or at the wrong offset shows.
char PatternByte(int id, std::size_t offset) {
    std::uint64_t x = ((static_cast<std::uint64_t>(id) << 32) | offset) + 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return static_cast<char>((x ^ (x >> 31)) & 0xff);
}

// What happened across all connections, counted outside the sockets.
struct Tally {
    int accepted = 0;
    int acceptErrors = 0;
    int connectErrors = 0;
    int ioErrors = 0;        // a Send or Receive failure other than EWOULDBLOCK
    int wouldBlocks = 0;     // Sends that met a full buffer and waited for OnSend
    int partialSends = 0;    // Sends the kernel took only part of
    int complete = 0;        // clients with their whole payload back
    int mismatches = 0;      // bytes that came back different, or too many
    int serverCloses = 0;    // sessions told their client left
    int clientCloses = 0;    // clients told the server closed
    int abortiveCloses = 0;  // OnClose with an error
};

void SetBuffers(AsyncSocket& socket) {
    BOOST_REQUIRE(socket.SetSockOpt(SO_SNDBUF, &kKernelBuffer, sizeof kKernelBuffer));
    BOOST_REQUIRE(socket.SetSockOpt(SO_RCVBUF, &kKernelBuffer, sizeof kKernelBuffer));
}

// A client's payload is fixed: it sends from `sent` on until it is all gone or
// the kernel says EWOULDBLOCK, in which case OnSend calls again. `piece` caps
// each Send, so the client side also makes partial sends of its own sizes.
void SendSome(AsyncSocket& socket, const std::string& out, std::size_t& sent, std::size_t piece,
              Tally& tally) {
    while (sent < out.size()) {
        std::size_t length = std::min(piece, out.size() - sent);
        int n = socket.Send(out.data() + sent, static_cast<int>(length));
        if (n < 0) {
            if (AsyncSocket::GetLastError() == EWOULDBLOCK) {
                ++tally.wouldBlocks;
            } else {
                ++tally.ioErrors;
            }
            return;
        }
        if (static_cast<std::size_t>(n) < length) {
            ++tally.partialSends;
        }
        sent += static_cast<std::size_t>(n);
    }
}

// The server side of one connection: echoes everything that arrives, keeping
// what the kernel would not take yet in a SendQueue until OnSend.
class EchoSession : public AsyncSocket {
  public:
    explicit EchoSession(Tally& tally) : tally_(tally) {}

  protected:
    void OnReceive(int) override {
        char buffer[8192];
        int n;
        while ((n = Receive(buffer, sizeof buffer)) > 0) {
            queue_.Append(buffer, static_cast<std::size_t>(n));
        }
        if (n < 0 && GetLastError() != EWOULDBLOCK) {
            ++tally_.ioErrors;
        }
        Flush();
    }
    void OnSend(int) override { Flush(); }
    void OnClose(int error) override {
        ++tally_.serverCloses;
        tally_.abortiveCloses += error != 0;
        Close();
    }

  private:
    void Flush() {
        if (!queue_.Flush(*this)) {
            ++tally_.ioErrors;
        } else if (!queue_.Empty()) {
            ++tally_.wouldBlocks;
        }
    }

    Tally& tally_;
    SendQueue queue_;
};

class EchoServer : public AsyncSocket {
  public:
    explicit EchoServer(Tally& tally) : tally_(tally) {}

    std::vector<std::unique_ptr<EchoSession>> sessions;

  protected:
    // Takes every waiting connection; OnAccept comes again when more arrive.
    void OnAccept(int) override {
        for (;;) {
            auto session = std::make_unique<EchoSession>(tally_);
            if (!Accept(*session)) {
                tally_.acceptErrors += GetLastError() != EWOULDBLOCK;
                return;
            }
            SetBuffers(*session);
            sessions.push_back(std::move(session));
            ++tally_.accepted;
        }
    }

  private:
    Tally& tally_;
};

// Sends its own payload in pieces of a size of its own and checks every byte
// that comes back.
class EchoClient : public AsyncSocket {
  public:
    EchoClient(int id, Tally& tally) : id_(id), tally_(tally) {
        payload_.resize(kPayloadSize);
        for (std::size_t i = 0; i < kPayloadSize; ++i) {
            payload_[i] = PatternByte(id, i);
        }
        received_.reserve(kPayloadSize);
    }

    void Start(unsigned port) {
        BOOST_REQUIRE_MESSAGE(Create(), "client " << id_ << ": " << GetLastErrorCode().message());
        SetBuffers(*this);
        BOOST_REQUIRE(!Connect(SocketAddress::Loopback(AF_INET, port)));
        BOOST_REQUIRE_EQUAL(GetLastError(), EWOULDBLOCK);
    }

    bool Matches() const { return received_ == payload_; }

  protected:
    void OnConnect(int error) override { tally_.connectErrors += error != 0; }
    void OnSend(int) override { SendSome(*this, payload_, sent_, Piece(), tally_); }
    void OnReceive(int) override {
        char buffer[8192];
        int n;
        while ((n = Receive(buffer, sizeof buffer)) > 0) {
            for (int i = 0; i < n; ++i) {
                std::size_t offset = received_.size() + static_cast<std::size_t>(i);
                if (offset >= kPayloadSize || buffer[i] != PatternByte(id_, offset)) {
                    ++tally_.mismatches;
                }
            }
            received_.append(buffer, static_cast<std::size_t>(n));
        }
        if (n < 0 && GetLastError() != EWOULDBLOCK) {
            ++tally_.ioErrors;
        }
        if (!complete_ && received_.size() >= kPayloadSize) {
            complete_ = true;
            ++tally_.complete;
        }
    }
    void OnClose(int error) override {
        ++tally_.clientCloses;
        tally_.abortiveCloses += error != 0;
        Close();
    }

  private:
    // Piece boundaries differ from one connection to the next.
    std::size_t Piece() const { return 300 + static_cast<std::size_t>(id_ % 17) * 97; }

    int id_;
    Tally& tally_;
    std::string payload_;
    std::string received_;
    std::size_t sent_ = 0;
    bool complete_ = false;
};

// Raises the soft descriptor limit for the test and puts it back afterwards.
class EnoughDescriptors {
  public:
    explicit EnoughDescriptors(rlim_t needed) {
        BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        BOOST_REQUIRE_MESSAGE(
            saved_.rlim_max == RLIM_INFINITY || saved_.rlim_max >= needed,
            "this test needs " << needed << " descriptors; the hard limit is " << saved_.rlim_max);
        if (saved_.rlim_cur != RLIM_INFINITY && saved_.rlim_cur < needed) {
            rlimit raised = saved_;
            raised.rlim_cur = needed;
            BOOST_REQUIRE_MESSAGE(::setrlimit(RLIMIT_NOFILE, &raised) == 0,
                                  "setrlimit: " << std::strerror(errno));
        }
    }
    ~EnoughDescriptors() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    EnoughDescriptors(const EnoughDescriptors&) = delete;
    EnoughDescriptors& operator=(const EnoughDescriptors&) = delete;

  private:
    rlimit saved_{};
};

}  // namespace echo

using namespace echo;

BOOST_AUTO_TEST_SUITE(EchoScale)

BOOST_DATA_TEST_CASE(TwoThousandConnectionsEchoEveryByteThroughOneLoop,
                     data::make(kScalableBackends), backend) {
    EnoughDescriptors limit(2 * kConnections + 256);
    SocketLoop loop({backend});
    int before = OpenDescriptorCount();
    Tally tally;
    {
        EchoServer server(tally);
        unsigned port = Listen(server);
        std::vector<std::unique_ptr<EchoClient>> clients;
        clients.reserve(kConnections);
        for (int id = 0; id < kConnections; ++id) {
            clients.push_back(std::make_unique<EchoClient>(id, tally));
            clients.back()->Start(port);
        }
        BOOST_CHECK_EQUAL(loop.SocketCount(), static_cast<std::size_t>(kConnections + 1));

        BOOST_REQUIRE_MESSAGE(RunUntil(loop,
                                       [&] {
                                           return tally.complete == kConnections ||
                                                  tally.ioErrors + tally.connectErrors > 0;
                                       }),
                              "only " << tally.complete << " of " << kConnections
                                      << " clients got their payload back");
        BOOST_CHECK_EQUAL(tally.complete, kConnections);
        BOOST_CHECK_EQUAL(tally.accepted, kConnections);
        BOOST_CHECK_EQUAL(server.sessions.size(), static_cast<std::size_t>(kConnections));
        BOOST_CHECK_EQUAL(tally.acceptErrors, 0);
        BOOST_CHECK_EQUAL(tally.connectErrors, 0);
        BOOST_CHECK_EQUAL(tally.ioErrors, 0);
        BOOST_CHECK_EQUAL(tally.mismatches, 0);
        int wrong = 0;
        for (const auto& client : clients) {
            wrong += !client->Matches();
        }
        BOOST_CHECK_EQUAL(wrong, 0);
        // The echo went through full buffers, not around them.
        BOOST_CHECK_GE(tally.wouldBlocks, kConnections);
        BOOST_TEST_MESSAGE(SocketLoop::BackendName(backend)
                           << ": " << tally.wouldBlocks << " sends met EWOULDBLOCK, "
                           << tally.partialSends << " were partial");

        // The server closes first, so the clients learn of it through OnClose
        // and the ephemeral ports are not left in TIME_WAIT.
        for (auto& session : server.sessions) {
            session->Close();
        }
        BOOST_REQUIRE(RunUntil(loop, [&] { return tally.clientCloses == kConnections; }));
        BOOST_CHECK_EQUAL(tally.abortiveCloses, 0);
        BOOST_CHECK_EQUAL(tally.serverCloses, 0);  // no OnClose after a local Close
        BOOST_CHECK_EQUAL(loop.SocketCount(), 1u);
    }
    BOOST_CHECK_EQUAL(loop.SocketCount(), 0u);
    BOOST_CHECK_EQUAL(OpenDescriptorCount(), before);
}

BOOST_AUTO_TEST_SUITE_END()
