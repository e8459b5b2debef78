// SendQueue: partial sends keep the byte order, EWOULDBLOCK stops a Flush and
// OnSend finishes it, copying stays linear under backpressure, the high-water
// mark, and hard errors, over real loopback connections.
#include "TestSupport.h"

#include <xsock/SendQueue.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// Byte `i` of a payload: a sequence whose order shows (a period of 251 never
// lines up with the piece sizes used here).
std::string Pattern(std::size_t size, std::size_t from = 0) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<char>((from + i) % 251);
    }
    return bytes;
}

// Counts the Sends that took something and takes at most `cap` bytes a call,
// so a test decides how a Flush is split.
class CappedSocket : public Probe {
  public:
    int Send(const void* buffer, int length, int flags = 0) override {
        int n = AsyncSocket::Send(buffer, std::min(length, cap), flags);
        sends += n > 0 ? 1 : 0;
        return n;
    }

    int cap = 1 << 30;
    int sends = 0;
};

void SetBuffer(int fd, int option, int bytes) {
    BOOST_REQUIRE(::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes) == 0);
}

// Reads from a raw blocking peer until `into` holds `size` bytes.
void ReadExactly(RawSocket& peer, std::string& into, std::size_t size) {
    char buffer[65536];
    while (into.size() < size) {
        AwaitReady(peer.Fd(), POLLIN);
        ssize_t n = ::recv(peer.Fd(), buffer, std::min(sizeof buffer, size - into.size()), 0);
        BOOST_REQUIRE_MESSAGE(n > 0, "the peer's read ended early: " << n);
        into.append(buffer, static_cast<std::size_t>(n));
    }
}

// One read of whatever reaches the raw peer next (waiting for it).
void ReadAvailable(RawSocket& peer, std::string& into) {
    char buffer[65536];
    AwaitReady(peer.Fd(), POLLIN);
    ssize_t n = ::recv(peer.Fd(), buffer, sizeof buffer, 0);
    BOOST_REQUIRE_MESSAGE(n > 0, "the peer's read ended early: " << n);
    into.append(buffer, static_cast<std::size_t>(n));
}

// `server` connected to a raw peer that the test reads (or resets) itself.
void ConnectRaw(SocketLoop& loop, Probe& listener, RawSocket& peer, AsyncSocket& server) {
    unsigned port = Listen(listener);
    peer.Connect(port);
    AcceptNext(loop, listener, server);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SendQueueSuite)

BOOST_AUTO_TEST_CASE(PartialSendsKeepTheOrderOfEveryAppend) {
    SocketLoop loop;
    Probe listener;
    RawSocket peer;
    CappedSocket server;
    ConnectRaw(loop, listener, peer, server);
    server.cap = 777;

    SendQueue queue;
    const std::string payload = Pattern(200000);
    // Pieces of changing sizes, each flushed at once in capped Sends.
    std::size_t appended = 0;
    for (std::size_t piece = 1; appended < payload.size(); piece = piece * 3 % 4099 + 1) {
        std::size_t size = std::min(piece, payload.size() - appended);
        queue.Append(payload.data() + appended, size);
        appended += size;
        BOOST_REQUIRE(queue.Flush(server));
    }
    std::string received;
    ReadExactly(peer, received, payload.size());
    BOOST_CHECK(queue.Empty());
    BOOST_CHECK_EQUAL(queue.Size(), 0u);
    BOOST_CHECK(received == payload);
    BOOST_CHECK_GE(server.sends, static_cast<int>(payload.size() / 777));
}

BOOST_AUTO_TEST_CASE(PendingHoldsTheUnsentBytesInOrder) {
    SocketLoop loop;
    Probe listener;
    RawSocket peer;
    CappedSocket server;
    ConnectRaw(loop, listener, peer, server);
    server.cap = 0;  // Send takes nothing: Flush must stop, not spin

    SendQueue queue;
    queue.Append(std::string_view("hello, "));
    const std::byte tail[] = {std::byte{'q'}, std::byte{'u'}, std::byte{'e'}};
    queue.Append(std::span<const std::byte>(tail));
    BOOST_CHECK(queue.Flush(server));
    BOOST_CHECK_EQUAL(queue.Size(), 10u);
    auto pending = queue.Pending();
    BOOST_CHECK_EQUAL(std::string(reinterpret_cast<const char*>(pending.data()), pending.size()),
                      "hello, que");

    server.cap = 4;
    BOOST_CHECK(queue.Flush(server));
    std::string received;
    ReadExactly(peer, received, 10);
    BOOST_CHECK_EQUAL(received, "hello, que");
    BOOST_CHECK(queue.Empty());
}

BOOST_DATA_TEST_CASE(WouldBlockStopsTheFlushAndOnSendFinishesIt, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    // Small buffers, but no smaller than loopback's 64 KiB segments: below
    // that the receiver's window opens only on the sender's persist timer.
    BOOST_REQUIRE(server.SetSendBufferSize(65536));
    BOOST_REQUIRE(client.SetReceiveBufferSize(65536));

    SendQueue queue;
    const std::string payload = Pattern(4 << 20);
    queue.Append(payload);
    // Nobody reads yet: the kernel's buffers fill and Send says EWOULDBLOCK.
    BOOST_REQUIRE(queue.Flush(server));
    BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    BOOST_REQUIRE(!queue.Empty());
    BOOST_CHECK_LT(queue.Size(), payload.size());
    const int sendsBefore = server.counts.send;

    int flushes = 0;
    server.onSend = [&](Probe& self) {
        ++flushes;
        BOOST_CHECK(queue.Flush(self));
    };
    std::string received;
    client.onReceive = [&](Probe& self) { Drain(self, received); };
    BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return received.size() >= payload.size(); }),
                          "received " << received.size() << " of " << payload.size());
    BOOST_CHECK(received == payload);
    BOOST_CHECK(queue.Empty());
    // Each OnSend came after an EWOULDBLOCK, and more than one was needed.
    BOOST_CHECK_GT(server.counts.send - sendsBefore, 1);
    BOOST_CHECK_EQUAL(flushes, server.counts.send - sendsBefore);
}

BOOST_AUTO_TEST_CASE(WriteSendsStraightAwayAndQueuesOnlyTheRest) {
    SocketLoop loop;
    Probe listener;
    RawSocket peer;
    SetBuffer(peer.Fd(), SO_RCVBUF, 4096);
    CappedSocket server;
    ConnectRaw(loop, listener, peer, server);
    BOOST_REQUIRE(server.SetSendBufferSize(4096));

    SendQueue queue;
    BOOST_CHECK(queue.Write(server, std::string_view("small")));
    BOOST_CHECK(queue.Empty());  // the socket took it all: nothing was queued

    const std::string payload = Pattern(1 << 20);
    BOOST_CHECK(queue.Write(server, payload));
    BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    const std::size_t queued = queue.Size();
    BOOST_REQUIRE(queued > 0 && queued < payload.size());
    // What went out came straight from the caller's bytes; the rest was copied
    // in once and never moved.
    BOOST_CHECK_EQUAL(queue.MovedBytes(), 0u);
    BOOST_CHECK(
        std::equal(queue.Pending().begin(), queue.Pending().end(),
                   reinterpret_cast<const std::byte*>(payload.data()) + (payload.size() - queued)));

    // A Write behind queued bytes goes after them.
    BOOST_CHECK(queue.Write(server, std::string_view("end")));
    std::string received;
    while (received.size() < 5 + payload.size() + 3) {
        BOOST_REQUIRE(queue.Flush(server));
        ReadAvailable(peer, received);
    }
    BOOST_CHECK(received == "small" + payload + "end");
    BOOST_CHECK(queue.Empty());
}

// A producer that outruns the peer, as an echo server facing a slow client:
// the backlog grows to megabytes while thousands of small partial Sends eat
// at its front. Erasing the sent bytes from the front each time would copy the
// whole backlog per Send (gigabytes here); the queue copies a few times what
// was appended.
BOOST_AUTO_TEST_CASE(CopyingStaysLinearUnderBackpressure) {
    SocketLoop loop;
    Probe listener;
    RawSocket peer;
    SetBuffer(peer.Fd(), SO_RCVBUF, 4096);
    CappedSocket server;
    ConnectRaw(loop, listener, peer, server);
    BOOST_REQUIRE(server.SetSendBufferSize(4096));
    server.cap = 1000;

    SendQueue queue;
    constexpr std::size_t kPiece = 1024;
    constexpr int kSteps = 4096;
    std::string received;
    std::size_t appended = 0;
    std::size_t largest = 0;
    for (int step = 0; step < kSteps; ++step) {
        queue.Append(Pattern(kPiece, appended));
        appended += kPiece;
        BOOST_REQUIRE(queue.Flush(server));
        largest = std::max(largest, queue.Size());
        // The peer reads half as fast as the producer writes.
        char buffer[512];
        ssize_t n = ::recv(peer.Fd(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            received.append(buffer, static_cast<std::size_t>(n));
        }
    }
    BOOST_TEST_MESSAGE("appended " << appended << ", backlog up to " << largest << ", "
                                   << server.sends << " partial sends, moved "
                                   << queue.MovedBytes());
    BOOST_REQUIRE_GT(largest, appended / 4);  // the backlog really built up
    BOOST_REQUIRE_GT(server.sends, 1000);
    BOOST_CHECK_LE(queue.MovedBytes(), 3 * appended);

    while (received.size() < appended) {
        BOOST_REQUIRE(queue.Flush(server));
        ReadAvailable(peer, received);
    }
    BOOST_CHECK(received == Pattern(appended));
}

BOOST_AUTO_TEST_CASE(AboveHighWaterOnlyPastTheMark) {
    SocketLoop loop;
    Probe listener;
    RawSocket peer;
    CappedSocket server;
    ConnectRaw(loop, listener, peer, server);

    SendQueue queue;
    BOOST_CHECK(!queue.AboveHighWater());
    queue.Append(Pattern(1 << 20));
    BOOST_CHECK(!queue.AboveHighWater());  // no mark set: never reached

    queue.Clear();
    queue.SetHighWater(100);
    BOOST_CHECK_EQUAL(queue.HighWater(), 100u);
    queue.Append(Pattern(100));
    BOOST_CHECK(!queue.AboveHighWater());
    queue.Append(Pattern(1));
    BOOST_CHECK(queue.AboveHighWater());

    server.cap = 1;
    BOOST_REQUIRE(queue.Flush(server));
    BOOST_CHECK(!queue.AboveHighWater());
    BOOST_CHECK(queue.Empty());
    std::string received;
    ReadExactly(peer, received, 101);
}

BOOST_AUTO_TEST_CASE(ClearDropsEverythingUnsent) {
    SocketLoop loop;
    Probe listener;
    RawSocket peer;
    CappedSocket server;
    ConnectRaw(loop, listener, peer, server);

    SendQueue queue;
    queue.Append(std::string_view("dropped"));
    queue.Clear();
    BOOST_CHECK(queue.Empty());
    BOOST_CHECK_EQUAL(queue.Size(), 0u);
    queue.Append(std::string_view("kept"));
    BOOST_REQUIRE(queue.Flush(server));
    std::string received;
    ReadExactly(peer, received, 4);
    BOOST_CHECK_EQUAL(received, "kept");
}

BOOST_AUTO_TEST_CASE(AHardErrorIsReportedAndTheBytesStayQueued) {
    SocketLoop loop;
    Probe listener;
    RawSocket peer;
    CappedSocket server;
    ConnectRaw(loop, listener, peer, server);
    peer.Reset();

    SendQueue queue;
    queue.Append(std::string_view("to nobody"));
    BOOST_CHECK(!queue.Flush(server));
    int error = AsyncSocket::GetLastError();
    BOOST_CHECK_MESSAGE(error == ECONNRESET || error == EPIPE, "error " << error);
    BOOST_CHECK_EQUAL(queue.Size(), 9u);

    BOOST_CHECK(!queue.Write(server, std::string_view(", still")));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EPIPE);
    BOOST_CHECK_EQUAL(queue.Size(), 16u);

    server.Close();
    SendQueue fresh;
    BOOST_CHECK(!fresh.Write(server, std::string_view("closed")));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
    BOOST_CHECK_EQUAL(fresh.Size(), 6u);
}

BOOST_AUTO_TEST_SUITE_END()
