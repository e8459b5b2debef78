// The sending side of xsock-transfer: `xsock-transfer send PATH... --to HOST:PORT`.
//
// Written the way CSocket code is, top to bottom: a blocking xsock::Socket, a
// SocketFile over it, and a loading and a storing Archive, one message after
// the other as TransferProtocol.h lays them out. Each file is read once with
// pread into a 128 KiB chunk and sent straight from that buffer (the archive
// hands large blocks to the socket without copying them); the chunk is then
// hashed on a second thread while the next ones are read and sent, in four
// more reused buffers (BlockPipeline.h), so SHA-256 overlaps the TLS work.
// Folders are walked without following symbolic links (they are skipped with
// a warning); a folder is sent before its contents so empty folders arrive.
//
// Security: the connection is mutual TLS with the key pair of the "transfer"
// profile (demo/common/Identity.h). A server is known by the key pinned when
// the sender paired with it (known-servers.list, by HOST:PORT as typed): a
// different key is refused loudly before anything is sent. An unknown server
// needs --code, the one-time code it printed; pairing checks the server's
// proof of the code before giving its own (TransferProtocol.h).
//
// Errors: the exit status is 0 when every entry arrived, 1 when any was
// refused or failed or the connection broke, 2 for a bad address.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace transfer {

struct SendOptions {
    std::vector<std::string> paths;
    std::string to;                       // HOST:PORT, [IPv6]:PORT
    std::optional<std::string> as;        // the one PATH's name on the server
    std::optional<std::string> code;      // the server's pairing code
    std::uint64_t limitRate = 0;          // bytes per second, 0 for none
    std::chrono::milliseconds timeout{};  // per blocking call, 0 for none
};

int RunSender(const SendOptions& options);

}  // namespace transfer
