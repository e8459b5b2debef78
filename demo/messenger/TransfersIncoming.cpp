// Transfers, receiving: offers checked and held for /accept or /reject, then
// chunks into a partial file that takes a free name once its SHA-256 matches
// (see Transfers.h).
#include "Downloads.h"
#include "Transfers.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace messenger {

namespace {

bool IsSha256Hex(const std::string& text) {
    return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string Bytes(std::uint64_t size) {
    return std::to_string(size) + " bytes";
}

}  // namespace

bool IsSafeFileName(const std::string& name) {
    return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
           name.find_first_of("/\\") == std::string::npos && name[0] != '.' &&
           SafeText(name) == name;
}

void Transfers::RemoveStalePartials() {
    if (std::size_t removed = messenger::RemoveStalePartials(downloads_); removed > 0) {
        ui_.print("* removed " + std::to_string(removed) + " stale partial file" +
                  (removed == 1 ? "" : "s") + " from " + downloads_.string());
    }
}

bool Transfers::OnOffer(Connection& from, const FileOffer& offer, std::string& why) {
    if (!IsSafeFileName(offer.name)) {
        why = "file name refused: '" + offer.name + "'";  // shown through SafeText
        return false;
    }
    if (!IsSha256Hex(offer.sha256)) {
        why = "an offer without a SHA-256";
        return false;
    }
    // The link's id is the key its TLS session proved (Mesh::OnHello).
    if (!demo::Verify(offer.publicKey, from.peerId, OfferSignedBytes(offer, from.peerId, id_),
                      offer.signature)) {
        why = "an offer not signed by " + demo::ShortFingerprint(from.peerId);
        return false;
    }
    auto last = lastOffered_.find(&from);
    if (last != lastOffered_.end() && offer.transfer <= last->second) {
        why = "transfer " + std::to_string(offer.transfer) + " offered again";
        return false;
    }
    lastOffered_[&from] = offer.transfer;
    const std::size_t fromPeer = static_cast<std::size_t>(
        std::count_if(incoming_.begin(), incoming_.end(),
                      [&](const Incoming& other) { return other.from == &from; }));
    if (fromPeer >= limits_.perPeer || incoming_.size() >= limits_.total) {
        std::string reason = fromPeer >= limits_.perPeer
                                 ? std::to_string(limits_.perPeer) + " offers from " + from.name +
                                       " are open already"
                                 : std::to_string(limits_.total) + " offers are open already";
        ui_.print("* refused " + offer.name + " from " + from.name + " unasked: " + reason);
        FileAnswer answer;
        answer.transfer = offer.transfer;
        answer.reason = "too many offers at once";
        from.SendMessage(answer);
        return true;
    }
    Incoming& transfer = incoming_.emplace_back();
    transfer.number = nextNumber_++;
    transfer.from = &from;
    transfer.sender = from.name;
    transfer.transfer = offer.transfer;
    transfer.name = offer.name;
    transfer.size = offer.size;
    transfer.sha256 = offer.sha256;
    const int number = transfer.number;
    transfer.expiry = loop_.SetTimer(
        limits_.answerTime,
        [this, number] {
            auto it = Find(number);
            if (it != incoming_.end()) {
                it->expiry = 0;
                ui_.print("* offer " + std::to_string(number) + " (" + it->name + " from " +
                          it->sender + ") expired unanswered");
                Refuse(it, "not answered in time");
            }
        },
        false);
    OfferShown shown{number,     from.name,  demo::ShortFingerprint(from.peerId),
                     offer.name, offer.size, offer.sha256};
    if (ui_.offer) {
        ui_.offer(shown);
    } else {
        const std::string n = std::to_string(number);
        ui_.print("* " + from.name + " (key " + shown.fingerprint + ") offers " + offer.name +
                  " (" + Bytes(offer.size) + ", sha256 " + offer.sha256.substr(0, 16) +
                  "): /accept " + n + " or /reject " + n);
    }
    return true;
}

std::list<Transfers::Incoming>::iterator Transfers::Find(int number) {
    return std::find_if(incoming_.begin(), incoming_.end(),
                        [number](const Incoming& transfer) { return transfer.number == number; });
}

void Transfers::Accept(int number) {
    auto it = Find(number);
    if (it == incoming_.end()) {
        ui_.print("* no offer " + std::to_string(number) + " is waiting");
        return;
    }
    Incoming& transfer = *it;
    if (transfer.accepted) {
        ui_.print("* offer " + std::to_string(number) + " is accepted already");
        return;
    }
    std::string problem;
    if (transfer.size > limits_.maxFile) {
        problem =
            Bytes(transfer.size) + " is over the --max-file limit of " + Bytes(limits_.maxFile);
    } else {
        // What accepted transfers still have to write is as good as used.
        std::uint64_t promised = 0;
        for (const Incoming& other : incoming_) {
            promised += other.accepted ? other.size - other.received : 0;
        }
        problem = CheckFreeSpace(downloads_, transfer.size, limits_.margin + promised);
    }
    if (problem.empty()) {
        transfer.file = CreatePartial(downloads_, transfer.partial, problem);
    }
    if (!problem.empty()) {
        ui_.print("* cannot accept " + transfer.name + ": " + problem);
        Refuse(it, problem);
        return;
    }
    if (transfer.expiry != 0) {
        loop_.KillTimer(transfer.expiry);
        transfer.expiry = 0;
    }
    transfer.accepted = true;
    ui_.print("* receiving " + transfer.name + " from " + transfer.sender + " (" +
              Bytes(transfer.size) + ")");
    if (ui_.offerGone) {
        ui_.offerGone(number, "accepted");
    }
    FileAnswer answer;
    answer.transfer = transfer.transfer;
    answer.accepted = true;
    transfer.from->SendMessage(answer);
    // Sending can find the link broken, and then Forget has erased the offer.
    it = Find(number);
    if (it != incoming_.end() && it->size == 0) {
        Finish(*it);
        Drop(it, "");
    }
}

void Transfers::Reject(int number) {
    auto it = Find(number);
    if (it == incoming_.end() || it->accepted) {
        ui_.print("* no offer " + std::to_string(number) + " is waiting");
        return;
    }
    ui_.print("* rejected " + it->name + " from " + it->sender);
    Refuse(it, "rejected");
}

void Transfers::Refuse(std::list<Incoming>::iterator offer, const std::string& reason) {
    Connection* from = offer->from;
    const int number = offer->number;
    FileAnswer answer;
    answer.transfer = offer->transfer;
    answer.reason = reason;
    Drop(offer, "");
    if (ui_.offerGone) {
        ui_.offerGone(number, reason);
    }
    from->SendMessage(answer);
}

bool Transfers::OnChunk(Connection& from, const FileChunk& chunk, std::string& why) {
    auto it = std::find_if(incoming_.begin(), incoming_.end(), [&](const Incoming& transfer) {
        return transfer.from == &from && transfer.transfer == chunk.transfer;
    });
    if (it == incoming_.end() || !it->accepted) {
        why = it == incoming_.end() ? "chunk of no transfer" : "chunk of an offer not accepted";
        return false;
    }
    Incoming& transfer = *it;
    if (chunk.data.size() > transfer.size - transfer.received) {
        why = "chunk past the offered size";
        return false;
    }
    transfer.received += chunk.data.size();
    if (!transfer.failed) {
        transfer.digest.Update(chunk.data.data(), chunk.data.size());
        for (std::size_t done = 0; done < chunk.data.size();) {
            ssize_t n =
                ::write(transfer.file.Get(), chunk.data.data() + done, chunk.data.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                ui_.print("* cannot save " + transfer.name + ": " + std::strerror(errno));
                transfer.failed = true;
                break;
            }
            done += static_cast<std::size_t>(n);
        }
    }
    Show(transfer.sender, transfer.name, transfer.received, transfer.size, transfer.number,
         transfer.shownPercent);
    if (transfer.received == transfer.size) {
        Finish(transfer);
        Drop(it, "");
    }
    return true;
}

void Transfers::Finish(Incoming& transfer) {
    ui_.status("");
    std::string sum = xsock::demo::Sha256::Hex(transfer.digest.Finish());
    std::string problem;
    if (::close(transfer.file.Release()) != 0) {
        problem = std::strerror(errno);
    } else if (!transfer.failed && sum != transfer.sha256) {
        problem = "sha256 mismatch";
    }
    std::string placed;
    if (problem.empty() && !transfer.failed) {
        placed = PlaceFile(transfer.partial, downloads_, transfer.name, problem);
    }
    if (placed.empty()) {
        // Gone before it is reported: whoever reads the line finds no file.
        std::error_code ignored;
        std::filesystem::remove(transfer.partial, ignored);
        transfer.partial.clear();
        if (!problem.empty()) {
            ui_.print("* discarded " + transfer.name + " from " + transfer.sender + " (" +
                      Bytes(transfer.size) + ", " + problem + ")");
        }
        return;
    }
    transfer.partial.clear();
    ui_.print("* received " + transfer.name + " from " + transfer.sender + " (" +
              Bytes(transfer.size) + ", sha256 ok)" +
              (placed != transfer.name ? ", saved as " + placed : std::string()));
}

void Transfers::Drop(std::list<Incoming>::iterator transfer, const std::string& why) {
    if (transfer->expiry != 0) {
        loop_.KillTimer(transfer->expiry);
    }
    transfer->file.Reset();
    if (!transfer->partial.empty()) {
        std::error_code ignored;
        std::filesystem::remove(transfer->partial, ignored);
    }
    if (!why.empty()) {
        ui_.status("");
        ui_.print("* " + why);
    }
    if (!transfer->accepted && ui_.offerGone && !why.empty()) {
        ui_.offerGone(transfer->number, why);
    }
    incoming_.erase(transfer);
}

}  // namespace messenger
