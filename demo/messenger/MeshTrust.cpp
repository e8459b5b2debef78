// Trust on a Mesh: invite codes, pinned keys, keys vouched for by trusted
// peers and /trust (see Mesh.h).
#include "Mesh.h"

#include <Pairing.h>

#include <system_error>

namespace messenger {

namespace {

constexpr const char* kPairingLabel = "EXPORTER-xsock-messenger-pairing";

}  // namespace

std::string Mesh::Invite() {
    invite_ = demo::NormalizeCode(demo::NewPairingCode());
    inviteUntil_ = std::chrono::steady_clock::now() + kInviteLifetime;
    return invite_.substr(0, 4) + "-" + invite_.substr(4, 4) + "-" + invite_.substr(8);
}

std::string Mesh::SessionProof(Connection& connection, const std::string& role,
                               const std::string& inviter, const std::string& joiner) {
    std::string session;
    if (!xsock::ExportKeyingMaterial(connection, kPairingLabel, 32, session)) {
        return {};
    }
    return demo::PairingProof(connection.code, role, session, inviter, joiner);
}

void Mesh::Admit(Connection& connection, const Hello& hello) {
    const std::string& name = connection.name;
    if (std::optional<std::string> pinned = known_.Find(name); pinned && *pinned != hello.id) {
        ui_.print("* REFUSED " + name + " at " + connection.Address() +
                  ": ITS KEY CHANGED (pinned " + demo::ShortFingerprint(*pinned) + ", now " +
                  demo::ShortFingerprint(hello.id) + "). Someone may be posing as " + name +
                  "; if " + name + " really has a new key, remove its line from " + known_.File() +
                  " and pair again");
        Retire(connection);
        return;
    }
    const bool inviteOpen = !invite_.empty() && std::chrono::steady_clock::now() < inviteUntil_;
    if (!connection.IsOutgoing() && hello.pairing && inviteOpen) {
        // Paired even if its key is known here: the joiner waits for the proof.
        // The code is out of use before anything is proved: a wrong guess
        // costs the guesser the code.
        connection.code = std::exchange(invite_, std::string());
        PairProof proof;
        proof.proof = SessionProof(connection, "inviter", id_, hello.id);
        if (!proof.proof.empty()) {
            connection.SendMessage(proof);
            return;
        }
        connection.code.clear();
    }
    if (known_.Contains(hello.id)) {
        MakeTrusted(connection, "");
        return;
    }
    if (auto voucher = vouched_.find(hello.id); voucher != vouched_.end()) {
        MakeTrusted(connection, "vouched for by " + voucher->second);
        return;
    }
    if (connection.IsOutgoing() && !connection.code.empty()) {
        return;  // the inviter proves the code first (OnPairProof)
    }
    if (Held(&connection) >= kMaxHeld) {
        ++refused_;  // reported by Sweep, not once a stranger
        Retire(connection);
        return;
    }
    if (!connection.IsOutgoing() && hello.pairing) {
        invite_.clear();
        ui_.print("* " + name + " (" + connection.Address() +
                  ") came with an invite code, but none is open (/invite opens one)");
    }
    ui_.print("* " + name + " (" + connection.Address() + ") is not trusted yet, key " +
              demo::ShortFingerprint(hello.id) + ": /trust " + name + " to chat");
}

void Mesh::OnPairProof(Connection& connection, const PairProof& proof) {
    if (connection.trusted || connection.code.empty()) {
        connection.Drop("malformed message (a pairing proof out of turn)", true);
        return;
    }
    const bool joiner = connection.IsOutgoing();
    const std::string inviter = joiner ? connection.peerId : id_;
    const std::string joinerId = joiner ? id_ : connection.peerId;
    std::string expected =
        SessionProof(connection, joiner ? "inviter" : "joiner", inviter, joinerId);
    if (expected.empty() || !demo::SameProof(proof.proof, expected)) {
        // A joiner never sends its own proof to a peer that could not prove the code.
        ui_.print("* pairing with " + connection.name + " at " + connection.Address() +
                  " failed: the code is wrong, or someone in between is not that peer" +
                  (joiner ? "" : " (the code is used up: /invite opens another)"));
        connection.code.clear();
        Retire(connection);
        return;
    }
    if (joiner) {
        PairProof mine;
        mine.proof = SessionProof(connection, "joiner", inviter, joinerId);
        connection.SendMessage(mine);
    }
    connection.code.clear();
    MakeTrusted(connection, "paired with the invite code");
}

void Mesh::OnPeerList(Connection& from, const PeerList& list) {
    if (!from.trusted) {
        from.held = std::make_unique<PeerList>(list);  // vouches for nothing until trusted
        return;
    }
    std::size_t dialled = 0;
    for (const PeerList::Entry& entry : list.peers) {
        if (entry.id == id_) {
            continue;
        }
        if (vouched_.size() < kMaxVouched) {
            vouched_.emplace(entry.id, from.name);
        } else if (!vouched_.contains(entry.id)) {
            continue;  // neither trusted nor dialled: only vouched-for ids are
        }
        if (Connection* waiting = FindPeer(entry.id); waiting != nullptr) {
            if (!waiting->trusted && waiting->code.empty()) {
                MakeTrusted(*waiting, "vouched for by " + from.name);
            }
            continue;
        }
        if (!list.dial || IsDialling(entry.id)) {
            continue;
        }
        if (dialled == kMaxDialsPerList || !MayIntroduce()) {
            ui_.print("* " + from.name + "'s peer list names " + std::to_string(list.peers.size()) +
                      " peers: dialled only " + std::to_string(dialled) + " (at most " +
                      std::to_string(kMaxDialsPerList) + " a list, " +
                      std::to_string(static_cast<int>(kDialsPerMinute)) + " a minute, " +
                      std::to_string(kMaxDialsAtOnce) + " at once)");
            break;
        }
        std::error_code error;
        auto address = xsock::SocketAddress::FromHostAndPort(entry.host, entry.port, error);
        if (!error) {
            ++dialled;
            Dial({address}, entry.id);
        }
    }
}

void Mesh::Trust(const std::string& name) {
    for (auto& connection : connections_) {
        if (connection->greeted && !connection->IsGone() && !connection->trusted &&
            connection->name == name) {
            connection->code.clear();
            MakeTrusted(*connection, "trusted by you");
            return;
        }
    }
    ui_.print("* no peer named " + name + " is waiting to be trusted (see /peers)");
}

PeerList Mesh::KnownList(const Connection* except) const {
    PeerList list;
    for (const auto& known : connections_) {
        if (known.get() != except && !known->IsGone() && known->greeted && known->trusted &&
            !known->listenAddress.empty()) {
            std::error_code error;
            xsock::SocketAddress address = xsock::SocketAddress::Parse(known->listenAddress, error);
            if (!error) {
                list.peers.push_back(
                    {known->peerId, address.Host(), static_cast<std::uint16_t>(address.Port())});
            }
        }
    }
    return list;
}

void Mesh::MakeTrusted(Connection& connection, const std::string& how) {
    connection.trusted = true;
    connection.receiveLimit = Connection::kMaxMessageBytes;
    if (!known_.Contains(connection.peerId) && !known_.Add(connection.peerId, connection.name)) {
        ui_.print("* cannot save " + connection.name + "'s key in " + known_.File());
    }
    std::string shown =
        connection.listenAddress.empty() ? connection.Address() : connection.listenAddress;
    ui_.print("* " + connection.name + " joined (" + shown + ")");
    if (!how.empty()) {
        ui_.print("* " + connection.name + ": key " + demo::ShortFingerprint(connection.peerId) +
                  ", " + how);
    }
    // The newcomer learns of every trusted peer, and they learn of it: each
    // side vouches, so the two trust each other without a code of their own.
    PeerList list = KnownList(&connection);
    connection.SendMessage(list);
    if (!connection.listenAddress.empty()) {
        PeerList newcomer = KnownList(nullptr);
        newcomer.dial = false;
        std::erase_if(newcomer.peers,
                      [&](const PeerList::Entry& entry) { return entry.id != connection.peerId; });
        for (auto& other : connections_) {
            if (other.get() != &connection && !other->IsGone() && other->trusted) {
                other->SendMessage(newcomer);
            }
        }
    }
    if (std::unique_ptr<PeerList> held = std::move(connection.held)) {
        OnPeerList(connection, *held);
    }
}

}  // namespace messenger
