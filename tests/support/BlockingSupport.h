// Helpers for tests of the blocking Socket. They make no Boost.Test calls, so
// worker threads may use them; the main thread checks what they return.
#pragma once

#include <xsock/Socket.h>

#include <string>

namespace xsock::test {

// Listens on 127.0.0.1 with a free port; 0 on failure.
inline unsigned TryListen(Socket& listener) {
    std::string host;
    unsigned port = 0;
    if (!listener.Create(0, SOCK_STREAM, "127.0.0.1") || !listener.Listen() ||
        !listener.GetSockName(host, port)) {
        return 0;
    }
    return port;
}

// A connected pair of Sockets on the calling thread.
inline bool TryPair(Socket& listener, Socket& client, Socket& server) {
    unsigned port = TryListen(listener);
    return port != 0 && client.Create() && client.Connect("127.0.0.1", port) &&
           listener.Accept(server);
}

}  // namespace xsock::test
