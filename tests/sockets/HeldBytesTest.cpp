// Bytes a loop took off a stream socket before the program read them (the
// io_uring backend receives into buffers of its own) stay the socket's, in
// order, whatever the program does in between: more sockets with unread
// bytes than the loop has buffers, a change of what the socket watches while
// a receive is under way, a host loop asking for the loop's handle. On every
// backend, with and without FD_OOB selected.
#include "Fixtures.h"
#include "TestSupport.h"

#include <sys/ioctl.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

std::string ReadAll(AsyncSocket& socket, std::size_t count) {
    std::string bytes(count + 1, '\0');
    int n = socket.Receive(bytes.data(), static_cast<int>(bytes.size()));
    bytes.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return bytes;
}

std::string Message(std::size_t i, int round) {
    return "round " + std::to_string(round) + " socket " + std::to_string(i) + " " +
           std::string(50 + i % 7, static_cast<char>('a' + i % 26));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(HeldBytes)

// More sockets hold unread bytes at once than the io_uring backend has
// receive buffers (256): the ones past that are watched by a peek, and every
// socket still hears of its bytes once, reads them all, and hears of the
// next ones after it read.
BOOST_DATA_TEST_CASE(MoreUnreadSocketsThanBuffersKeepTheirBytes,
                     data::make(WithUring({SocketLoop::Backend::Poll,
                                           SocketLoop::Backend::Epoll})) *
                         data::make(kEventSets),
                     backend, events) {
    // Not on select: 600 descriptors are past what it can name.
    constexpr std::size_t kPairs = 300;
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener, "127.0.0.1", events);
    std::vector<std::unique_ptr<Probe>> clients, servers;
    for (std::size_t i = 0; i < kPairs; ++i) {
        clients.push_back(std::make_unique<Probe>());
        servers.push_back(std::make_unique<Probe>());
        BOOST_REQUIRE(clients[i]->Create(0, SOCK_STREAM, events, "127.0.0.1"));
        BOOST_REQUIRE(clients[i]->Connect("127.0.0.1", port) ||
                      AsyncSocket::GetLastError() == EWOULDBLOCK);
        AcceptNext(loop, listener, *servers[i]);
    }
    for (int round = 1; round <= 2; ++round) {
        for (std::size_t i = 0; i < kPairs; ++i) {
            std::string message = Message(i, round);
            BOOST_REQUIRE(RunUntil(loop, [&] {
                return clients[i]->Send(message.data(), static_cast<int>(message.size())) ==
                       static_cast<int>(message.size());
            }));
        }
        BOOST_REQUIRE(RunUntil(loop, [&] {
            for (const auto& server : servers) {
                if (server->counts.receive < round) {
                    return false;
                }
            }
            return true;
        }));
        Spin(loop);
        for (std::size_t i = 0; i < kPairs; ++i) {
            BOOST_TEST_CONTEXT("socket " << i << " round " << round) {
                BOOST_CHECK_EQUAL(servers[i]->counts.receive, round);
                std::string message = Message(i, round);
                unsigned long waiting = 0;
                BOOST_REQUIRE(servers[i]->IOCtl(FIONREAD, &waiting));
                BOOST_CHECK_EQUAL(waiting, message.size());
                BOOST_CHECK_EQUAL(ReadAll(*servers[i], message.size()), message);
            }
        }
    }
}

// The socket stops watching for reading just as bytes came for it, while the
// loop may be receiving them, then watches again: the bytes that came meanwhile are one OnReceive,
// all of them, in order. Once through an interest that still watches
// writing, once through no interest at all.
BOOST_DATA_TEST_CASE(BytesThatCameWhileTheSocketLookedAwayStayItsOwn,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    for (long away : {long{FD_WRITE}, 0L}) {
        BOOST_TEST_CONTEXT("away " << away) {
            SocketLoop loop({backend});
            Probe listener, client, server, bystander;
            ConnectPair(loop, listener, client, server, "127.0.0.1", events);
            BOOST_REQUIRE(bystander.Create(0, SOCK_DGRAM, FD_READ, "127.0.0.1"));
            BOOST_REQUIRE_EQUAL(client.Send("first", 5), 5);
            BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
            BOOST_CHECK_EQUAL(ReadAll(server, 5), "first");
            Spin(loop, 3);  // watched for reading again
            BOOST_REQUIRE_EQUAL(client.Send("second", 6), 6);
            // Arrived, and nothing has looked at it yet: the change of
            // interest meets a receive that is about to take it.
            BOOST_REQUIRE(PollsReadable(static_cast<int>(server.Handle()), kDeadline));
            // Another socket's change runs the ring's pending work, in which
            // a receive for the server takes them; its completion is not
            // collected yet when the server looks away.
            BOOST_REQUIRE(bystander.AsyncSelect(0));
            BOOST_REQUIRE(server.AsyncSelect(away));
            Spin(loop, 3);
            BOOST_REQUIRE_EQUAL(client.Send("third", 5), 5);
            Spin(loop, 3);
            BOOST_CHECK_EQUAL(server.counts.receive, 1);
            BOOST_REQUIRE(server.AsyncSelect(events));
            BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 2; }));
            std::string rest;
            BOOST_REQUIRE(RunUntil(loop, [&] {
                rest += ReadAll(server, 64);
                return rest.size() >= 11;
            }));
            BOOST_CHECK_EQUAL(rest, "secondthird");
        }
    }
}

// A host loop asks for the loop's handle after bytes came and were not read:
// they are still read first, and what comes after is notified as before.
BOOST_DATA_TEST_CASE(HeldBytesSurviveAHostLoopAskingForTheHandle,
                     data::make(WithUring({SocketLoop::Backend::Epoll})) * data::make(kEventSets),
                     backend, events) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server, "127.0.0.1", events);
    BOOST_REQUIRE_EQUAL(client.Send("before", 6), 6);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    BOOST_REQUIRE(loop.NativeHandle() >= 0);
    BOOST_CHECK_EQUAL(ReadAll(server, 6), "before");
    BOOST_REQUIRE_EQUAL(client.Send("after", 5), 5);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 2; }));
    BOOST_CHECK_EQUAL(ReadAll(server, 5), "after");
}

// FIONREAD works from any thread (SPEC section 2): a worker
// that asks how much a connection has waiting, while its loop's thread has
// been told of bytes and not read them, gets the same answer as that thread.
BOOST_DATA_TEST_CASE(AnotherThreadsFionreadCountsUnreadBytes,
                     data::make(kAllBackends) * data::make(kEventSets), backend, events) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server, events);
    peer.SendAll("unread");
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    unsigned long mine = 0;
    BOOST_REQUIRE(server.IOCtl(FIONREAD, &mine));
    BOOST_CHECK_EQUAL(mine, 6u);
    unsigned long theirs = 0;
    bool asked = false;
    std::thread worker([&] { asked = server.IOCtl(FIONREAD, &theirs); });
    worker.join();
    BOOST_CHECK(asked);
    BOOST_CHECK_EQUAL(theirs, 6u);
    BOOST_CHECK_EQUAL(ReadAll(server, 6), "unread");
}

// The bytes a socket was told of and did not read are still there for it
// when its loop is gone (SPEC section 2: it keeps its connection).
BOOST_DATA_TEST_CASE(UnreadBytesOutliveTheLoop, data::make(kAllBackends) * data::make(kEventSets),
                     backend, events) {
    auto server = std::make_unique<Probe>();
    RawSocket peer;
    {
        SocketLoop loop({backend});
        Probe listener;
        AcceptRawPeer(loop, listener, peer, *server, events);
        peer.SendAll("outlived");
        BOOST_REQUIRE(RunUntil(loop, [&] { return server->counts.receive == 1; }));
    }
    BOOST_REQUIRE(server->Loop() == nullptr);
    unsigned long waiting = 0;
    BOOST_REQUIRE(server->IOCtl(FIONREAD, &waiting));
    BOOST_CHECK_EQUAL(waiting, 8u);
    char first[3] = {};
    BOOST_REQUIRE_EQUAL(server->Receive(first, 3, MSG_PEEK), 3);
    BOOST_CHECK_EQUAL(std::string(first, 3), "out");
    BOOST_CHECK_EQUAL(ReadAll(*server, 8), "outlived");
    BOOST_CHECK_EQUAL(ReadAll(*server, 8), "");  // nothing twice
}

// A socket told of bytes it has not read selects FD_OOB, and urgent data
// follows: it hears of the urgent byte, the held bytes come before the mark,
// and the urgent byte is there to read at it.
BOOST_DATA_TEST_CASE(SelectingFdOobWithBytesHeldKeepsTheMark, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, server;
    RawSocket peer;
    AcceptRawPeer(loop, listener, peer, server, kAllButOob);
    peer.SendAll("ab");
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    BOOST_REQUIRE(server.AsyncSelect(FD_ALL));
    peer.SendAll("!", MSG_OOB);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.oob == 1; }));
    unsigned long atMark = 1;
    BOOST_REQUIRE(server.IOCtl(SIOCATMARK, &atMark));
    BOOST_CHECK_EQUAL(atMark, 0u);
    BOOST_CHECK_EQUAL(ReadAll(server, 2), "ab");
    BOOST_REQUIRE(server.IOCtl(SIOCATMARK, &atMark));
    BOOST_CHECK_EQUAL(atMark, 1u);
    char urgent = 0;
    BOOST_CHECK_EQUAL(server.Receive(&urgent, 1, MSG_OOB), 1);
    BOOST_CHECK_EQUAL(urgent, '!');
}

BOOST_AUTO_TEST_SUITE_END()
