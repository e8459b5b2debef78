// The user's commands on a Mesh: /connect, chat lines, /peers, /whois, /nick,
// /send and /quit (see Mesh.h).
#include "Mesh.h"

#include <system_error>
#include <vector>

namespace messenger {

void Mesh::Connect(const std::string& hostAndPort, const std::string& code) {
    std::error_code error;
    std::vector<xsock::SocketAddress> candidates =
        xsock::SocketAddress::Lookup(hostAndPort, SOCK_STREAM, error);
    if (candidates.empty()) {
        ui_.print("* could not reach " + hostAndPort + ": " +
                  (error ? error.message() : std::string("no address")));
        return;
    }
    if (Connection* connection = Dial(std::move(candidates), {})) {
        connection->reportFailure = true;
        connection->code = code;
    }
}

void Mesh::Say(const std::string& text) {
    Chat chat;
    chat.origin = id_;
    chat.sequence = ++sequence_;
    chat.name = name_;
    chat.text = text;
    chat.publicKey = signer_.PublicKey();
    chat.signature = signer_.Sign(ChatSignedBytes(chat));
    int sent = 0;
    for (auto& connection : connections_) {
        if (connection->trusted && !connection->IsGone()) {
            connection->SendMessage(chat);
            ++sent;
        }
    }
    if (sent == 0) {
        ui_.print("* nobody to tell yet: /connect HOST:PORT first");
    }
    CheckQueues();
}

void Mesh::ListPeers() {
    std::string line;
    int count = 0;
    for (const auto& connection : connections_) {
        if (connection->greeted && !connection->IsGone()) {
            line += (count++ == 0 ? ": " : ", ") + connection->name + " (" +
                    (connection->listenAddress.empty() ? connection->Address()
                                                       : connection->listenAddress) +
                    ", key " + demo::ShortFingerprint(connection->peerId) +
                    (connection->trusted ? ")" : ", not trusted)");
        }
    }
    ui_.print("* " + std::to_string(count) + (count == 1 ? " peer" : " peers") + line);
}

std::vector<PeerShown> Mesh::Peers() const {
    std::vector<PeerShown> peers;
    for (const auto& connection : connections_) {
        if (connection->greeted && !connection->IsGone()) {
            peers.push_back({connection->name, connection->peerId,
                             connection->listenAddress.empty() ? connection->Address()
                                                               : connection->listenAddress,
                             connection->trusted,
                             !connection->trusted && connection->code.empty()});
        }
    }
    return peers;
}

void Mesh::WhoIs(const std::string& name) {
    if (name == name_) {
        ui_.print("* " + name_ + " (you): key " + demo::ShortFingerprint(id_) + ", " + id_);
        return;
    }
    for (const auto& connection : connections_) {
        if (connection->greeted && !connection->IsGone() && connection->name == name) {
            ui_.print("* " + name + ": key " + demo::ShortFingerprint(connection->peerId) + ", " +
                      connection->peerId);
            return;
        }
    }
    ui_.print("* no peer named " + name + " (see /peers)");
}

void Mesh::Rename(const std::string& name) {
    name_ = name;
    for (auto& connection : connections_) {
        if (connection->greeted && !connection->IsGone()) {
            SendHello(*connection);
        }
    }
    ui_.print("* you are now known as " + name_);
}

void Mesh::SendFile(const std::string& peer, const std::string& path) {
    for (auto& connection : connections_) {
        if (connection->trusted && !connection->IsGone() && connection->name == peer) {
            transfers_.Offer(*connection, path);
            return;
        }
    }
    ui_.print("* no peer named " + peer + " (see /peers)");
}

void Mesh::Leave() {
    leaving_ = true;
    Bye bye;
    for (auto& connection : connections_) {
        if (!connection->IsGone()) {
            if (connection->greeted) {
                connection->SendMessage(bye);
            }
            connection->FinishAndShutDown();
        }
    }
    StopListening();
}

bool Mesh::Idle() const {
    for (const auto& connection : connections_) {
        if (!connection->IsGone() && connection->Queued() > 0) {
            return false;
        }
    }
    return true;
}

}  // namespace messenger
