// Transfers: /send's file transfers, both directions, with the receiving
// user's consent.
//
// Sending: a FileOffer (name, size, SHA-256, signed by this peer's key for
// the recipient), then nothing until the recipient answers (FileAnswer). Once
// accepted, FileChunk objects are queued only while the connection's send
// queue is short; the rest follows from OnDrained (the connection's OnSend),
// so a large file never blocks the loop or fills memory. Refused, the sender
// prints why.
//
// Receiving: an offer whose signature is not by the link's proved key, whose
// name has a path or anything SafeText would change in it, or whose transfer
// id does not increase drops the link; one past the bounds in flight (per
// peer, in all) is refused at once with a notice. Otherwise it waits for
// /accept N or /reject N (N a small local number), and is refused when left
// unanswered for Limits::answerTime. Nothing is created before /accept, which
// checks the size cap and the free space, and only then opens a partial file
// (Downloads.h). A chunk for an offer not accepted drops the link. The file
// takes its name, or a new one if that exists, only once the size and the
// SHA-256 match; a mismatch deletes it.
//
// Thread safety: the loop thread's only.
#pragma once

#include "Connection.h"
#include "Messages.h"
#include "Ui.h"

#include <Identity.h>
#include <Sha256.h>
#include <Signature.h>
#include <xsock/Descriptor.h>
#include <xsock/File.h>
#include <xsock/SocketLoop.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <list>
#include <map>
#include <string>

namespace messenger {

// Bounds on what peers' file offers may take on the receiving side.
struct TransferLimits {
    std::uint64_t maxFile = std::uint64_t{4} << 30;  // --max-file MIB
    // Kept free on the downloads disk once an accepted file is complete.
    std::uint64_t margin = std::uint64_t{64} << 20;
    std::size_t perPeer = 8;  // offers waiting or being received, from one peer
    std::size_t total = 32;   // the same, from everyone
    std::chrono::milliseconds answerTime = std::chrono::minutes(10);  // --offer-timeout SEC
};

class Transfers {
  public:
    static constexpr std::size_t kChunk = 32 * 1024;
    // Chunks are queued while less than this waits in the send queue.
    static constexpr std::size_t kWindow = 256 * 1024;

    using Limits = TransferLimits;

    // Throws std::runtime_error if the identity's key cannot sign.
    Transfers(xsock::SocketLoop& loop, Ui& ui, std::filesystem::path downloads,
              const demo::Identity& identity, Limits limits = {});
    ~Transfers();
    Transfers(const Transfers&) = delete;
    Transfers& operator=(const Transfers&) = delete;

    // Removes partial files a killed messenger left in the downloads folder.
    void RemoveStalePartials();
    // Offers `path` to the peer on `to`; prints why not if it cannot.
    void Offer(Connection& to, const std::string& path);
    // The user's answer to offer `number`.
    void Accept(int number);
    void Reject(int number);
    void OnDrained(Connection& to);
    // false: the message makes no sense (drop the connection).
    bool OnOffer(Connection& from, const FileOffer& offer, std::string& why);
    bool OnAnswer(Connection& from, const FileAnswer& answer, std::string& why);
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
        bool answered = false;  // accepted: chunks may go
        // Being pumped: sending may drop the connection, and then Forget only
        // clears `to` instead of erasing the transfer under Pump's feet.
        bool busy = false;
        xsock::DiskFile file;
    };
    struct Incoming {
        int number = 0;
        Connection* from = nullptr;
        std::string sender;  // the peer's name when it offered
        std::uint32_t transfer = 0;
        std::string name;
        std::uint64_t size = 0;
        std::uint64_t received = 0;
        int shownPercent = -1;
        std::string sha256;
        bool accepted = false;
        xsock::TimerId expiry = 0;
        std::filesystem::path partial;
        xsock::Descriptor file;
        xsock::demo::Sha256 digest;
        bool failed = false;  // could not be saved: the rest is skipped
    };

    // Pumps the transfer, and erases it when it is finished or abandoned.
    void Drive(std::list<Outgoing>::iterator transfer);
    // Queues chunks up to the window; true when the transfer is over.
    bool Pump(Outgoing& transfer);
    void Show(const std::string& peer, const std::string& name, std::uint64_t done,
              std::uint64_t size, int number, int& shownPercent);
    std::list<Incoming>::iterator Find(int number);
    // Tells the sender, and forgets the offer.
    void Refuse(std::list<Incoming>::iterator offer, const std::string& reason);
    void Finish(Incoming& transfer);
    // Ends an incoming transfer: its timer, its partial file, the front end.
    void Drop(std::list<Incoming>::iterator transfer, const std::string& why);

    xsock::SocketLoop& loop_;
    Ui& ui_;
    std::filesystem::path downloads_;
    std::string id_;
    demo::Signer signer_;
    Limits limits_;
    std::uint32_t nextTransfer_ = 1;
    int nextNumber_ = 1;
    std::list<Outgoing> outgoing_;
    std::list<Incoming> incoming_;
    // The last transfer id offered on each link: ids must increase.
    std::map<const Connection*, std::uint32_t> lastOffered_;
};

// A plain base name: no directory part, nothing hidden, nothing SafeText
// would change.
bool IsSafeFileName(const std::string& name);

}  // namespace messenger
