// A TLS echo server on xsock for peers no one here wrote to talk to: it
// accepts on a loopback port chosen by the kernel, starts TLS on every
// connection right after Accept, sends back what it reads, and records for
// each connection what the handshake established and how the connection
// ended (with GetLastErrorCode()'s message at OnClose).
#pragma once

#include "TlsSupport.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xsock::test {

class TlsEchoServer {
  public:
    struct Connection {
        Probe socket;
        std::string received;
        std::optional<TlsInfo> info;  // taken at the OnSend that ends the handshake
        int closeError = -1;
        std::string closeMessage;
    };

    explicit TlsEchoServer(TlsContext& context) : context_(context) {
        port_ = Listen(listener_);
        listener_.onAccept = [this](Probe& listener) { Take(listener); };
    }

    unsigned Port() const noexcept { return port_; }
    const std::vector<std::unique_ptr<Connection>>& Connections() const noexcept {
        return connections_;
    }

    // Whether `count` connections came and the last of them has ended.
    bool Ended(std::size_t count) const {
        return connections_.size() >= count && connections_[count - 1]->closeError >= 0;
    }

  private:
    void Take(Probe& listener) {
        auto connection = std::make_unique<Connection>();
        Connection& c = *connection;
        if (!listener.Accept(c.socket)) {
            return;
        }
        BOOST_REQUIRE(StartTls(c.socket, context_));
        c.socket.onSend = [&c](Probe& self) {
            if (!c.info) {
                c.info = GetTlsInfo(self);
            }
        };
        c.socket.onReceive = [&c](Probe& self) {
            std::size_t from = c.received.size();
            Drain(self, c.received);
            std::string echo = c.received.substr(from);
            if (!echo.empty()) {
                BOOST_REQUIRE_EQUAL(self.Send(echo.data(), static_cast<int>(echo.size())),
                                    static_cast<int>(echo.size()));
            }
        };
        c.socket.onClose = [&c](Probe& self) {
            c.closeMessage = AsyncSocket::GetLastErrorCode().message();
            c.closeError = self.closeError;
            self.Close();
        };
        connections_.push_back(std::move(connection));
    }

    TlsContext& context_;
    Probe listener_;
    unsigned port_ = 0;
    std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace xsock::test
