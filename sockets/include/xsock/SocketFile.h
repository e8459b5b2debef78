// SocketFile: a File over a blocking Socket, MFC's CSocketFile.
//
// It lets an Archive read and write a connection: `Archive in(file,
// Archive::load)` and `Archive out(file, Archive::store)` over one SocketFile
// give MFC's classic pair of archives on a CSocket. Writes send every byte (a
// Socket's Send blocks until they are out). In archive-compatible mode (the
// default, as in MFC) a Read makes one Receive and returns what it brought, at
// least one byte, so an archive never waits for more than the value it is
// reading; with archiveCompatible false a Read waits until it has all it was
// asked for or the peer closed. Read returns 0 once the peer has closed.
//
// Errors: a failed Send or Receive throws FileException with the errno
// (ETIMEDOUT after the Socket's SetTimeout, EINTR after CancelBlockingCall);
// a SocketFile cannot position itself, so Seek, GetLength and friends throw
// FileException(badSeek). Close lets go of the socket without closing it, as
// CSocketFile does.
//
// Thread safety: as the Socket it wraps — the socket's own thread only.
#pragma once

#include <xsock/File.h>
#include <xsock/Socket.h>
#include <xsock/SocketsExport.h>

#include <cstddef>

namespace xsock {

class XSOCK_SOCKETS_EXPORT SocketFile : public File {
  public:
    explicit SocketFile(Socket* socket, bool archiveCompatible = true) noexcept;

    std::size_t Read(void* buffer, std::size_t count) override;
    void Write(const void* buffer, std::size_t count) override;
    void Close() override;
    void Abort() noexcept override;

    Socket* GetSocket() const noexcept { return socket_; }
    bool IsArchiveCompatible() const noexcept { return archiveCompatible_; }

  private:
    Socket& Require() const;

    Socket* socket_;
    bool archiveCompatible_;
};

}  // namespace xsock
