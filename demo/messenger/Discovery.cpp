// Discovery: announcements of this peer's Hello over UDP multicast or
// broadcast (see Discovery.h).
#include "Discovery.h"

#include <xsock/ArchiveException.h>
#include <xsock/File.h>

#include <chrono>
#include <cstddef>
#include <span>

namespace messenger {

namespace {

constexpr std::chrono::seconds kInterval{2};

}  // namespace

Discovery::Discovery(xsock::SocketLoop& loop, Self self, Heard heard)
    : loop_(loop), self_(std::move(self)), heard_(std::move(heard)) {}

Discovery::~Discovery() {
    if (timer_ != 0) {
        loop_.KillTimer(timer_);
    }
}

bool Discovery::Start(unsigned port, const std::string& group, const std::string& interfaceAddress,
                      std::string& why) {
    const char* interface = interfaceAddress.empty() ? nullptr : interfaceAddress.c_str();
    port_ = port;
    group_ = group;
    // Several peers on one host share the port; broadcasts reach only sockets
    // bound to the wildcard address.
    if (!Socket(SOCK_DGRAM, xsock::FD_READ) || !SetReuseAddress(true) || !Bind(port, "0.0.0.0")) {
        why = "cannot use port " + std::to_string(port) + ": " + GetLastErrorCode().message();
        return false;
    }
    if (JoinGroup(group.c_str(), interface) &&
        (interface == nullptr || SetMulticastInterface(interface)) && SetMulticastHops(1) &&
        SetMulticastLoopback(true)) {
        broadcast_ = false;
    } else if (SetBroadcast(true)) {
        broadcast_ = true;
    } else {
        why = "neither multicast nor broadcast works: " + GetLastErrorCode().message();
        return false;
    }
    Announce();
    timer_ = loop_.SetTimer(
        std::chrono::duration_cast<std::chrono::milliseconds>(kInterval), [this] { Announce(); },
        true);
    return true;
}

std::string Discovery::Describe() const {
    return broadcast_ ? "broadcast port " + std::to_string(port_)
                      : "multicast " + group_ + ":" + std::to_string(port_);
}

void Discovery::Announce() {
    Hello hello = self_();
    xsock::MemFile file;
    xsock::Archive out(file, xsock::Archive::store);
    WriteMessage(out, hello);
    out.Flush();
    auto bytes = file.Contents();
    // A lost announcement is sent again at the next tick: errors are ignored.
    if (broadcast_) {
        SendTo(bytes.data(), static_cast<int>(bytes.size()), port_);
    } else {
        SendTo(bytes.data(), static_cast<int>(bytes.size()), port_, group_.c_str());
    }
}

void Discovery::OnReceive(int) {
    std::byte buffer[1500];
    std::string host;
    unsigned port = 0;
    int n = ReceiveFrom(buffer, sizeof buffer, host, port);
    if (n <= 0 || !heardLimit_.Take()) {
        return;  // over the rate: read (so the socket drains) and dropped
    }
    xsock::MemFile file(std::span<const std::byte>(buffer, static_cast<std::size_t>(n)));
    xsock::Archive in(file, xsock::Archive::load);
    in.SetLimits(kWireLimits);
    try {
        std::unique_ptr<xsock::Object> message = ReadMessage(in);
        if (auto* hello = dynamic_cast<Hello*>(message.get())) {
            heard_(*hello, host);
        }
    } catch (const xsock::ArchiveException&) {
        // Someone else's datagram on our port: not ours to judge.
    }
}

}  // namespace messenger
