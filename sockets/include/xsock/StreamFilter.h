// StreamFilter: a layer between a stream socket's descriptor and the bytes its
// Send and Receive carry, the seam TLS (<xsock/Tls.h>) plugs into. MFC has no
// counterpart.
//
// AsyncSocket::SetFilter puts one on a socket; from then on the socket keeps
// section 3's notification rules in terms of the filter's bytes, not the
// descriptor's: OnReceive while decoded bytes can be read (also when they wait
// inside the filter with nothing left on the descriptor), OnSend once output
// the filter holds has drained, OnClose(0) only for the filter's orderly end.
// A filter with a handshake runs it before any data moves: a client's
// OnConnect comes when it is done, a socket that was already connected gets
// OnSend(0) (OnClose with the error if it fails).
//
// The socket calls the filter only on its own thread, with its descriptor,
// which is non-blocking. Every call returns at once: a result of -1 comes with
// `error` set, EWOULDBLOCK when the call needs the descriptor to become
// readable (or writable, while HasPendingOutput() is true) to go on. Errors of
// the protocol itself are EPROTO-equivalent codes (their category's
// default_error_condition is EPROTO) whose message says why.
#pragma once

#include <xsock/SocketsExport.h>

#include <chrono>
#include <cstddef>
#include <system_error>

namespace xsock {

class XSOCK_SOCKETS_EXPORT StreamFilter {
  public:
    StreamFilter() = default;
    virtual ~StreamFilter();
    StreamFilter(const StreamFilter&) = delete;
    StreamFilter& operator=(const StreamFilter&) = delete;

    // Advances the handshake: 1 when it is done (at once if there is none, or
    // it was done before the filter moved to this socket), 0 while it waits
    // for the descriptor, -1 when it failed.
    virtual int Handshake(int fd, std::error_code& error) = 0;
    // Decoded bytes into `buffer` (left in place with `peek`): a count, 0 for
    // the peer's orderly end, or -1 (ECONNABORTED: the stream was cut without
    // that end). The end, once seen, is reported again by every later call.
    virtual long Read(int fd, void* buffer, std::size_t length, bool peek,
                      std::error_code& error) = 0;
    // Takes up to `length` bytes and writes what it can: the count taken, or
    // -1 (EWOULDBLOCK while earlier output still waits for the descriptor).
    virtual long Write(int fd, const void* buffer, std::size_t length, std::error_code& error) = 0;
    // Writes output that earlier calls left waiting; true once none waits.
    virtual bool Flush(int fd, std::error_code& error) = 0;
    virtual bool HasPendingOutput() const noexcept = 0;
    // Input taken off the descriptor (decoded or not) waits inside the filter.
    virtual bool HasBufferedInput() const noexcept = 0;
    // Ends this side's output (TLS's close_notify), writing what it can.
    virtual bool Shutdown(int fd, std::error_code& error) = 0;
    // How long a handshake may take, and what its failure then reports.
    virtual std::chrono::milliseconds HandshakeTimeout() const noexcept = 0;
    virtual std::error_code HandshakeTimedOut() const = 0;
    // Bytes of the stream that the socket's loop had already taken off the
    // descriptor when the filter was put on (the io_uring backend receives
    // into buffers of its own): the filter must read them before the
    // descriptor's. False if it cannot, and SetFilter then fails with
    // EOPNOTSUPP. A filter that takes them counts them as buffered input.
    virtual bool TakeInput(const void* data, std::size_t length);
};

}  // namespace xsock
