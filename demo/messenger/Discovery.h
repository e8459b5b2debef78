// Discovery: --discover. Every few seconds a peer sends its Hello (id, name,
// listening port) as a UDP datagram to a multicast group, and listens on the
// group for the others'. Anyone on the LAN can send such a datagram, with any
// id and address in it: at most kPerSecond are read (a burst of as many), the
// rest dropped unread, and the Mesh dials only ids it already trusts (see
// Mesh::OnAnnouncement); a stranger is only offered to the user. If the group
// cannot be joined (no multicast route), it falls back to broadcast on the
// same port.
//
// Thread safety: the loop thread's only.
#pragma once

#include "Messages.h"
#include "RateLimit.h"

#include <xsock/AsyncSocket.h>
#include <xsock/SocketLoop.h>

#include <functional>
#include <string>

namespace messenger {

class Discovery : public xsock::AsyncSocket {
  public:
    static constexpr unsigned kDefaultPort = 47474;
    static constexpr const char* kDefaultGroup = "239.255.74.74";
    // Announcements handled a second (each peer sends one every 2 s).
    static constexpr double kPerSecond = 16;

    using Heard = std::function<void(const Hello& hello, const std::string& host)>;
    using Self = std::function<Hello()>;

    Discovery(xsock::SocketLoop& loop, Self self, Heard heard);
    ~Discovery() override;

    // interfaceAddress: the IPv4 address of the interface to use ("" lets the
    // kernel choose by its routes). False with the reason in `why`.
    bool Start(unsigned port, const std::string& group, const std::string& interfaceAddress,
               std::string& why);
    // "multicast 239.255.74.74:47474" or "broadcast port 47474".
    std::string Describe() const;

  protected:
    void OnReceive(int error) override;

  private:
    void Announce();

    xsock::SocketLoop& loop_;
    Self self_;
    Heard heard_;
    std::string group_;
    unsigned port_ = 0;
    bool broadcast_ = false;
    xsock::TimerId timer_ = 0;
    RateLimit heardLimit_{kPerSecond, kPerSecond};
};

}  // namespace messenger
