// The echo server: a listener that accepts into EchoConnection objects, each
// sending back what it receives. It shows the AsyncSocket idioms: Receive in
// OnReceive, queue what Send could not take and finish it in OnSend, and stop
// reading while a client is not reading its echoes (flow control by not
// re-arming OnReceive).
#pragma once

#include <xsock/AsyncSocket.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace echo {

class EchoServer;

class EchoConnection : public xsock::AsyncSocket {
  public:
    explicit EchoConnection(EchoServer& server) : server_(server) {}

    std::string peer;

  protected:
    void OnReceive(int errorCode) override;
    void OnSend(int errorCode) override;
    void OnClose(int errorCode) override;

  private:
    void ReadSome();
    void Flush();

    static constexpr std::size_t kMaxQueued = 1 << 20;

    EchoServer& server_;
    std::string queued_;
    bool readPaused_ = false;
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
