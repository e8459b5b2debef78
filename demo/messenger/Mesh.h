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
// Signed lines: every chat carries its author's key and signature (see Chat),
// checked before the line is shown, forwarded or recorded as seen, so no one
// can put words in another peer's mouth or spend its sequence numbers. The
// first verified line of an author keeps its key (kMaxOrigins authors), so
// each further line costs one signature check. A forged line is dropped, and
// the receiver's user is told which link brought it; the link is dropped
// after kMaxForgeries of them (an honest peer forwards only lines it checked,
// so every forgery on a link is that peer's own doing).
//
// Bounds: what anyone who can reach the port (or a trusted peer gone bad) can
// make a peer spend. Defaults, and the option that changes each:
//   handshake deadline: TLS and Hello within 10 s (--handshake-timeout SECONDS);
//     a dialled link that has not said hello by then is given up too
//   unauthenticated connections (accepted, no Hello yet): 64 in all
//     (--max-unauthenticated N), 8 from one address (--max-per-address N);
//     over either, a new connection is closed as it is accepted
//   links waiting for /trust: 16 (kMaxHeld); more strangers are refused
//   links per peer id: 1 (a second one is shut down as soon as its Hello
//     shows whose it is, and closed at the handshake deadline at the latest)
//   a message: 64 KiB until the link is trusted, 2 MiB after
//     (Connection::kMaxUntrustedMessageBytes, kMaxMessageBytes)
//   queued bytes: 8 MiB a link (--max-queued MIB), 64 MiB in all
//     (--max-queued-total MIB); a link past its mark is dropped, and past the
//     total the link with the most waiting is
//   de-duplication: kSeenWindow (1024) sequence numbers an author, kMaxOrigins
//     (1024) authors, the least recently heard forgotten first
//   forged lines: kMaxForgeries (3) a link, then the link is dropped
//   introductions: peers dialled because a trusted peer's list names them:
//     kMaxDialsPerList (16) a list, kDialsPerMinute (32) a minute, and
//     kMaxDialsAtOnce (16) unanswered at once; kMaxVouched (256) ids vouched for
//   discovery: Discovery::kPerSecond (16) datagrams a second are read, the
//     rest dropped; only a pinned or vouched-for id is dialled (same minute
//     and at-once limits), a stranger is only offered to the user, at most
//     once among the last kMaxOffers (64)
// Memory: links are trusted by the user or by a peer they trust; strangers
// hold at most 64 + 16 links of 64 KiB input each (about 8 MiB with TLS
// buffers); queues at most 64 MiB; each trusted link at most 2 MiB of input;
// authors' state about 1.5 MiB. So a peer with N trusted links stays within
// its baseline + 74 MiB + N x 2 MiB (measured: MessengerTest's
// NonReadingPeerIsDroppedAndMemoryStaysBounded peaks at 28 MiB, bound 64).
//
// Thread safety: the loop thread's only.
#pragma once

#include "Connection.h"
#include "Messages.h"
#include "RateLimit.h"
#include "Transfers.h"
#include "Ui.h"

#include <Identity.h>
#include <Signature.h>
#include <xsock/Tls.h>

#include <xsock/AsyncSocket.h>
#include <xsock/SocketAddress.h>
#include <xsock/SocketLoop.h>

#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace messenger {

// The bounds a user can change (see above).
struct Bounds {
    std::chrono::milliseconds handshakeTimeout{10'000};
    std::size_t maxUnauthenticated = 64;
    std::size_t maxUnauthenticatedPerAddress = 8;
    std::size_t maxQueued = Connection::kMaxQueued;
    std::size_t maxQueuedTotal = std::size_t{64} << 20;
};

class Mesh : public ConnectionListener {
  public:
    // Throws std::runtime_error (std::system_error from TLS) if the
    // identity's key pair cannot be used.
    Mesh(xsock::SocketLoop& loop, Ui& ui, std::string name, std::filesystem::path downloads,
         demo::Identity identity, Bounds bounds = {}, Transfers::Limits fileLimits = {});
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
    // The greeted peers, as /peers lists them.
    std::vector<PeerShown> Peers() const;
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
    // Authors whose window and key are kept; the least recently heard is
    // forgotten first (its old lines could then be shown again if replayed).
    static constexpr std::size_t kMaxOrigins = 1024;
    // Forged lines a link may bring before it is dropped.
    static constexpr int kMaxForgeries = 3;
    // Greeted links waiting for /trust.
    static constexpr std::size_t kMaxHeld = 16;
    // Peers dialled because a peer list or discovery said so.
    static constexpr double kDialsPerMinute = 32;
    static constexpr std::size_t kMaxDialsAtOnce = 16;
    static constexpr std::size_t kMaxVouched = 256;
    // Discovered strangers remembered as offered (not offered again).
    static constexpr std::size_t kMaxOffers = 64;

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
    // The chats seen from one author: every sequence number up to `upTo`, and
    // those that arrived ahead of a gap (they come round different ways),
    // within kSeenWindow of it (a chat further ahead moves the window), so
    // memory stays small however long the chat runs and whatever sequence
    // numbers a peer sends. And the author's key, checked once.
    struct Origin {
        std::uint64_t upTo = 0;
        std::bitset<kSeenWindow> ahead;  // sequence s at bit s % kSeenWindow
        std::optional<demo::PublicKey> key;
        std::uint64_t heard = 0;  // when, on originClock_
    };

    void OnChat(Connection& from, const Chat& chat);
    // The chat's author, if its key and signature are its author's; null for
    // a forgery.
    Origin* Authentic(const Chat& chat);
    void OnForgery(Connection& from, const Chat& chat);
    // Records the sequence number; false if it was seen before.
    static bool FirstTime(Origin& origin, std::uint64_t sequence);
    void Retire(Connection& connection);
    // Whether a connection from `host` may be accepted (the unauthenticated
    // caps); counts it as refused if not.
    bool MayAccept(const std::string& host);
    // Strangers waiting for /trust, besides `except`.
    std::size_t Held(const Connection* except) const;
    // Dials that have not been answered yet.
    std::size_t Dialling() const;
    // A dial because a peer list or an announcement said so, within the limits.
    bool MayIntroduce();
    // Drops links that have not said hello in time; reports refusals.
    void Sweep();
    // Drops the links with the most waiting while the total is over its bound.
    void CheckQueues();
    void Offer(const Hello& hello, const std::string& where);
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
    Bounds bounds_;
    xsock::TimerId sweeper_ = 0;
    std::size_t refused_ = 0;  // connections refused since the last report
    RateLimit introductions_{kDialsPerMinute / 60, kDialsPerMinute};
    std::set<std::string> offered_;
    std::deque<std::string> offeredOrder_;  // oldest first
    demo::Signer signer_;
    std::map<std::string, Origin> origins_;  // at most kMaxOrigins
    std::uint64_t originClock_ = 0;
    Transfers transfers_;
};

}  // namespace messenger
