// The blocking Socket over TLS (SPEC section 9): Connect returns once the
// handshake is done, a server's first Receive finishes its handshake,
// SocketFile and Archive carry MFC's wire format inside TLS, and deadlines
// and cancellation bound a handshake that does not finish.
#include <xsock/Archive.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>

#include "BlockingSupport.h"
#include "TlsSupport.h"

#include <sys/ioctl.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(TlsBlocking)

// MFC's CHATTER pattern, encrypted: a blocking server thread reads each
// burst of archived messages and answers each.
BOOST_DATA_TEST_CASE(ArchivesOverTlsBetweenTwoThreads, data::make(kAllBackends), backend) {
    constexpr int kMessages = 200;
    SocketLoop loop({backend});
    TlsContext serverContext = TestServerContext();
    TlsContext clientContext = TestClientContext();
    std::promise<unsigned> port;
    std::atomic<int> served{0};
    std::atomic<bool> serverOk{true};
    std::thread server([&, backend] {
        SocketLoop serverLoop({backend});
        Socket listener, connection;
        port.set_value(TryListen(listener));
        if (!listener.Accept(connection) || !StartTls(connection, serverContext)) {
            serverOk = false;
            return;
        }
        SocketFile file(&connection);
        Archive in(file, Archive::load);
        Archive out(file, Archive::store);
        try {
            while (served < kMessages) {
                do {
                    std::string text;
                    std::int32_t number = 0;
                    in >> text >> number;
                    if (number != served.load() || text != "line " + std::to_string(number)) {
                        serverOk = false;
                        return;
                    }
                    out << std::string("ack") << number;
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
    BOOST_REQUIRE(StartTls(client, clientContext, "localhost"));
    BOOST_REQUIRE_MESSAGE(client.Connect("127.0.0.1", serverPort),
                          AsyncSocket::GetLastErrorCode().message());
    // Connect returned: the handshake is done.
    BOOST_REQUIRE(GetTlsInfo(client)->established);
    SocketFile file(&client);
    Archive out(file, Archive::store);
    Archive in(file, Archive::load);
    int acknowledged = 0;
    for (std::int32_t i = 0; i < kMessages; ++i) {
        out << "line " + std::to_string(i) << i;
        if (i % 5 == 4 || i == kMessages - 1) {
            out.Flush();
            while (acknowledged <= i) {
                std::string ack;
                std::int32_t number = -1;
                in >> ack >> number;
                BOOST_REQUIRE_EQUAL(ack, "ack");
                BOOST_REQUIRE_EQUAL(number, acknowledged);
                ++acknowledged;
            }
        }
    }
    server.join();
    BOOST_CHECK(serverOk.load());
    BOOST_CHECK_EQUAL(acknowledged, kMessages);
}

// A server that accepts and never speaks: the client's Connect waits in the
// handshake, bounded by the socket's deadline or the handshake's timeout.
BOOST_DATA_TEST_CASE(AHandshakeThatNeverEndsIsBounded, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener;
    unsigned port = TryListen(listener);  // the backlog completes the TCP connect
    BOOST_REQUIRE(port != 0);

    TlsContext patient = TestClientContext();
    Socket byDeadline;
    byDeadline.SetTimeout(300ms);
    BOOST_REQUIRE(byDeadline.Create());
    BOOST_REQUIRE(StartTls(byDeadline, patient, "localhost"));
    BOOST_CHECK(!byDeadline.Connect("127.0.0.1", port));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ETIMEDOUT);

    TlsContext hasty = TestClientContext();
    hasty.SetHandshakeTimeout(300ms);
    Socket byHandshake;
    BOOST_REQUIRE(byHandshake.Create());
    BOOST_REQUIRE(StartTls(byHandshake, hasty, "localhost"));
    BOOST_CHECK(!byHandshake.Connect("127.0.0.1", port));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EPROTO);
    BOOST_CHECK_MESSAGE(AsyncSocket::GetLastErrorCode().message().find("did not finish in time") !=
                            std::string::npos,
                        AsyncSocket::GetLastErrorCode().message());
}

BOOST_DATA_TEST_CASE(AHandshakeWaitCanBeCancelled, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Socket listener;
    unsigned port = TryListen(listener);
    BOOST_REQUIRE(port != 0);
    TlsContext context = TestClientContext();
    Socket client;
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(StartTls(client, context, "localhost"));
    std::thread canceller([&] {
        while (!client.IsBlocking()) {
            std::this_thread::yield();
        }
        client.CancelBlockingCall();
    });
    BOOST_CHECK(!client.Connect("127.0.0.1", port));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINTR);
    canceller.join();
}

// The server's side of a blocking handshake: Accept, StartTls, and the first
// Receive finishes the handshake before it reads.
BOOST_DATA_TEST_CASE(ABlockingServerFinishesItsHandshakeInReceive, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TlsContext serverContext = TestServerContext();
    TlsContext clientContext = TestClientContext();
    std::promise<unsigned> port;
    std::promise<std::string> received;
    std::thread server([&, backend] {
        SocketLoop serverLoop({backend});
        Socket listener, connection;
        port.set_value(TryListen(listener));
        char buffer[64];
        int n = -1;
        if (listener.Accept(connection) && StartTls(connection, serverContext)) {
            n = connection.Receive(buffer, sizeof buffer);
        }
        received.set_value(n > 0 ? std::string(buffer, static_cast<std::size_t>(n))
                                 : AsyncSocket::GetLastErrorCode().message());
        if (n > 0) {
            connection.Send(buffer, n);
        }
    });
    unsigned serverPort = port.get_future().get();
    Socket client;
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(StartTls(client, clientContext, "localhost"));
    BOOST_REQUIRE(client.Connect("127.0.0.1", serverPort));
    BOOST_REQUIRE_EQUAL(client.Send("over tls", 8), 8);
    char echo[64];
    int n = client.Receive(echo, sizeof echo);
    server.join();
    BOOST_CHECK_EQUAL(received.get_future().get(), "over tls");
    BOOST_REQUIRE_EQUAL(n, 8);
    BOOST_CHECK_EQUAL(std::string(echo, 8), "over tls");
}

// Two clients on one thread, and a server that greets both and later closes
// both while the first waits in Receive: the second's greeting is held back
// during that wait (SPEC section 4), and the first still sees its close.
BOOST_DATA_TEST_CASE(AWaitingReceiveSeesItsCloseWhileAnotherSocketIsHeldBack,
                     data::make(kAllBackends), backend) {
    struct Waiting : Socket {
        std::atomic<bool> waiting{false};
        int OnMessagePending() override {
            waiting = true;
            return Socket::OnMessagePending();
        }
    };
    SocketLoop loop({backend});
    TlsContext serverContext = TestServerContext();
    TlsContext clientContext = TestClientContext();
    Waiting first;
    std::promise<unsigned> port;
    std::atomic<bool> serverOk{true};
    std::thread server([&, backend] {
        SocketLoop serverLoop({backend});
        Socket listener, connections[2];
        port.set_value(TryListen(listener));
        for (Socket& connection : connections) {
            if (!listener.Accept(connection) || !StartTls(connection, serverContext) ||
                connection.Send("hello", 5) != 5) {
                serverOk = false;
                return;
            }
        }
        while (!first.waiting) {
            std::this_thread::yield();
        }
        for (Socket& connection : connections) {
            connection.Close();
        }
    });
    unsigned serverPort = port.get_future().get();
    Socket second;
    for (Socket* client : {static_cast<Socket*>(&first), &second}) {
        client->SetTimeout(20s);
        BOOST_REQUIRE(client->Create());
        BOOST_REQUIRE(StartTls(*client, clientContext, "localhost"));
        BOOST_REQUIRE(client->Connect("127.0.0.1", serverPort));
    }
    char buffer[64];
    int n;
    std::string greeting;
    while ((n = first.Receive(buffer, sizeof buffer)) > 0) {
        greeting.append(buffer, static_cast<std::size_t>(n));
    }
    BOOST_CHECK_MESSAGE(n == 0, AsyncSocket::GetLastErrorCode().message());
    BOOST_CHECK_EQUAL(greeting, "hello");
    server.join();
    BOOST_CHECK(serverOk);
}

// SetReadBufferSize: OpenSSL takes a waiting stream from the descriptor in
// large reads rather than one record (about 16 KiB) at a time.
BOOST_DATA_TEST_CASE(ALargerReadBufferTakesMoreThanARecordPerRead, data::make(kAllBackends),
                     backend) {
    constexpr int kBytes = 60 << 10;  // four records, within the first receive window
    for (bool larger : {false, true}) {
        SocketLoop loop({backend});
        TlsContext serverContext = TestServerContext();
        TlsContext clientContext = TestClientContext();
        if (larger) {
            clientContext.SetReadBufferSize(std::size_t{128} << 10);
        }
        std::promise<unsigned> port;
        std::promise<void> looked;
        std::thread server([&, backend] {
            SocketLoop serverLoop({backend});
            Socket listener, connection;
            port.set_value(TryListen(listener));
            if (listener.Accept(connection) && StartTls(connection, serverContext)) {
                std::string bytes(kBytes, 'b');
                connection.Send(bytes.data(), kBytes);
            }
            looked.get_future().wait();  // open until the client has looked
        });
        unsigned serverPort = port.get_future().get();
        Socket client;
        int before = -1;
        int taken = -1;
        char byte = 0;
        if (serverPort != 0 && client.Create() && StartTls(client, clientContext, "localhost") &&
            client.Connect("127.0.0.1", serverPort)) {
            auto waiting = [&] {
                int n = 0;
                return ::ioctl(static_cast<int>(client.Handle()), FIONREAD, &n) == 0 ? n : -1;
            };
            // All of it on the descriptor before the first read.
            auto deadline = std::chrono::steady_clock::now() + 10s;
            while (waiting() < kBytes && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::yield();
            }
            before = waiting();
            if (client.Receive(&byte, 1) == 1) {
                taken = before - waiting();
            }
        }
        looked.set_value();
        server.join();
        BOOST_TEST_MESSAGE("read buffer " << (larger ? "128 KiB" : "default") << ": took " << taken
                                          << " of " << before << " bytes");
        BOOST_CHECK_GE(before, kBytes);
        BOOST_CHECK_EQUAL(byte, 'b');
        if (larger) {
            BOOST_CHECK_GT(taken, 40 << 10);
        } else {
            BOOST_CHECK(taken > 0 && taken < (20 << 10));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
