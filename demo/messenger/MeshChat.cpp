// Chat lines on a Mesh: checked against their author's signature, recorded in
// the author's de-duplication window, shown and flooded on (see Mesh.h).
#include "Mesh.h"

#include <algorithm>
#include <string>

namespace messenger {

void Mesh::OnChat(Connection& from, const Chat& chat) {
    Origin* author = Authentic(chat);
    if (author == nullptr) {
        OnForgery(from, chat);
        return;
    }
    if (chat.origin == id_ || !FirstTime(*author, chat.sequence)) {
        return;  // already shown: it came round another way
    }
    ui_.print("<" + SafeName(chat.name) + "> " + SafeText(chat.text));
    Chat copy = chat;
    for (auto& connection : connections_) {
        if (connection.get() != &from && connection->trusted && !connection->IsGone()) {
            connection->SendMessage(copy);
        }
    }
    CheckQueues();
}

Mesh::Origin* Mesh::Authentic(const Chat& chat) {
    const std::string signedBytes = ChatSignedBytes(chat);
    auto known = origins_.find(chat.origin);
    if (known != origins_.end() && known->second.key) {
        // A key with the author's fingerprint is the author's key: comparing
        // the bytes is enough, no parse.
        if (known->second.key->Der() != chat.publicKey ||
            !known->second.key->Verify(signedBytes, chat.signature)) {
            return nullptr;
        }
    } else {
        std::optional<demo::PublicKey> key = demo::PublicKey::Parse(chat.publicKey, chat.origin);
        if (!key || !key->Verify(signedBytes, chat.signature)) {
            return nullptr;  // nothing is recorded for a forgery, not even its origin
        }
        known = origins_.try_emplace(chat.origin).first;
        known->second.key = std::move(key);
        known->second.heard = ++originClock_;  // the newest: never the one forgotten
        if (origins_.size() > kMaxOrigins) {
            origins_.erase(std::min_element(
                origins_.begin(), origins_.end(),
                [](const auto& a, const auto& b) { return a.second.heard < b.second.heard; }));
        }
    }
    known->second.heard = ++originClock_;
    return &known->second;
}

void Mesh::OnForgery(Connection& from, const Chat& chat) {
    if (++from.forgeries > kMaxForgeries) {
        from.Drop("it brought " + std::to_string(from.forgeries) + " forged lines", true);
        return;
    }
    ui_.print("* dropped a forged line from " + from.name + ": it claims to be by key " +
              demo::ShortFingerprint(chat.origin) + ", which did not sign it");
}

bool Mesh::FirstTime(Origin& origin, std::uint64_t sequence) {
    if (sequence <= origin.upTo) {
        return false;
    }
    if (sequence - origin.upTo > kSeenWindow) {
        const std::uint64_t upTo = sequence - kSeenWindow;
        if (upTo - origin.upTo >= kSeenWindow) {
            origin.ahead.reset();
        } else {
            for (std::uint64_t behind = origin.upTo + 1; behind <= upTo; ++behind) {
                origin.ahead.reset(behind % kSeenWindow);
            }
        }
        origin.upTo = upTo;
    }
    if (origin.ahead.test(sequence % kSeenWindow)) {
        return false;
    }
    origin.ahead.set(sequence % kSeenWindow);
    while (origin.ahead.test((origin.upTo + 1) % kSeenWindow)) {
        origin.ahead.reset((origin.upTo + 1) % kSeenWindow);
        ++origin.upTo;
    }
    return true;
}

}  // namespace messenger
