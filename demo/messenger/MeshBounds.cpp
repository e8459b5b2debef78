// The bounds of a Mesh: what strangers, introductions and announcements may
// make it spend (see Mesh.h for each bound and its default).
#include "Mesh.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <system_error>

namespace messenger {

bool Mesh::MayAccept(const std::string& host) {
    std::size_t all = 0;
    std::size_t fromHost = 0;
    for (const auto& connection : connections_) {
        if (!connection->IsGone() && !connection->IsOutgoing() && !connection->greeted) {
            ++all;
            fromHost += connection->remoteHost == host ? 1 : 0;
        }
    }
    if (all >= bounds_.maxUnauthenticated || fromHost >= bounds_.maxUnauthenticatedPerAddress) {
        ++refused_;
        return false;
    }
    return true;
}

std::size_t Mesh::Held(const Connection* except) const {
    return static_cast<std::size_t>(
        std::count_if(connections_.begin(), connections_.end(), [&](const auto& connection) {
            return connection.get() != except && !connection->IsGone() && connection->greeted &&
                   !connection->trusted && connection->code.empty();
        }));
}

std::size_t Mesh::Dialling() const {
    return static_cast<std::size_t>(
        std::count_if(connections_.begin(), connections_.end(), [](const auto& connection) {
            return !connection->IsGone() && connection->IsOutgoing() && !connection->greeted;
        }));
}

bool Mesh::MayIntroduce() {
    return Dialling() < kMaxDialsAtOnce && introductions_.Take();
}

void Mesh::Sweep() {
    const auto now = std::chrono::steady_clock::now();
    for (auto& connection : connections_) {
        if (connection->IsGone() || connection->greeted ||
            now - connection->started < bounds_.handshakeTimeout) {
            continue;
        }
        // Incoming: reported as a drop; dialled: as a peer that could not be reached.
        connection->Drop(
            "no hello within " + std::to_string(bounds_.handshakeTimeout.count() / 1000) + " s",
            !connection->IsOutgoing());
    }
    if (refused_ > 0 && !leaving_) {
        ui_.print("* refused " + std::to_string(refused_) + " connection" +
                  (refused_ == 1 ? "" : "s") + ": too many strangers at once (at most " +
                  std::to_string(bounds_.maxUnauthenticated) + " unauthenticated, " +
                  std::to_string(bounds_.maxUnauthenticatedPerAddress) + " from one address, " +
                  std::to_string(kMaxHeld) + " waiting for /trust)");
        refused_ = 0;
    }
}

void Mesh::CheckQueues() {
    for (;;) {
        std::size_t total = 0;
        Connection* fullest = nullptr;
        for (auto& connection : connections_) {
            if (!connection->IsGone()) {
                total += connection->Queued();
                if (fullest == nullptr || connection->Queued() > fullest->Queued()) {
                    fullest = connection.get();
                }
            }
        }
        if (total <= bounds_.maxQueuedTotal || fullest == nullptr) {
            return;
        }
        fullest->Drop("not reading (" + std::to_string(fullest->Queued()) + " bytes waiting, " +
                          std::to_string(total) + " for all links)",
                      false);
    }
}

void Mesh::OnAnnouncement(const Hello& hello, const std::string& host) {
    if (hello.id == id_ || hello.listenPort == 0 || FindPeer(hello.id) || IsDialling(hello.id)) {
        return;
    }
    std::error_code error;
    auto address = xsock::SocketAddress::FromHostAndPort(host, hello.listenPort, error);
    if (error) {
        return;
    }
    if (!known_.Contains(hello.id) && !vouched_.contains(hello.id)) {
        Offer(hello, address.ToString());
        return;
    }
    // Both ends hear each other: only the smaller id dials, so one link forms.
    if (id_ < hello.id && MayIntroduce()) {
        Dial({address}, hello.id);
    }
}

void Mesh::Offer(const Hello& hello, const std::string& where) {
    if (offered_.contains(hello.id)) {
        return;
    }
    offered_.insert(hello.id);
    offeredOrder_.push_back(hello.id);
    if (offeredOrder_.size() > kMaxOffers) {
        offered_.erase(offeredOrder_.front());
        offeredOrder_.pop_front();
    }
    ui_.print("* discovered " + SafeName(hello.name) + " at " + where + ", key " +
              demo::ShortFingerprint(hello.id) + ": /connect " + where + " to meet");
}

}  // namespace messenger
