// Connection: one TCP link between two messengers, an AsyncSocket that turns
// bytes into messages and back without ever blocking the loop.
//
// Receiving: OnReceive appends what arrived to a MemFile and loads whole
// messages from it inside archive transactions (Archive::TryLoad); an
// incomplete message rolls back and waits for more bytes. Sending: messages
// are stored into a MemFile through the connection's storing Archive and
// moved to a send queue; what Send cannot take (EWOULDBLOCK) waits for OnSend.
//
// Everything the connection learns goes to its Listener. A connection that
// failed or closed is only Close()d here: its owner deletes it later, outside
// the notification, through Listener::OnGone.
//
// Thread safety: the loop thread's only, like every AsyncSocket.
#pragma once

#include "Messages.h"

#include <xsock/Archive.h>
#include <xsock/AsyncSocket.h>
#include <xsock/File.h>
#include <xsock/Object.h>
#include <xsock/SendQueue.h>
#include <xsock/SocketAddress.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace messenger {

class Connection;

class ConnectionListener {
  public:
    virtual void OnConnected(Connection& connection) = 0;
    virtual void OnMessage(Connection& connection, std::unique_ptr<xsock::Object> message) = 0;
    // OnSend found the send queue empty: room for more (file chunks).
    virtual void OnDrained(Connection& connection) = 0;
    // The link is over; `why` is empty for an orderly close by the other side.
    // `malformed` when the other side sent something that is not a message.
    virtual void OnGone(Connection& connection, const std::string& why, bool malformed) = 0;

  protected:
    ~ConnectionListener() = default;
};

class Connection : public xsock::AsyncSocket {
  public:
    // A connection that stops reading is dropped once this much waits unsent
    // (the default; SetQueueLimit changes it).
    static constexpr std::size_t kMaxQueued = std::size_t{8} << 20;
    // The largest message: a file chunk is well under a megabyte.
    static constexpr std::size_t kMaxMessageBytes = std::size_t{2} << 20;
    // The largest message before the link is trusted: a Hello, a proof, a
    // peer list of some hundred peers.
    static constexpr std::size_t kMaxUntrustedMessageBytes = std::size_t{64} << 10;

    // `address` names the other side in messages ("127.0.0.1:4711").
    Connection(ConnectionListener& listener, bool outgoing, std::string address);

    // Queues a message and sends what the socket takes now.
    void SendMessage(xsock::Object& message);
    // Stops after the queue is sent (ShutDown), for an orderly goodbye.
    void FinishAndShutDown();
    // Closes with a reason reported through OnGone (once).
    void Drop(const std::string& why, bool malformed);

    std::size_t Queued() const noexcept { return outbox_.Size(); }
    void SetQueueLimit(std::size_t bytes) noexcept { outbox_.SetHighWater(bytes); }
    bool IsOutgoing() const noexcept { return outgoing_; }
    bool IsGone() const noexcept { return gone_; }
    // Outgoing: the connection was made (OnConnect without an error).
    bool IsConnected() const noexcept { return connected_; }
    const std::string& Address() const noexcept { return address_; }
    void SetAddress(std::string address) { address_ = std::move(address); }
    // Closes without reporting anything: a duplicate link, or one to ourselves.
    void Retire();

    // What the Hello said, once it matched the key TLS proved: set by the owner.
    std::string peerId;
    std::string name;
    std::string listenAddress;  // empty: the other side accepts no connections
    bool greeted = false;
    bool heardHello = false;  // one arrived, over TLS, whether greeted or not
    // Chats go to and come from trusted links only: a pinned key, a code
    // proven, a key vouched for by a trusted peer, or /trust.
    bool trusted = false;
    std::string code;                // the invite code this link is being paired with
    std::unique_ptr<PeerList> held;  // a peer list that came before trust
    bool saidBye = false;
    bool reportFailure = false;  // a user asked for this link: say if it fails
    std::string expectedId;      // who an introduction said is there
    // A message that has not arrived whole when this much is waiting is refused.
    std::size_t receiveLimit = kMaxUntrustedMessageBytes;
    std::string remoteHost;  // accepted: the address it came from
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    int forgeries = 0;  // chats it brought that their author did not sign

  protected:
    void OnConnect(int error) override;
    void OnReceive(int error) override;
    void OnSend(int error) override;
    void OnClose(int error) override;

  private:
    void Flush();
    void LoadMessages();

    ConnectionListener& listener_;
    bool outgoing_;
    bool connected_;
    bool gone_ = false;
    bool shutDownWhenSent_ = false;
    std::string address_;

    xsock::MemFile inbox_;
    xsock::Archive in_{inbox_, xsock::Archive::load};
    xsock::MemFile staging_;
    xsock::Archive out_{staging_, xsock::Archive::store};
    xsock::SendQueue outbox_;
};

}  // namespace messenger
