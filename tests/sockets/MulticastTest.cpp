// Broadcast and multicast on datagram sockets (SPEC section 3): SendTo without
// a host, JoinGroup/LeaveGroup, hops, loopback and interface; on every loop
// backend.
//
// Broadcast and IPv4 multicast run on the plain loopback interface. IPv6
// multicast cannot: Linux turns every IPv6 route through lo into a reject
// route, so a datagram to an ff02::/ff12:: group on lo fails with ENETUNREACH
// even when lo has the MULTICAST flag. That test makes a private network
// namespace with a veth pair instead, and leaves the host's network alone.
#include "DatagramSupport.h"
#include "TestSupport.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

// The private network of the IPv6 multicast test: xsock0 carries the group,
// its veth peer xsock1 is only there so that xsock0 has a carrier.
const char* const kInterface = "xsock0";
const char* const kInterfaceAddress = "fd00:78::1";
const char* const kGroup6 = "ff12::78:1";

// Runs ip(8) with `args`; returns its exit status, 127 if it could not start.
int RunIp(std::vector<std::string> args) {
    std::vector<char*> argv;
    std::string name = "ip";
    argv.push_back(name.data());
    for (std::string& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    pid_t child = 0;
    if (::posix_spawnp(&child, "ip", nullptr, nullptr, argv.data(), environ) != 0) {
        return 127;
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// Runs `body` on a thread of its own that has entered a new network namespace
// and configured it with `setup` (ip(8) argument lists). The thread's sockets
// live in that namespace, which goes away with the last of them. Returns why
// the namespace could not be made, or "" once `body` has run; a failure in
// `body` is rethrown here.
std::string InPrivateNetwork(const std::vector<std::vector<std::string>>& setup,
                             const std::function<void()>& body) {
    std::string refused;
    std::exception_ptr failure;
    std::thread thread([&] {
        if (::unshare(CLONE_NEWNET) != 0) {
            refused = std::string("the kernel refuses a network namespace: ") +
                      std::strerror(errno) + " (needs CAP_SYS_ADMIN)";
            return;
        }
        for (const std::vector<std::string>& command : setup) {
            if (int status = RunIp(command); status != 0) {
                std::string line = "ip";
                for (const std::string& arg : command) {
                    line += " " + arg;
                }
                refused = "'" + line + "' exited with " + std::to_string(status);
                return;
            }
        }
        try {
            body();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    thread.join();
    if (failure) {
        std::rethrow_exception(failure);
    }
    return refused;
}

std::string Ipv4Group() {
    // A group of this process's own: Linux hands a group's datagrams to every
    // socket bound to the port while any socket on the host is still a member
    // (IP_MULTICAST_ALL), so another run of this test joined to the same group
    // would keep it alive after LeaveGroup.
    auto pid = static_cast<unsigned>(::getpid());
    return "239.255." + std::to_string((pid >> 8) & 0xff) + "." + std::to_string(pid & 0xff);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Multicast)

BOOST_DATA_TEST_CASE(BroadcastWithoutHostReachesAWildcardSocket, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe receiver, sender;
    unsigned port = BindDatagram(receiver, nullptr);
    // Bound to 127.0.0.1, the sender's 255.255.255.255 leaves through the
    // interface that owns its address, lo, which loops it back; an unbound
    // sender would follow the default route onto the real network.
    unsigned senderPort = BindDatagram(sender, "127.0.0.1");

    BOOST_CHECK_EQUAL(Send(sender, "not allowed", port, nullptr), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EACCES);  // no SO_BROADCAST yet

    BOOST_REQUIRE(sender.SetBroadcast(true));
    BOOST_REQUIRE_EQUAL(Send(sender, "to everyone", port, nullptr), 11);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 1; }));
    SocketAddress from;
    BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "to everyone");
    BOOST_CHECK_EQUAL(from.Host(), "127.0.0.1");
    BOOST_CHECK_EQUAL(from.Port(), senderPort);
}

BOOST_AUTO_TEST_CASE(SendToWithoutHostOnIpv6FailsWithDestAddrReq) {
    SocketLoop loop;
    Probe socket;
    BindDatagram(socket, "::1");
    BOOST_REQUIRE(socket.SetBroadcast(true));
    BOOST_CHECK_EQUAL(socket.SendTo("x", 1, 9), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EDESTADDRREQ);
    BOOST_CHECK_EQUAL(socket.SendTo("x", 1, 9, ""), SOCKET_ERROR);
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EDESTADDRREQ);
}

BOOST_DATA_TEST_CASE(MulticastOverIpv4LoopbackUntilLeaveGroup, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    const std::string group = Ipv4Group();
    Probe receiver, sender;
    unsigned port = BindDatagram(receiver, nullptr);
    BOOST_REQUIRE_MESSAGE(receiver.JoinGroup(group.c_str(), "127.0.0.1"),
                          "JoinGroup: " << AsyncSocket::GetLastErrorCode().message());
    unsigned senderPort = BindDatagram(sender, "127.0.0.1");
    BOOST_REQUIRE(sender.SetMulticastInterface("127.0.0.1"));
    BOOST_REQUIRE(sender.SetMulticastLoopback(true));
    BOOST_REQUIRE(sender.SetMulticastHops(1));

    BOOST_REQUIRE_EQUAL(Send(sender, "to the group", port, group.c_str()), 12);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 1; }));
    SocketAddress from;
    BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "to the group");
    BOOST_CHECK(from == SocketAddress::Loopback(AF_INET, senderPort));

    // After LeaveGroup only the unicast control datagram sent behind the
    // group's arrives.
    BOOST_REQUIRE(receiver.LeaveGroup(group.c_str(), "127.0.0.1"));
    BOOST_REQUIRE_EQUAL(Send(sender, "after leaving", port, group.c_str()), 13);
    BOOST_REQUIRE_EQUAL(Send(sender, "control", port, "127.0.0.1"), 7);
    BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 2; }));
    BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "control");
    BOOST_CHECK(NothingWaiting(receiver));

    BOOST_CHECK(!receiver.LeaveGroup(group.c_str(), "127.0.0.1"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EADDRNOTAVAIL);
}

BOOST_DATA_TEST_CASE(MulticastOverIpv6UntilLeaveGroup, data::make(kAllBackends), backend) {
    const std::vector<std::vector<std::string>> setup = {
        {"link", "set", "lo", "up"},
        {"link", "add", kInterface, "type", "veth", "peer", "name", "xsock1"},
        {"link", "set", kInterface, "up"},
        {"link", "set", "xsock1", "up"},
        // Set by hand rather than left to autoconfiguration, which runs late.
        {"-6", "address", "add", std::string(kInterfaceAddress) + "/64", "dev", kInterface,
         "nodad"},
        {"-6", "route", "replace", "multicast", "ff00::/8", "dev", kInterface, "table", "local"},
    };
    std::string refused = InPrivateNetwork(setup, [backend] {
        SocketLoop loop({backend});
        Probe receiver, sender;
        unsigned port = BindDatagram(receiver, "::");
        BOOST_REQUIRE_MESSAGE(receiver.JoinGroup(kGroup6, kInterface),
                              "JoinGroup: " << AsyncSocket::GetLastErrorCode().message());
        unsigned senderPort = BindDatagram(sender, kInterfaceAddress);
        BOOST_REQUIRE(sender.SetMulticastInterface(kInterface));
        BOOST_REQUIRE(sender.SetMulticastLoopback(true));
        BOOST_REQUIRE(sender.SetMulticastHops(1));

        BOOST_REQUIRE_EQUAL(Send(sender, "to the group", port, kGroup6), 12);
        BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 1; }));
        SocketAddress from;
        BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "to the group");
        BOOST_CHECK_EQUAL(from.Host(), kInterfaceAddress);
        BOOST_CHECK_EQUAL(from.Port(), senderPort);

        // Without loopback the datagram only leaves through xsock0, and the
        // veth peer that receives it is not a member.
        BOOST_REQUIRE(sender.SetMulticastLoopback(false));
        BOOST_REQUIRE_EQUAL(Send(sender, "not looped back", port, kGroup6), 15);
        BOOST_REQUIRE_EQUAL(Send(sender, "control 1", port, "::1"), 9);
        BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 2; }));
        BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "control 1");

        BOOST_REQUIRE(sender.SetMulticastLoopback(true));
        BOOST_REQUIRE(receiver.LeaveGroup(kGroup6, kInterface));
        BOOST_REQUIRE_EQUAL(Send(sender, "after leaving", port, kGroup6), 13);
        BOOST_REQUIRE_EQUAL(Send(sender, "control 2", port, "::1"), 9);
        BOOST_REQUIRE(RunUntil(loop, [&] { return receiver.counts.receive == 3; }));
        BOOST_CHECK_EQUAL(TakeDatagram(receiver, from), "control 2");
        BOOST_CHECK(NothingWaiting(receiver));
    });
    if (!refused.empty()) {
        // Skipped, but only where plain lo really cannot carry the group: if
        // it can, this fails and the test should run on lo instead.
        BOOST_TEST_MESSAGE("IPv6 multicast not tested: " << refused);
        SocketLoop loop({backend});
        Probe sender;
        unsigned port = BindDatagram(sender, "::1");
        BOOST_REQUIRE(sender.SetMulticastInterface("lo"));
        BOOST_CHECK_EQUAL(Send(sender, "on lo", port, kGroup6), SOCKET_ERROR);
        BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENETUNREACH);
    }
}

BOOST_AUTO_TEST_CASE(BadMulticastArgumentsAndClosedSocketsFailClearly) {
    SocketLoop loop;
    Probe udp;
    BindDatagram(udp, nullptr);
    BOOST_CHECK(!udp.JoinGroup("not an address"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);
    BOOST_CHECK(!udp.JoinGroup("127.0.0.1"));  // not a group
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);
    BOOST_CHECK(!udp.SetMulticastInterface("not an address"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), EINVAL);

    Probe udp6;
    BindDatagram(udp6, "::");
    BOOST_CHECK(!udp6.SetMulticastInterface("no-such-interface"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENODEV);
    BOOST_CHECK(!udp6.JoinGroup(kGroup6, "no-such-interface"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENODEV);

    Probe closed;
    BOOST_CHECK(!closed.SetBroadcast(true));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
    BOOST_CHECK(!closed.JoinGroup("239.255.0.1"));
    BOOST_CHECK_EQUAL(AsyncSocket::GetLastError(), ENOTSOCK);
}

BOOST_AUTO_TEST_SUITE_END()
