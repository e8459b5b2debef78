// The receiving side of xsock-transfer: `xsock-transfer serve`.
//
// One thread per connection, each with a blocking xsock::Socket, its own
// SocketLoop, and a SocketFile with a loading and a storing Archive: MFC's
// CSocket + CSocketFile + CArchive style, which lets a session read top to
// bottom like the protocol in TransferProtocol.h. A thread per connection,
// rather than AsyncSocket with archive transactions on one thread, because
// every chunk is also hashed and written to disk: that work would stall all
// other senders on a single loop, while separate threads keep one slow disk
// write or a resume's re-hash from holding up anyone else, and use both
// cores. The listener accepts on the main thread and hands each connection's
// descriptor to its worker with Detach/Attach, as docs/design.md "Moving sockets
// between threads" describes. While a file arrives, two more threads of its
// PartFile hash and write the chunks the connection's thread has received,
// so a session holds at most 5 chunks (5 MiB of the protocol's largest, 640
// KiB of the 128 KiB ones xsock-transfer sends). At most 64 senders are served
// at once; a connection beyond that is closed at once and logged.
//
// Strangers: every connection is mutual TLS, and only senders whose key is on
// the authorized list (or who pair with the open code) get past the opening
// Hello; see TransferProtocol.h. Until then a connection is a stranger, with a
// deadline for the handshake and the Hello together. Strangers are bounded in
// all and per address: one past the bound evicts the oldest stranger (from
// that address, or, past the bound in all, from the address holding the most
// strangers), so a crowd of silent connections cannot keep a paired sender
// out, nor push one out while it proves its key unless the crowd comes from
// as many addresses as the bound in all; each costs at most a thread for the
// deadline. After
// that, every message (a whole chunk included) must arrive within the idle
// timeout from when the server began waiting for it, so a peer that dribbles a
// byte at a time cannot hold a slot.
//
// What a sender may do to the disk is bounded by ServeLimits (free space,
// modes, depth, entries per connection, the age of part files); a thread of
// its own removes stale part files while the server runs. Every log line is
// passed through SafeText, since it quotes what senders sent; lines that
// connections not yet paired cause (dropped, refused, turned away) are at most
// a hundred a minute, so that anyone who reaches the port cannot flood the log.
//
// Errors: a refused or failed file is reported to its sender and logged; a
// broken connection ends only that session. Start fails (false, with a
// message) if the folder cannot be opened, the identity cannot be used or the
// address cannot be bound.
#pragma once

#include <Identity.h>
#include <xsock/Archive.h>
#include <xsock/Descriptor.h>
#include <xsock/Socket.h>
#include <xsock/Tls.h>
#include "SenderQuota.h"
#include "ServeLimits.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace transfer {

class SessionSocket;

struct ServerOptions {
    std::string folder;
    std::chrono::milliseconds idleTimeout{std::chrono::seconds(300)};
    std::chrono::milliseconds handshakeTimeout{std::chrono::seconds(10)};
    demo::Identity identity;
    std::string authorizedFile;  // senders known by key
    std::string codeFile;        // the open pairing code
    std::size_t maxStrangers = 32;
    std::size_t maxStrangersPerAddress = 8;
    std::size_t maxSenders = 64;   // paired senders served at once
    std::uint64_t quotaBytes = 0;  // per sender, over all its files; 0: none
    std::string usageFile;         // what each sender has stored (SenderQuota)
};

class TransferServer {
  public:
    using Log = std::function<void(const std::string&)>;

    TransferServer(ServerOptions options, Log log);
    ~TransferServer();
    TransferServer(const TransferServer&) = delete;
    TransferServer& operator=(const TransferServer&) = delete;

    // Before Start; the defaults otherwise.
    void SetLimits(const ServeLimits& limits) { limits_ = limits; }
    bool Start(const xsock::SocketAddress& address, std::string& error);
    xsock::SocketAddress LocalAddress();
    // Accepts connections until accepting fails; returns the exit status.
    int Run();

  private:
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> finished;
    };
    // A connection's place in the admission count, guarded by connectionsMutex_.
    struct Connection {
        std::uint64_t id;
        std::string address;
        xsock::SOCKET handle;
        bool paired = false;
        bool evicted = false;
    };
    class Registration;

    bool Admit(xsock::SocketAddress peer, xsock::SOCKET handle, std::uint64_t& id);
    void Evict(const std::string& address);
    void MarkPaired(std::uint64_t id);
    void Serve(xsock::SOCKET handle, std::string peer, std::uint64_t id);
    // `greeted` turns true once the sender got past Greet.
    void Session(SessionSocket& socket, const std::string& peer, std::uint64_t id, bool& greeted);
    bool Greet(SessionSocket& socket, xsock::Archive& in, xsock::Archive& out,
               const std::string& peer);
    bool Pair(SessionSocket& socket, xsock::Archive& in, xsock::Archive& out,
              const std::string& peer, const std::string& fingerprint);
    // A file's or folder's path against the depth and per-connection entry
    // limits; empty if it may go on.
    std::string CheckBounds(const std::string& path, std::uint64_t& entries) const;
    void SweepParts();
    void JoinFinished();
    // log_ for every thread, one line at a time.
    void Say(const std::string& line);
    // Say for what a connection not yet paired caused, at most
    // kStrangerLinesPerMinute lines a minute.
    void SayAboutStranger(const std::string& line);

    static constexpr std::uint64_t kStrangerLinesPerMinute = 100;

    ServerOptions options_;
    xsock::Descriptor root_;
    Log log_;
    std::mutex logMutex_;
    std::mutex strangerLogMutex_;
    std::chrono::steady_clock::time_point strangerMinute_;
    std::uint64_t strangerLines_ = 0;
    std::uint64_t strangerLinesLeftOut_ = 0;
    std::optional<xsock::TlsContext> tls_;
    xsock::Socket listener_;
    std::list<Worker> workers_;
    std::mutex connectionsMutex_;
    std::list<Connection> connections_;
    std::uint64_t nextId_ = 0;
    SenderQuota quota_;
    ServeLimits limits_;
    SpaceLedger ledger_;
    std::mutex sweepMutex_;
    std::condition_variable sweepWake_;
    bool stopping_ = false;
    std::thread sweeper_;
};

}  // namespace transfer
