// Transfers: /send's file transfers, both directions.
//
// Sending: a FileOffer (name, size, SHA-256), then FileChunk objects, queued
// only while the connection's send queue is short; the rest follows from
// OnDrained (the connection's OnSend), so a large file never blocks the loop
// or fills memory. Receiving: chunks go to a temporary file in the downloads
// folder, which is renamed to the offered base name once the size and the
// checksum match; a name with a path in it is refused.
//
// Thread safety: the loop thread's only.
#pragma once

#include "Connection.h"
#include "Messages.h"
#include "Sha256.h"
#include "Ui.h"

#include <xsock/File.h>

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <string>

namespace messenger {

class Transfers {
  public:
    static constexpr std::size_t kChunk = 32 * 1024;
    // Chunks are queued while less than this waits in the send queue.
    static constexpr std::size_t kWindow = 256 * 1024;

    Transfers(Ui& ui, std::filesystem::path downloads);

    // Starts sending `path` to the peer on `to`; prints why not if it cannot.
    void Offer(Connection& to, const std::string& path);
    void OnDrained(Connection& to);
    // false: the message makes no sense (drop the connection).
    bool OnOffer(Connection& from, const FileOffer& offer, std::string& why);
    bool OnChunk(Connection& from, const FileChunk& chunk, std::string& why);
    // The connection is gone: abandon its transfers and their partial files.
    void Forget(const Connection& connection);

  private:
    struct Outgoing {
        Connection* to = nullptr;
        std::uint32_t transfer = 0;
        std::string name;
        std::uint64_t size = 0;
        std::uint64_t sent = 0;
        int shownPercent = -1;
        // Being pumped: sending may drop the connection, and then Forget only
        // clears `to` instead of erasing the transfer under Pump's feet.
        bool busy = false;
        xsock::DiskFile file;
    };
    struct Incoming {
        Connection* from = nullptr;
        std::uint32_t transfer = 0;
        std::string name;
        std::uint64_t size = 0;
        std::uint64_t received = 0;
        std::string sha256;
        std::filesystem::path partial;
        xsock::DiskFile file;
        xsock::demo::Sha256 digest;
        bool failed = false;  // could not be saved: the rest is skipped
    };

    // Pumps the transfer, and erases it when it is finished or abandoned.
    void Drive(std::list<Outgoing>::iterator transfer);
    // Queues chunks up to the window; true when the transfer is over.
    bool Pump(Outgoing& transfer);
    void Progress(Outgoing& transfer);
    void Finish(Incoming& transfer);

    Ui& ui_;
    std::filesystem::path downloads_;
    std::uint32_t nextTransfer_ = 1;
    std::list<Outgoing> outgoing_;
    std::list<Incoming> incoming_;
};

}  // namespace messenger
