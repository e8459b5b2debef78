// The echo server: a listener that accepts into EchoConnection objects, each
// sending back what it receives. It shows the AsyncSocket idioms: Receive in
// OnReceive, queue what Send could not take (an xsock::SendQueue) and finish
// it in OnSend, stop reading while a client is not reading its echoes (flow
// control by not re-arming OnReceive), and on a client's half-close send every
// echo still queued before closing.
#pragma once

#include <xsock/AsyncSocket.h>
#include <xsock/SendQueue.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace echo {

class EchoServer;

class EchoConnection : public xsock::AsyncSocket {
  public:
    explicit EchoConnection(EchoServer& server) : server_(server) {
        queue_.SetHighWater(kMaxQueued);
    }

    std::string peer;

  protected:
    void OnReceive(int errorCode) override;
    void OnSend(int errorCode) override;
    void OnClose(int errorCode) override;

  private:
    void ReadSome();
    // Sends what is queued; once the client has finished sending and the
    // queue is empty, the connection is done.
    void Flush();

    static constexpr std::size_t kMaxQueued = 1 << 20;

    EchoServer& server_;
    xsock::SendQueue queue_;
    bool readPaused_ = false;
    bool peerFinished_ = false;  // OnClose(0) came: the client sends no more
};

class EchoServer : public xsock::AsyncSocket {
  public:
    // Lines for the operator ("client ... connected"); the default prints them.
    std::function<void(const std::string&)> log;

    bool Start(const xsock::SocketAddress& address);
    void Remove(EchoConnection* connection, const std::string& why);
    std::size_t ConnectionCount() const { return connections_.size(); }

  protected:
    void OnAccept(int errorCode) override;

  private:
    std::vector<std::unique_ptr<EchoConnection>> connections_;
};

}  // namespace echo
