// Transfers: /send's offers and chunks, paced by the send queue, and what
// both directions share (see Transfers.h). Receiving is in
// TransfersIncoming.cpp.
#include "Transfers.h"

#include <xsock/FileException.h>

#include <algorithm>
#include <system_error>
#include <vector>

namespace messenger {

namespace {

void OpenOrThrow(xsock::DiskFile& file, const std::filesystem::path& path, unsigned flags) {
    xsock::FileException error(xsock::FileException::none, 0);
    if (!file.Open(path.c_str(), flags, &error)) {
        throw error;
    }
}

}  // namespace

Transfers::Transfers(xsock::SocketLoop& loop, Ui& ui, std::filesystem::path downloads,
                     const demo::Identity& identity, Limits limits)
    : loop_(loop),
      ui_(ui),
      downloads_(std::move(downloads)),
      id_(identity.fingerprint),
      signer_(identity),
      limits_(limits) {}

Transfers::~Transfers() {
    for (Incoming& transfer : incoming_) {
        if (transfer.expiry != 0) {
            loop_.KillTimer(transfer.expiry);
        }
        if (!transfer.partial.empty()) {
            std::error_code ignored;
            std::filesystem::remove(transfer.partial, ignored);
        }
    }
}

void Transfers::Offer(Connection& to, const std::string& path) {
    std::string name = std::filesystem::path(path).filename().string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        ui_.print("* cannot send " + path + ": not a readable file");
        return;
    }
    if (!IsSafeFileName(name)) {
        ui_.print("* cannot send " + path + ": rename it to a plain name first");
        return;
    }
    auto it = outgoing_.emplace(outgoing_.end());
    Outgoing& transfer = *it;
    transfer.to = &to;
    transfer.transfer = nextTransfer_++;
    transfer.name = name;
    FileOffer offer;
    try {
        OpenOrThrow(transfer.file, path, xsock::File::modeRead);
        transfer.size = transfer.file.GetLength();
        // Read once for the checksum first: the receiver checks what it saved.
        offer.sha256 = xsock::demo::Sha256::Hex(xsock::demo::Sha256::OfFile(path));
        offer.transfer = transfer.transfer;
        offer.name = name;
        offer.size = transfer.size;
        offer.publicKey = signer_.PublicKey();
        offer.signature = signer_.Sign(OfferSignedBytes(offer, id_, to.peerId));
    } catch (const std::exception& failure) {
        ui_.print("* cannot send " + path + ": " + failure.what());
        outgoing_.erase(it);
        return;
    }
    ui_.print("* offering " + name + " to " + to.name + " (" + std::to_string(transfer.size) +
              " bytes); waiting for " + to.name + " to accept it");
    to.SendMessage(offer);
}

bool Transfers::OnAnswer(Connection& from, const FileAnswer& answer, std::string& why) {
    auto it = std::find_if(outgoing_.begin(), outgoing_.end(), [&](const Outgoing& transfer) {
        return transfer.to == &from && transfer.transfer == answer.transfer && !transfer.answered;
    });
    if (it == outgoing_.end()) {
        why = "an answer to no offer";
        return false;
    }
    if (!answer.accepted) {
        // A line, not a page: the reason is the peer's text.
        ui_.print("* " + from.name + " refused " + it->name + " (" +
                  SafeText(answer.reason.substr(0, 200)) + ")");
        if (!it->busy) {
            outgoing_.erase(it);
        }
        return true;
    }
    it->answered = true;
    ui_.print("* " + from.name + " accepted " + it->name);
    Drive(it);
    return true;
}

void Transfers::OnDrained(Connection& to) {
    // By id: pumping one transfer may end the connection and erase others.
    std::vector<std::uint32_t> waiting;
    for (const Outgoing& transfer : outgoing_) {
        if (transfer.to == &to && transfer.answered) {
            waiting.push_back(transfer.transfer);
        }
    }
    for (std::uint32_t id : waiting) {
        auto it = std::find_if(outgoing_.begin(), outgoing_.end(),
                               [id](const Outgoing& transfer) { return transfer.transfer == id; });
        if (it != outgoing_.end()) {
            Drive(it);
        }
    }
}

void Transfers::Drive(std::list<Outgoing>::iterator transfer) {
    transfer->busy = true;
    bool over = Pump(*transfer);
    transfer->busy = false;
    if (over) {
        outgoing_.erase(transfer);
    }
}

bool Transfers::Pump(Outgoing& transfer) {
    std::vector<char> buffer(kChunk);
    // transfer.to turns null if a send finds the connection broken (Forget).
    while (transfer.to != nullptr && transfer.sent < transfer.size &&
           transfer.to->Queued() < kWindow) {
        std::size_t n = 0;
        try {
            n = transfer.file.Read(buffer.data(), buffer.size());
        } catch (const xsock::FileException&) {
            n = 0;
        }
        if (n == 0) {
            // The file shrank under us: the peer would wait for ever.
            ui_.print("* stopped sending " + transfer.name + ": the file changed");
            transfer.to->Drop("file transfer broken off", false);
            return true;
        }
        n = static_cast<std::size_t>(std::min<std::uint64_t>(n, transfer.size - transfer.sent));
        FileChunk chunk;
        chunk.transfer = transfer.transfer;
        chunk.data.assign(buffer.data(), n);
        transfer.sent += n;
        Show(transfer.to->name, transfer.name, transfer.sent, transfer.size, 0,
             transfer.shownPercent);
        transfer.to->SendMessage(chunk);
    }
    if (transfer.to == nullptr) {
        return true;
    }
    if (transfer.sent < transfer.size) {
        return false;
    }
    ui_.status("");
    ui_.print("* sent " + transfer.name + " to " + transfer.to->name + " (" +
              std::to_string(transfer.size) + " bytes)");
    return true;
}

void Transfers::Show(const std::string& peer, const std::string& name, std::uint64_t done,
                     std::uint64_t size, int number, int& shownPercent) {
    if (ui_.progress) {
        ui_.progress({number, number != 0, peer, name, done, size});
    }
    int percent = size == 0 ? 100 : static_cast<int>(done * 100 / size);
    // Every percent in the prompt; in line mode a line per quarter.
    int step = ui_.terminal ? 1 : 25;
    if (percent / step != shownPercent / step) {
        shownPercent = percent;
        ui_.status((number != 0 ? "receiving " + name + " from " : "sending " + name + " to ") +
                   peer + ": " + std::to_string(percent) + "% (" + std::to_string(done) + "/" +
                   std::to_string(size) + " bytes)");
    }
}

void Transfers::Forget(const Connection& connection) {
    for (auto it = incoming_.begin(); it != incoming_.end();) {
        auto next = std::next(it);
        if (it->from == &connection) {
            Drop(it, it->accepted
                         ? "gave up receiving " + it->name + " (" + std::to_string(it->received) +
                               " of " + std::to_string(it->size) + " bytes arrived)"
                         : "offer " + std::to_string(it->number) + " (" + it->name + " from " +
                               it->sender + ") withdrawn: the link closed");
        }
        it = next;
    }
    lastOffered_.erase(&connection);
    for (auto it = outgoing_.begin(); it != outgoing_.end();) {
        if (it->to == &connection) {
            ui_.status("");
            ui_.print("* gave up sending " + it->name + " to " + connection.name);
            it->to = nullptr;
            it = it->busy ? std::next(it) : outgoing_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace messenger
