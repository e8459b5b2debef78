// Mesh: one messenger peer. It listens, connects, introduces the peers it
// knows to newcomers, and floods chat lines so each reaches every peer once.
//
// Every link is mutual TLS: each peer presents the certificate of its own key
// pair (demo/common/Identity.h, profile "messenger-NAME"), and its id is that
// key's fingerprint. A Hello claiming any other id than the key its TLS
// session proved is refused, so no one can take over another peer's id.
//
// The protocol, per connection: both sides send a Hello (id, name, listening
// port); each answers a Hello with a PeerList of the other
// peers it knows, and a newcomer connects to those it is not connected to, so
// joining through any one peer gives a full mesh with no server. Two links
// between the same pair (both dialled at once) are cut to one by a rule both
// ends compute alike: keep the link dialled by the smaller id.
//
// Trust: links start held (no chats either way) and become trusted by a key
// pinned in the profile's peers.list, an invite code proven both ways (see
// PairProof; both sides then pin each other), a key a trusted peer vouched
// for in its PeerList (so one invite reaches the whole mesh), or /trust NAME.
// A name whose pinned key changed is refused loudly.
//
// Chats carry (origin id, sequence number). They are flooded rather than only
// sent direct: each peer forwards a chat it has not seen to its other
// neighbours and ignores repeats. In a full mesh direct sending would do, but
// flooding also reaches peers linked only through another one (a --blocking
// client, or a mesh still forming) and costs nothing in correctness.
//
// Thread safety: the loop thread's only.
#pragma once

#include "Connection.h"
#include "Messages.h"
#include "Transfers.h"
#include "Ui.h"

#include <Identity.h>
#include <xsock/Tls.h>

#include <xsock/AsyncSocket.h>
#include <xsock/SocketAddress.h>
#include <xsock/SocketLoop.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace messenger {

class Mesh : public ConnectionListener {
  public:
    // Throws std::runtime_error (std::system_error from TLS) if the
    // identity's key pair cannot be used.
    Mesh(xsock::SocketLoop& loop, Ui& ui, std::string name, std::filesystem::path downloads,
         demo::Identity identity, Transfers::Limits fileLimits = {});
    ~Mesh();

    // Starts listening; false with the reason in `why`.
    bool Listen(const xsock::SocketAddress& where, std::string& why);
    xsock::SocketAddress ListenAddress();

    // The commands.
    // `code`: an invite code from that peer ("" for none).
    void Connect(const std::string& hostAndPort, const std::string& code = {});
    // Opens a new one-time invite code (valid kInviteLifetime) and returns it.
    std::string Invite();
    void Trust(const std::string& name);
    void Say(const std::string& text);
    void ListPeers();
    void WhoIs(const std::string& name);
    void Rename(const std::string& name);
    void SendFile(const std::string& peer, const std::string& path);
    // /accept N and /reject N.
    Transfers& Files() noexcept { return transfers_; }
    // Says goodbye to everyone; Idle() tells when it is all sent.
    void Leave();
    bool Idle() const;

    // A --discover announcement heard from `host`.
    void OnAnnouncement(const Hello& hello, const std::string& host);

    const std::string& Id() const noexcept { return id_; }
    const std::string& Name() const noexcept { return name_; }
    std::uint16_t ListenPort() const noexcept { return listenPort_; }

    static constexpr std::chrono::minutes kInviteLifetime{10};
    // Peers dialled because of one PeerList, however many it names.
    static constexpr std::size_t kMaxDialsPerList = 16;
    // Sequence numbers remembered per origin beyond the last in-order one: a
    // chat further ahead moves the window, and what falls behind it counts as
    // seen.
    static constexpr std::uint64_t kSeenWindow = 1024;

  private:
    class Listener;

    void StopListening();
    void Adopt(std::unique_ptr<Connection> connection);
    // Dials the first of `candidates` that answers, whatever its family; says
    // why if the connection could not even be started.
    Connection* Dial(std::vector<xsock::SocketAddress> candidates, std::string expectedId);
    Connection* FindPeer(const std::string& id, const Connection* except = nullptr);
    bool IsDialling(const std::string& id) const;
    // The key the connection's TLS session proved ("" before the handshake).
    static std::string ProvedKey(const Connection& connection);
    void SendHello(Connection& connection);
    void OnHello(Connection& connection, const Hello& hello);
    void OnPeerList(Connection& from, const PeerList& list);
    void OnPairProof(Connection& connection, const PairProof& proof);
    // Decides what a newly greeted link is: trusted, pairing, held or refused.
    void Admit(Connection& connection, const Hello& hello);
    // Pins the link's key (under its name) and lets chats through.
    void MakeTrusted(Connection& connection, const std::string& how);
    PeerList KnownList(const Connection* except) const;
    std::string SessionProof(Connection& connection, const std::string& role,
                             const std::string& inviter, const std::string& joiner);
    void OnChat(Connection& from, const Chat& chat);
    // Records the chat; false if it was seen before.
    bool FirstTime(const Chat& chat);
    void Retire(Connection& connection);
    void ScheduleReap();
    void Reap();

    void OnConnected(Connection& connection) override;
    void OnMessage(Connection& connection, std::unique_ptr<xsock::Object> message) override;
    void OnDrained(Connection& connection) override;
    void OnGone(Connection& connection, const std::string& why, bool malformed) override;

    xsock::SocketLoop& loop_;
    Ui& ui_;
    std::string name_;
    demo::Identity identity_;
    std::string id_;  // identity_.fingerprint
    xsock::TlsContext clientTls_;
    xsock::TlsContext serverTls_;
    demo::KnownPeers known_;  // keys pinned by name: peers.list in the profile
    std::string invite_;      // the open invite code, normalized ("" when none)
    std::chrono::steady_clock::time_point inviteUntil_;
    std::map<std::string, std::string> vouched_;  // id -> who vouched for it
    std::uint16_t listenPort_ = 0;
    std::string listenHost_;  // "" when listening on every address
    std::uint64_t sequence_ = 0;
    bool leaving_ = false;
    bool reapPosted_ = false;
    std::unique_ptr<Listener> listener_;
    std::list<std::unique_ptr<Connection>> connections_;
    // The chats seen from each origin: every sequence number up to `upTo`,
    // and those that arrived ahead of a gap (they come round different ways),
    // at most kSeenWindow of them, so memory stays small however long the
    // chat runs and whatever sequence numbers a peer sends.
    struct Seen {
        std::uint64_t upTo = 0;
        std::set<std::uint64_t> ahead;
    };
    std::map<std::string, Seen> seen_;
    Transfers transfers_;
};

}  // namespace messenger
