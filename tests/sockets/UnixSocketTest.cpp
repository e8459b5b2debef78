// Unix-domain sockets (SPEC section 3): stream and datagram echo over a path
// and over Linux's abstract namespace, the names they report, and what Bind
// does when the path is taken (a stale socket file, a live socket, a regular
// file); on every loop backend.
#include "TestSupport.h"

#include <xsock/Descriptor.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// A fresh directory for socket files, removed with everything in it.
class TempDir {
  public:
    TempDir() {
        char pattern[] = "/tmp/xsock-unix-XXXXXX";
        BOOST_REQUIRE(::mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string Path(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// "unix:@xsock-<pid>-<n>": a name no other test or run uses.
std::string AbstractAddress() {
    static std::atomic<int> counter{0};
    return "unix:@xsock-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

bool IsSocketFile(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

// Leaves a socket file behind, as a program that exited without unlinking does.
void LeaveStaleSocketFile(const std::string& path, int type) {
    Descriptor fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
    BOOST_REQUIRE(fd.IsOpen());
    std::error_code error;
    SocketAddress address = SocketAddress::Unix(path, error);
    BOOST_REQUIRE(!error);
    BOOST_REQUIRE(::bind(fd.Get(), address.Native(), address.NativeLength()) == 0);
    fd.Reset();
    BOOST_REQUIRE(IsSocketFile(path));
}

std::string Text(const char* buffer, int length) {
    BOOST_REQUIRE_MESSAGE(length >= 0,
                          "I/O failed: " << std::strerror(AsyncSocket::GetLastError()));
    return std::string(buffer, static_cast<std::size_t>(length));
}

// Connects an unnamed stream client to `listener` at `address`, with the
// notifications a TCP connection gets: OnAccept, then OnConnect(0) and OnSend.
void ConnectUnix(SocketLoop& loop, Probe& listener, Probe& client, Probe& server,
                 const std::string& address) {
    BOOST_REQUIRE_MESSAGE(listener.Create(0, SOCK_STREAM, FD_ALL, address.c_str()),
                          "Create: " << AsyncSocket::GetLastErrorCode().message());
    BOOST_REQUIRE(listener.Listen());
    BOOST_REQUIRE(client.Socket(SOCK_STREAM, FD_ALL, 0, AF_UNIX));
    BOOST_CHECK(!client.Connect(address.c_str(), 0));
    BOOST_REQUIRE_EQUAL(AsyncSocket::GetLastError(), EWOULDBLOCK);
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept == 1; }));
    BOOST_REQUIRE(listener.Accept(server));
    BOOST_REQUIRE(
        RunUntil(loop, [&] { return client.counts.send == 1 && server.counts.send == 1; }));
    BOOST_CHECK_EQUAL(client.counts.connect, 1);
    BOOST_CHECK_EQUAL(client.connectError, 0);
    BOOST_CHECK_EQUAL(client.order.front(), "connect");
}

// Echo over a stream at `address`, the names each end reports, then an
// orderly close in each direction.
void StreamEcho(SocketLoop& loop, const std::string& address) {
    Probe listener, client, server;
    ConnectUnix(loop, listener, client, server, address);

    SocketAddress name;
    BOOST_REQUIRE(listener.GetSockName(name));
    BOOST_CHECK_EQUAL(name.Family(), AF_UNIX);
    BOOST_CHECK_EQUAL(name.ToString(), address);
    std::string host;
    unsigned port = 1;
    BOOST_REQUIRE(client.GetPeerName(host, port));
    BOOST_CHECK_EQUAL("unix:" + host, address);
    BOOST_CHECK_EQUAL(port, 0u);
    BOOST_REQUIRE(server.GetSockName(name));
    BOOST_CHECK_EQUAL(name.ToString(), address);
    BOOST_REQUIRE(server.GetPeerName(name));  // the client never bound: unnamed
    BOOST_CHECK_EQUAL(name.Family(), AF_UNIX);
    BOOST_CHECK_EQUAL(name.Host(), "");
    BOOST_CHECK_EQUAL(name.ToString(), "unix:");

    server.onReceive = [](Probe& self) {
        char buffer[4096];
        int n = self.Receive(buffer, sizeof buffer);
        if (n > 0) {
            BOOST_REQUIRE_EQUAL(self.Send(buffer, n), n);
        }
    };
    std::string sent;
    for (int i = 0; i < 200; ++i) {
        sent += "line " + std::to_string(i) + " over " + address + "\n";
    }
    std::string echoed;
    client.onReceive = [&](Probe& self) { Drain(self, echoed); };
    for (std::size_t offset = 0; offset < sent.size(); offset += 1000) {
        std::string piece = sent.substr(offset, 1000);
        BOOST_REQUIRE_EQUAL(client.Send(piece.data(), static_cast<int>(piece.size())),
                            static_cast<int>(piece.size()));
    }
    BOOST_REQUIRE(RunUntil(loop, [&] { return echoed.size() >= sent.size(); }));
    BOOST_CHECK(echoed == sent);

    // Half-close: OnClose(0) on the server, which can still answer.
    BOOST_REQUIRE(client.ShutDown(AsyncSocket::sends));
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    BOOST_CHECK_EQUAL(server.closeError, 0);
    BOOST_REQUIRE_EQUAL(server.Send("bye", 3), 3);
    server.Close();
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.close == 1; }));
    BOOST_CHECK_EQUAL(client.closeError, 0);
    BOOST_CHECK_EQUAL(echoed.substr(sent.size()), "bye");
    Spin(loop);
    BOOST_CHECK_EQUAL(server.counts.close, 1);  // none after its own Close
}

// A datagram server that echoes to whoever sent, replying in MFC's
// host-and-port form with exactly what ReceiveFrom reported.
void DatagramEcho(SocketLoop& loop, const std::string& serverAddress,
                  const std::string& clientAddress) {
    Probe server, client;
    BOOST_REQUIRE_MESSAGE(server.Create(0, SOCK_DGRAM, FD_ALL, serverAddress.c_str()),
                          "Create: " << AsyncSocket::GetLastErrorCode().message());
    BOOST_REQUIRE(client.Create(0, SOCK_DGRAM, FD_ALL, clientAddress.c_str()));
    std::string sender;
    unsigned senderPort = 1;
    server.onReceive = [&](Probe& self) {
        char buffer[256];
        int n = self.ReceiveFrom(buffer, sizeof buffer, sender, senderPort);
        if (n >= 0) {
            BOOST_REQUIRE_EQUAL(self.SendTo(buffer, n, senderPort, sender.c_str()), n);
        }
    };

    const std::string request = "ping from " + clientAddress;
    BOOST_REQUIRE_EQUAL(
        client.SendTo(request.data(), static_cast<int>(request.size()), 0, serverAddress.c_str()),
        static_cast<int>(request.size()));
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 1; }));
    BOOST_CHECK_EQUAL("unix:" + sender, clientAddress);
    BOOST_CHECK_EQUAL(senderPort, 0u);
    char buffer[256];
    SocketAddress from;
    BOOST_CHECK_EQUAL(Text(buffer, client.ReceiveFrom(buffer, sizeof buffer, from)), request);
    BOOST_CHECK_EQUAL(from.ToString(), serverAddress);

    // A datagram longer than the buffer is reported, not cut silently.
    const std::string longer(200, 'u');
    BOOST_REQUIRE_EQUAL(
        client.SendTo(longer.data(), static_cast<int>(longer.size()), 0, serverAddress.c_str()),
        200);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 2; }));
    BOOST_CHECK_EQUAL(client.Receive(buffer, 100), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EMSGSIZE);
    BOOST_CHECK_EQUAL(std::string(buffer, 100), longer.substr(0, 100));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(UnixSocket)

BOOST_DATA_TEST_CASE(StreamEchoOverAPath, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TempDir dir;
    StreamEcho(loop, "unix:" + dir.Path("echo.sock"));
}

BOOST_DATA_TEST_CASE(StreamEchoOverAnAbstractName, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    StreamEcho(loop, AbstractAddress());
}

BOOST_DATA_TEST_CASE(DatagramEchoReportsTheSendersPath, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TempDir dir;
    DatagramEcho(loop, "unix:" + dir.Path("server.sock"), "unix:" + dir.Path("client.sock"));
}

BOOST_DATA_TEST_CASE(DatagramEchoOverAbstractNames, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    DatagramEcho(loop, AbstractAddress(), AbstractAddress());
}

BOOST_DATA_TEST_CASE(UnnamedDatagramSenderIsReportedAsSuch, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    const std::string address = AbstractAddress();
    Probe server, client;
    BOOST_REQUIRE(server.Create(0, SOCK_DGRAM, FD_ALL, address.c_str()));
    BOOST_REQUIRE(client.Socket(SOCK_DGRAM, FD_ALL, 0, AF_UNIX));
    BOOST_REQUIRE(client.Connect(address.c_str(), 0));  // the default destination, at once
    BOOST_REQUIRE_EQUAL(client.Send("anonymous", 9), 9);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));
    char buffer[16];
    SocketAddress from;
    BOOST_CHECK_EQUAL(Text(buffer, server.ReceiveFrom(buffer, sizeof buffer, from)), "anonymous");
    BOOST_CHECK_EQUAL(from.Family(), AF_UNIX);
    BOOST_CHECK(!from.IsUnixPath());
    BOOST_CHECK_EQUAL(from.ToString(), "unix:");
}

BOOST_DATA_TEST_CASE(StaleSocketFileIsReplaced, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TempDir dir;
    const std::string streamPath = dir.Path("stale-stream.sock");
    LeaveStaleSocketFile(streamPath, SOCK_STREAM);
    Probe listener, client, server;
    ConnectUnix(loop, listener, client, server, "unix:" + streamPath);
    BOOST_REQUIRE_EQUAL(client.Send("fresh", 5), 5);
    BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.receive == 1; }));

    const std::string datagramPath = dir.Path("stale-datagram.sock");
    LeaveStaleSocketFile(datagramPath, SOCK_DGRAM);
    Probe receiver, sender;
    BOOST_REQUIRE(receiver.Create(0, SOCK_DGRAM, FD_ALL, ("unix:" + datagramPath).c_str()));
    BOOST_REQUIRE(sender.Socket(SOCK_DGRAM, FD_ALL, 0, AF_UNIX));
    BOOST_REQUIRE_EQUAL(sender.SendTo("fresh", 5, 0, ("unix:" + datagramPath).c_str()), 5);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 1; }));
}

BOOST_DATA_TEST_CASE(LivePathGivesAddrInUseAndTheOwnerKeepsWorking, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    TempDir dir;
    const std::string address = "unix:" + dir.Path("live.sock");
    Probe listener;
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, FD_ALL, address.c_str()));
    BOOST_REQUIRE(listener.Listen());

    Probe intruder, datagramIntruder;
    BOOST_CHECK(!intruder.Create(0, SOCK_STREAM, FD_ALL, address.c_str()));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRINUSE);
    BOOST_CHECK_EQUAL(intruder.Handle(), INVALID_SOCKET);
    BOOST_CHECK(!datagramIntruder.Create(0, SOCK_DGRAM, FD_ALL, address.c_str()));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRINUSE);
    // Finding out that the listener is alive did not hand it a connection.
    Spin(loop);
    BOOST_CHECK_EQUAL(listener.counts.accept, 0);

    Probe client, server;
    BOOST_REQUIRE(client.Socket(SOCK_STREAM, FD_ALL, 0, AF_UNIX));
    client.Connect(address.c_str(), 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return listener.counts.accept == 1; }));
    BOOST_REQUIRE(listener.Accept(server));
    BOOST_REQUIRE_EQUAL(server.Send("still here", 10), 10);
    BOOST_REQUIRE(RunUntil(loop, [&] { return client.counts.receive == 1; }));
    std::string got;
    Drain(client, got);
    BOOST_CHECK_EQUAL(got, "still here");

    // The same holds for a path a datagram socket owns.
    const std::string datagramAddress = "unix:" + dir.Path("live-datagram.sock");
    Probe owner, second;
    BOOST_REQUIRE(owner.Create(0, SOCK_DGRAM, FD_ALL, datagramAddress.c_str()));
    BOOST_CHECK(!second.Create(0, SOCK_DGRAM, FD_ALL, datagramAddress.c_str()));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRINUSE);
    BOOST_CHECK(IsSocketFile(dir.Path("live-datagram.sock")));
    Spin(loop);
    BOOST_CHECK_EQUAL(owner.counts.receive, 0);
}

BOOST_DATA_TEST_CASE(RegularFileAtThePathIsNeverRemoved, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    TempDir dir;
    const std::string path = dir.Path("precious.txt");
    std::ofstream(path) << "keep me";
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
        Probe socket;
        BOOST_CHECK(!socket.Create(0, type, FD_ALL, ("unix:" + path).c_str()));
        BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRINUSE);
    }
    std::ifstream in(path);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BOOST_CHECK_EQUAL(content, "keep me");
}

BOOST_DATA_TEST_CASE(ConnectToAFullBacklogFailsInsteadOfWaitingForever, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    const std::string address = AbstractAddress();
    Probe listener;
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, FD_READ | FD_CLOSE, address.c_str()));
    BOOST_REQUIRE(listener.Listen(0));
    // Linux keeps one connection more than the backlog; fill the queue.
    Probe first;
    BOOST_REQUIRE(first.Socket(SOCK_STREAM, FD_ALL, 0, AF_UNIX));
    first.Connect(address.c_str(), 0);
    BOOST_REQUIRE(RunUntil(loop, [&] { return first.counts.connect == 1; }));
    BOOST_REQUIRE_EQUAL(first.connectError, 0);

    // A Unix-domain connect does not wait in the background: a full queue is
    // a refusal now, not an EWOULDBLOCK whose OnConnect never comes.
    Probe second;
    BOOST_REQUIRE(second.Socket(SOCK_STREAM, FD_ALL, 0, AF_UNIX));
    BOOST_CHECK(!second.Connect(address.c_str(), 0));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ECONNREFUSED);
    Spin(loop);
    BOOST_CHECK_EQUAL(second.counts.connect, 0);
}

BOOST_AUTO_TEST_SUITE_END()
