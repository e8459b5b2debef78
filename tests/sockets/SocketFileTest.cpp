// SocketFile (CSocketFile) and archives over sockets, end to end: MFC's style
// with a blocking Socket, two Archives and the IsBufferEmpty loop between two
// threads, and the non-blocking style where OnReceive feeds a MemFile and an
// archive transaction waits for whole messages.
#include <xsock/Archive.h>
#include <xsock/Object.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>

#include "BlockingSupport.h"
#include "TestSupport.h"

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

class ChatLine : public Object {
    XSOCK_DECLARE_SERIAL(ChatLine)
  public:
    ChatLine() = default;
    ChatLine(std::string f, std::string t, std::int32_t n)
        : from(std::move(f)), text(std::move(t)), number(n) {}
    void Serialize(Archive& ar) override { ar.Exchange(from, text, number); }

    std::string from;
    std::string text;
    std::int32_t number = 0;
};

}  // namespace

XSOCK_IMPLEMENT_SERIAL_NAMED(ChatLine, xsock::Object, 1, "CChatLine")

namespace {

ChatLine Line(int i) {
    return ChatLine(
        "peer", "line " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), '.'),
        i);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(SocketFileArchives)

// MFC's pattern (its CHATTER sample): each message is serialized straight
// into the archive, and the server reads every message that arrived in one go
// with `do { msg.Serialize(ar); } while (!ar.IsBufferEmpty());`, answering each.
BOOST_DATA_TEST_CASE(MfcStyleArchivesBetweenTwoThreads, data::make(kAllBackends), backend) {
    constexpr int kMessages = 300;
    SocketLoop loop({backend});
    std::promise<unsigned> port;
    std::atomic<int> served{0};
    std::atomic<bool> serverOk{true};
    std::thread server([&, backend] {
        SocketLoop serverLoop({backend});
        Socket listener, connection;
        port.set_value(TryListen(listener));
        if (!listener.Accept(connection)) {
            serverOk = false;
            return;
        }
        SocketFile file(&connection);
        Archive in(file, Archive::load);
        Archive out(file, Archive::store);
        try {
            while (served < kMessages) {
                do {
                    ChatLine line;
                    line.Serialize(in);
                    if (line.number != served.load() || line.text != Line(served.load()).text) {
                        serverOk = false;
                        return;
                    }
                    ChatLine reply("server", "ack", line.number);
                    reply.Serialize(out);
                    ++served;
                } while (!in.IsBufferEmpty());
                out.Flush();
            }
        } catch (const std::exception&) {
            serverOk = false;
        }
    });

    unsigned serverPort = port.get_future().get();
    BOOST_REQUIRE(serverPort != 0);
    Socket client;
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(client.Connect("127.0.0.1", serverPort));
    SocketFile file(&client);
    Archive out(file, Archive::store);
    Archive in(file, Archive::load);
    int acknowledged = 0;
    for (int i = 0; i < kMessages; ++i) {
        ChatLine line = Line(i);
        line.Serialize(out);
        if (i % 7 == 6 || i == kMessages - 1) {
            out.Flush();  // a burst of messages goes out together
            while (acknowledged <= i) {
                ChatLine reply;
                reply.Serialize(in);
                BOOST_REQUIRE_EQUAL(reply.number, acknowledged);
                BOOST_REQUIRE_EQUAL(reply.from, "server");
                ++acknowledged;
            }
        }
    }
    server.join();
    BOOST_CHECK(serverOk.load());
    BOOST_CHECK_EQUAL(served.load(), kMessages);
    BOOST_CHECK_EQUAL(acknowledged, kMessages);
}

BOOST_DATA_TEST_CASE(ArchiveCompatibleReadTakesOneReceive, data::make(kAllBackends), backend) {
    // The timer below sends while Read waits: it runs inside the call.
    SocketLoop loop({.backend = backend, .pumpWhileBlocking = true});
    Socket listener, client, server;
    BOOST_REQUIRE(TryPair(listener, client, server));
    BOOST_REQUIRE_EQUAL(client.Send("abc", 3), 3);

    SocketFile compatible(&server);
    char buffer[100];
    // One Receive: returns what is there instead of waiting for 100 bytes.
    std::size_t n = compatible.Read(buffer, sizeof buffer);
    BOOST_CHECK(n >= 1 && n <= 3);

    SocketFile everything(&server, false);
    BOOST_REQUIRE_EQUAL(client.Send("defgh", 5), 5);
    int tick = 0;
    TimerId timer = loop.SetTimer(
        std::chrono::milliseconds(1),
        [&] {
            if (++tick == 3) {
                client.Send("ijk", 3);  // arrives while Read waits for the rest
            }
        },
        true);
    std::size_t want = 8 - (3 - n);
    std::string got(buffer, n);
    std::size_t more = everything.Read(buffer, want);
    loop.KillTimer(timer);
    BOOST_CHECK_EQUAL(more, want);
    got.append(buffer, more);
    BOOST_CHECK_EQUAL(got, "abcdefghijk");
}

BOOST_DATA_TEST_CASE(PeerCloseEndsTheDataAndTheArchiveSaysEndOfFile, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Socket listener, client, server;
    BOOST_REQUIRE(TryPair(listener, client, server));
    {
        SocketFile file(&client);
        Archive out(file, Archive::store);
        std::int32_t value = 42;
        out << value;
        out.Close();
    }
    client.Close();
    SocketFile file(&server);
    Archive in(file, Archive::load);
    std::int32_t value = 0;
    in >> value;
    BOOST_CHECK_EQUAL(value, 42);
    try {
        in >> value;
        BOOST_FAIL("reading past the peer's close must throw");
    } catch (const ArchiveException& error) {
        BOOST_CHECK_EQUAL(error.m_cause, ArchiveException::endOfFile);
    }
}

BOOST_AUTO_TEST_CASE(SocketErrorsAndPositioningThrowFileException) {
    SocketLoop loop;
    Socket listener, client, server;
    BOOST_REQUIRE(TryPair(listener, client, server));
    SocketFile file(&server);
    BOOST_CHECK(!file.CanSeek());
    BOOST_CHECK_THROW(file.Seek(0, File::begin), FileException);
    BOOST_CHECK_THROW(file.GetLength(), FileException);

    server.SetTimeout(std::chrono::milliseconds(20));
    char byte;
    try {
        file.Read(&byte, 1);
        BOOST_FAIL("a timed-out Receive must throw");
    } catch (const FileException& error) {
        BOOST_CHECK_EQUAL(error.m_lOsError, ETIMEDOUT);
    }
    file.Close();
    BOOST_CHECK(file.GetSocket() == nullptr);
    BOOST_CHECK(server.Handle() != INVALID_SOCKET);  // Close lets go, it does not close
    BOOST_CHECK_THROW(file.Write("x", 1), FileException);
}

// The non-blocking style: OnReceive appends whatever arrived to a MemFile and
// loads as many whole messages as are there; a message cut anywhere waits,
// with no byte lost, for the rest.
class MessageReader : public AsyncSocket {
  public:
    std::vector<ChatLine> lines;
    int partialWaits = 0;

  protected:
    void OnReceive(int) override {
        char buffer[7];  // small on purpose: messages arrive cut at every point
        int n = Receive(buffer, sizeof buffer);
        if (n <= 0) {
            return;
        }
        inbox_.Append(buffer, static_cast<std::size_t>(n));
        for (;;) {
            std::unique_ptr<ChatLine> line;
            if (!in_.TryLoad([&] { in_ >> line; })) {
                ++partialWaits;
                return;
            }
            lines.push_back(*line);
        }
    }

  private:
    MemFile inbox_;
    Archive in_{inbox_, Archive::load};
};

BOOST_DATA_TEST_CASE(TransactionalReadsOverAsyncSocket, data::make(kAllBackends), backend) {
    constexpr int kMessages = 200;
    SocketLoop loop({backend});
    Probe listener;
    unsigned port = Listen(listener);
    MessageReader reader;
    BOOST_REQUIRE(reader.Create());
    reader.Connect("127.0.0.1", port);
    Probe sender;
    AcceptNext(loop, listener, sender);

    // The sender's messages: distinct objects written by one storing archive
    // as MFC would (one archive keeps one object map, so each message must be
    // an object of its own, not one reused address).
    MemFile wire;
    {
        std::vector<std::unique_ptr<ChatLine>> outgoing;
        Archive out(wire, Archive::store);
        for (int i = 0; i < kMessages; ++i) {
            outgoing.push_back(std::make_unique<ChatLine>(Line(i)));
            out << outgoing.back().get();
        }
        out.Close();
    }
    std::span<const std::byte> bytes = wire.Contents();
    std::size_t sent = 0;
    // Send in uneven pieces from a timer, so reads see every kind of cut.
    TimerId pump = loop.SetTimer(
        std::chrono::milliseconds(0),
        [&] {
            std::size_t piece = std::min<std::size_t>(bytes.size() - sent, 1 + sent % 13);
            if (piece > 0 && sender.Send(bytes.data() + sent, static_cast<int>(piece)) > 0) {
                sent += piece;
            }
        },
        true);
    BOOST_REQUIRE(RunUntil(loop, [&] { return reader.lines.size() == kMessages; }));
    loop.KillTimer(pump);
    BOOST_CHECK_EQUAL(sent, bytes.size());
    for (int i = 0; i < kMessages; ++i) {
        BOOST_REQUIRE_EQUAL(reader.lines[static_cast<std::size_t>(i)].number, i);
        BOOST_REQUIRE_EQUAL(reader.lines[static_cast<std::size_t>(i)].text, Line(i).text);
    }
    BOOST_CHECK(reader.partialWaits > 0);
}

BOOST_AUTO_TEST_SUITE_END()
