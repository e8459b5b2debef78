// Transfers: /send's offers and chunks, paced by the send queue (see
// Transfers.h).
#include "Transfers.h"

#include <xsock/FileException.h>

#include <unistd.h>

#include <algorithm>
#include <system_error>
#include <vector>

namespace messenger {

namespace {

// A plain base name: no directory part, nothing hidden, nothing special.
bool IsSafeName(const std::string& name) {
    return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
           name.find_first_of("/\\") == std::string::npos && name[0] != '.' &&
           SafeText(name) == name;
}

void OpenOrThrow(xsock::DiskFile& file, const std::filesystem::path& path, unsigned flags) {
    xsock::FileException error(xsock::FileException::none, 0);
    if (!file.Open(path.c_str(), flags, &error)) {
        throw error;
    }
}

}  // namespace

Transfers::Transfers(Ui& ui, std::filesystem::path downloads)
    : ui_(ui), downloads_(std::move(downloads)) {}

void Transfers::Offer(Connection& to, const std::string& path) {
    std::string name = std::filesystem::path(path).filename().string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        ui_.print("* cannot send " + path + ": not a readable file");
        return;
    }
    if (!IsSafeName(name)) {
        ui_.print("* cannot send " + path + ": rename it to a plain name first");
        return;
    }
    auto it = outgoing_.emplace(outgoing_.end());
    Outgoing& transfer = *it;
    transfer.to = &to;
    transfer.transfer = nextTransfer_++;
    transfer.name = name;
    transfer.busy = true;
    FileOffer offer;
    try {
        OpenOrThrow(transfer.file, path, xsock::File::modeRead);
        transfer.size = transfer.file.GetLength();
        // Read once for the checksum first: the receiver checks what it saved.
        offer.sha256 = xsock::demo::Sha256::Hex(xsock::demo::Sha256::OfFile(path));
    } catch (const std::exception& failure) {
        ui_.print("* cannot send " + path + ": " + failure.what());
        outgoing_.erase(it);
        return;
    }
    offer.transfer = transfer.transfer;
    offer.name = name;
    offer.size = transfer.size;
    ui_.print("* offering " + name + " to " + to.name + " (" + std::to_string(transfer.size) +
              " bytes)");
    to.SendMessage(offer);
    Drive(it);
}

void Transfers::OnDrained(Connection& to) {
    // By id: pumping one transfer may end the connection and erase others.
    std::vector<std::uint32_t> waiting;
    for (const Outgoing& transfer : outgoing_) {
        if (transfer.to == &to) {
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
        Progress(transfer);
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

void Transfers::Progress(Outgoing& transfer) {
    int percent = transfer.size == 0 ? 100 : static_cast<int>(transfer.sent * 100 / transfer.size);
    // Every percent in the prompt; in line mode a line per quarter.
    int step = ui_.terminal ? 1 : 25;
    if (percent / step != transfer.shownPercent / step) {
        transfer.shownPercent = percent;
        ui_.status("sending " + transfer.name + " to " + transfer.to->name + ": " +
                   std::to_string(percent) + "% (" + std::to_string(transfer.sent) + "/" +
                   std::to_string(transfer.size) + " bytes)");
    }
}

bool Transfers::OnOffer(Connection& from, const FileOffer& offer, std::string& why) {
    if (!IsSafeName(offer.name)) {
        why = "file name refused: '" + offer.name + "'";  // shown through SafeText
        return false;
    }
    for (const Incoming& other : incoming_) {
        if (other.from == &from && other.transfer == offer.transfer) {
            why = "transfer offered twice";
            return false;
        }
    }
    Incoming& transfer = incoming_.emplace_back();
    transfer.from = &from;
    transfer.transfer = offer.transfer;
    transfer.name = offer.name;
    transfer.size = offer.size;
    transfer.sha256 = offer.sha256;
    transfer.partial = downloads_ / ("." + offer.name + ".part-" + std::to_string(::getpid()) +
                                     "-" + std::to_string(offer.transfer));
    try {
        std::filesystem::create_directories(downloads_);
        OpenOrThrow(transfer.file, transfer.partial,
                    xsock::File::modeCreate | xsock::File::modeWrite);
    } catch (const std::exception& failure) {
        ui_.print("* cannot save " + offer.name + " from " + from.name + ": " + failure.what());
        transfer.failed = true;
    }
    ui_.print("* receiving " + offer.name + " from " + from.name + " (" +
              std::to_string(offer.size) + " bytes)");
    if (offer.size == 0) {
        Finish(transfer);
        incoming_.pop_back();
    }
    return true;
}

bool Transfers::OnChunk(Connection& from, const FileChunk& chunk, std::string& why) {
    auto it = incoming_.begin();
    while (it != incoming_.end() && !(it->from == &from && it->transfer == chunk.transfer)) {
        ++it;
    }
    if (it == incoming_.end() || chunk.data.size() > it->size - it->received) {
        why = it == incoming_.end() ? "chunk of no transfer" : "chunk past the offered size";
        return false;
    }
    Incoming& transfer = *it;
    transfer.received += chunk.data.size();
    if (!transfer.failed) {
        try {
            transfer.file.Write(chunk.data.data(), chunk.data.size());
            transfer.digest.Update(chunk.data.data(), chunk.data.size());
        } catch (const xsock::FileException& failure) {
            ui_.print("* cannot save " + transfer.name + ": " + failure.what());
            transfer.failed = true;
        }
    }
    if (transfer.received == transfer.size) {
        Finish(transfer);
        incoming_.erase(it);
    }
    return true;
}

void Transfers::Finish(Incoming& transfer) {
    std::error_code ignored;
    if (transfer.failed) {
        std::filesystem::remove(transfer.partial, ignored);
        return;
    }
    std::string size = std::to_string(transfer.size) + " bytes";
    std::string sum = xsock::demo::Sha256::Hex(transfer.digest.Finish());
    try {
        transfer.file.Close();
    } catch (const xsock::FileException& failure) {
        ui_.print("* cannot save " + transfer.name + ": " + failure.what());
        std::filesystem::remove(transfer.partial, ignored);
        return;
    }
    if (sum != transfer.sha256) {
        std::filesystem::remove(transfer.partial, ignored);
        ui_.print("* discarded " + transfer.name + " from " + transfer.from->name + " (" + size +
                  ", sha256 mismatch)");
        return;
    }
    std::error_code error;
    std::filesystem::path target = downloads_ / transfer.name;
    std::filesystem::rename(transfer.partial, target, error);
    if (error) {
        std::filesystem::remove(transfer.partial, ignored);
        ui_.print("* cannot save " + transfer.name + ": " + error.message());
        return;
    }
    ui_.print("* received " + transfer.name + " from " + transfer.from->name + " (" + size +
              ", sha256 ok)");
}

void Transfers::Forget(const Connection& connection) {
    std::error_code ignored;
    for (auto it = incoming_.begin(); it != incoming_.end();) {
        if (it->from == &connection) {
            it->file.Abort();
            std::filesystem::remove(it->partial, ignored);
            ui_.print("* gave up receiving " + it->name + " (" + std::to_string(it->received) +
                      " of " + std::to_string(it->size) + " bytes arrived)");
            it = incoming_.erase(it);
        } else {
            ++it;
        }
    }
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
