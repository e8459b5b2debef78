#include "EchoServer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace echo {

using xsock::SOCKET_ERROR;

void EchoConnection::OnReceive(int) {
    ReadSome();
}

void EchoConnection::ReadSome() {
    if (queue_.AboveHighWater()) {
        // The client is not reading its echoes. Not calling Receive leaves
        // OnReceive disarmed, so the kernel's buffers push back on the client.
        readPaused_ = true;
        return;
    }
    readPaused_ = false;
    char buffer[16384];
    int n = Receive(buffer, sizeof buffer);
    if (n > 0) {
        // Sent straight from `buffer` while nothing waits; only the rest is queued.
        if (!queue_.Write(*this, buffer, static_cast<std::size_t>(n))) {
            server_.Remove(this, std::strerror(GetLastError()));
        }
    } else if (n == SOCKET_ERROR && GetLastError() != EWOULDBLOCK) {
        server_.Remove(this, std::strerror(GetLastError()));
    }
    // n == 0: the orderly end arrives as OnClose once everything is read.
}

void EchoConnection::OnSend(int) {
    Flush();
}

void EchoConnection::Flush() {
    if (!queue_.Flush(*this)) {
        server_.Remove(this, std::strerror(GetLastError()));
        return;
    }
    // Unless the queue is empty, Send said EWOULDBLOCK: OnSend comes again.
    if (peerFinished_) {
        if (queue_.Empty()) {
            // Every echo is with the kernel, which delivers it before the
            // FIN that destroying the connection sends.
            server_.Remove(this, "disconnected");
        }
    } else if (readPaused_ && !queue_.AboveHighWater()) {
        ReadSome();
    }
}

// An orderly OnClose is the client's half-close: it may still be reading, so
// the echoes queued for it go out first (the connection ends in Flush).
void EchoConnection::OnClose(int errorCode) {
    if (errorCode != 0) {
        server_.Remove(this, std::strerror(errorCode));
        return;
    }
    peerFinished_ = true;
    Flush();
}

bool EchoServer::Start(const xsock::SocketAddress& address) {
    // Accepted sockets inherit the listener's event mask, as in Winsock, so
    // select what the connections need as well as FD_ACCEPT.
    if (!Socket(SOCK_STREAM, xsock::FD_ACCEPT | xsock::FD_READ | xsock::FD_WRITE | xsock::FD_CLOSE,
                0, address.Family())) {
        return false;
    }
    int on = 1;
    SetSockOpt(SO_REUSEADDR, &on, sizeof on);
    return Bind(address) && Listen();
}

void EchoServer::OnAccept(int) {
    auto connection = std::make_unique<EchoConnection>(*this);
    if (!Accept(*connection)) {
        if (GetLastError() != EWOULDBLOCK && log) {
            log(std::string("accept failed: ") + std::strerror(GetLastError()));
        }
        return;
    }
    xsock::SocketAddress peer;
    connection->GetPeerName(peer);
    connection->peer = peer.ToString();
    if (log) {
        log("client " + connection->peer + " connected");
    }
    connections_.push_back(std::move(connection));
}

// Called from the connection's own notifications: destroying it there is
// safe, no further notification reaches it.
void EchoServer::Remove(EchoConnection* connection, const std::string& why) {
    auto it = std::find_if(connections_.begin(), connections_.end(),
                           [&](const auto& owned) { return owned.get() == connection; });
    if (it == connections_.end()) {
        return;
    }
    if (log) {
        log("client " + connection->peer + " " + why);
    }
    connections_.erase(it);
}

}  // namespace echo
