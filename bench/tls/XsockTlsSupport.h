// What the xsock runners of the TLS benchmark share: the contexts both ends
// use, a listener that starts TLS on every connection it accepts, a TLS
// connect, and a thread running one SocketLoop.
#pragma once

#include "TlsBench.h"

#include <xsock/SocketLoop.h>
#include <xsock/Tls.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace tlsbench::xsockside {

[[noreturn]] inline void Die(const char* what) {
    std::fprintf(stderr, "TlsBench: xsock: %s: %s\n", what,
                 xsock::AsyncSocket::GetLastErrorCode().message().c_str());
    std::exit(1);
}

inline std::string NegotiatedBy(const xsock::AsyncSocket& socket) {
    std::optional<xsock::TlsInfo> info = xsock::GetTlsInfo(socket);
    return info && info->established ? info->version + " " + info->cipher : "?";
}

inline xsock::TlsContext ServerContext(const BenchPki& pki) {
    return xsock::TlsContext::Server(pki.Certificate().c_str(), pki.Key().c_str());
}

inline xsock::TlsContext ClientContext(const BenchPki& pki) {
    xsock::TlsContext context = xsock::TlsContext::Client();
    if (!context.AddCertificateAuthority(pki.Ca().c_str())) {
        Die("AddCertificateAuthority");
    }
    context.SetSessionResumption(false);
    return context;
}

// Accepts on 127.0.0.1 into sockets that `make` creates and starts TLS on
// each; connections that say they are finished are freed at the next accept.
template <class T>
class TlsListener : public xsock::AsyncSocket {
  public:
    TlsListener(xsock::TlsContext& tls, std::function<std::unique_ptr<T>()> make)
        : tls_(tls), make_(std::move(make)) {}

    unsigned Start() {
        std::string address;
        unsigned port = 0;
        if (!Create(0, SOCK_STREAM, xsock::FD_ALL, "127.0.0.1") || !Listen() ||
            !GetSockName(address, port)) {
            Die("listen");
        }
        return port;
    }

    const std::vector<std::unique_ptr<T>>& Connections() const { return connections_; }

  protected:
    void OnAccept(int) override {
        if constexpr (requires(const T& t) { t.Finished(); }) {
            std::erase_if(connections_, [](const auto& c) { return c->Finished(); });
        }
        std::unique_ptr<T> connection = make_();
        if (!Accept(*connection)) {
            return;
        }
        connection->SetNoDelay(true);
        // A client gone before its connection was accepted (one the client
        // side reset when it stopped) fails here; the others go on.
        if (xsock::StartTls(*connection, tls_)) {
            connections_.push_back(std::move(connection));
        }
    }

  private:
    xsock::TlsContext& tls_;
    std::function<std::unique_ptr<T>()> make_;
    std::vector<std::unique_ptr<T>> connections_;
};

// Connects over TLS to 127.0.0.1:port, checking the certificate for localhost.
inline void TlsConnect(xsock::AsyncSocket& socket, xsock::TlsContext& tls, unsigned port) {
    if (!socket.Create()) {
        Die("socket");
    }
    socket.SetNoDelay(true);
    if (!xsock::StartTls(socket, tls, "localhost")) {
        Die("StartTls (client)");
    }
    if (!socket.Connect("127.0.0.1", port) && xsock::AsyncSocket::GetLastError() != EWOULDBLOCK) {
        Die("connect");
    }
}

// Runs `body` on a new thread inside its own loop until Quit; `body` sets up
// the sockets, which live until the loop ends, and may return a port.
struct LoopThread {
    template <class Body>
    explicit LoopThread(Body body) {
        thread = std::thread([this, body]() mutable {
            xsock::SocketLoop loop;
            body(loop, [&](unsigned port) { ready.set_value({&loop, port}); });
        });
        std::tie(loop, port) = ready.get_future().get();
    }
    void Stop() {
        loop->Quit();
        thread.join();
    }
    std::promise<std::pair<xsock::SocketLoop*, unsigned>> ready;
    std::thread thread;
    xsock::SocketLoop* loop = nullptr;
    unsigned port = 0;
};

}  // namespace tlsbench::xsockside
