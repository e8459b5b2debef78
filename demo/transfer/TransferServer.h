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
// between threads" describes. At most 64 senders are served at once; a
// connection beyond that is closed at once and logged.
//
// What a sender may do to the disk is bounded by ServeLimits (free space,
// modes, depth, entries per connection, the age of part files); a thread of
// its own removes stale part files while the server runs. Every log line is
// passed through SafeText, since it quotes what senders sent.
//
// Errors: a refused or failed file is reported to its sender and logged; a
// broken connection ends only that session. Start fails (false, with a
// message) if the folder cannot be opened or the address cannot be bound.
#pragma once

#include "ServeLimits.h"

#include <xsock/Descriptor.h>
#include <xsock/Socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace transfer {

class TransferServer {
  public:
    using Log = std::function<void(const std::string&)>;

    TransferServer(std::string folder, std::chrono::milliseconds idleTimeout, Log log);
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

    void Serve(xsock::SOCKET handle, std::string peer);
    // `senderId` keys the sender's part files (PartFile::Open).
    void Session(xsock::Socket& socket, const std::string& peer, const std::string& senderId);
    // A file's or folder's path against the depth and per-connection entry
    // limits; empty if it may go on.
    std::string CheckBounds(const std::string& path, std::uint64_t& entries) const;
    void SweepParts();
    void JoinFinished();
    // log_ for every thread, one line at a time.
    void Say(const std::string& line);

    std::string folder_;
    xsock::Descriptor root_;
    std::chrono::milliseconds idleTimeout_;
    Log log_;
    std::mutex logMutex_;
    xsock::Socket listener_;
    std::list<Worker> workers_;
    ServeLimits limits_;
    SpaceLedger ledger_;
    std::mutex sweepMutex_;
    std::condition_variable sweepWake_;
    bool stopping_ = false;
    std::thread sweeper_;
};

}  // namespace transfer
