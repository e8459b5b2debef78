// AsyncSocket: a non-blocking socket with overridable notifications, MFC's
// CAsyncSocket.
//
// Derive from it and override OnReceive, OnSend, OnAccept, OnConnect, OnClose
// and OnOutOfBandData. The notifications come from the SocketLoop of the thread
// that created (or accepted, or attached) the socket, with the firing rules of
// Winsock's WSAAsyncSelect, which MFC code depends on:
//
//   OnConnect(err)   once, when a non-blocking Connect completes: 0 or the errno.
//   OnSend(0)        after a connect succeeds, after Accept hands over the
//                    connection, and after a Send failed with EWOULDBLOCK once
//                    there is room again; never again until another EWOULDBLOCK.
//   OnReceive(0)     data is readable; not again until Receive is called.
//   OnAccept(0)      a connection is waiting; not again until Accept is called.
//   OnClose(err)     the peer closed: 0 for an orderly close, and only after all
//                    pending data was read; ECONNRESET (or another errno) for an
//                    abortive one. Once, and never after a local Close.
//   OnOutOfBandData  urgent data is waiting; not again until Receive is called.
//
// A non-blocking Connect that is under way returns false with GetLastError()
// == EWOULDBLOCK, as Winsock reports it. Calling AsyncSelect re-arms every
// selected event that is already pending (including FD_WRITE on a connected
// socket), as WSAAsyncSelect does.
//
// Errors: calls MFC declares BOOL return bool, the I/O calls return a count or
// SOCKET_ERROR; the cause is kept per thread in GetLastError() (a POSIX errno)
// and GetLastErrorCode(). A failed name lookup reports EHOSTUNREACH, and
// GetLastErrorCode() keeps the resolver's own message. Send never raises
// SIGPIPE, and EINTR is retried inside the library.
//
// Lifetime: deleting a socket, or calling Close, inside any notification (its
// own or another socket's) is safe; no notification reaches a closed or
// destroyed socket. When Accept fails for lack of descriptors (EMFILE, ENFILE,
// ENOBUFS, ENOMEM), OnAccept is held back for kAcceptRetry instead of spinning.
//
// Thread safety: a socket belongs to the loop of the thread that created it.
// The queries that only read the kernel's state of the handle work from any
// thread, as in Winsock (MFC programs read a connection's peer address from
// worker threads): GetPeerName, GetSockName, GetSockOpt, IOCtl(FIONREAD),
// IOCtl(SIOCATMARK) and Handle; the owner must not close the socket while
// another thread asks. Any other call from another thread fails with EPERM and
// changes nothing (Close included); destroying it from another thread is a
// fatal error that aborts with a message. Distinct sockets on distinct threads
// are independent.
#pragma once

#include <sys/ioctl.h>  // FIONBIO, FIONREAD, SIOCATMARK for IOCtl, as afxsock.h brings them
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <xsock/SocketAddress.h>
#include <xsock/SocketLoop.h>
#include <xsock/SocketsExport.h>
#include <xsock/StreamFilter.h>

namespace xsock {

using SOCKET = int;
inline constexpr SOCKET INVALID_SOCKET = -1;
inline constexpr int SOCKET_ERROR = -1;

// Event masks, with Winsock's names and values.
inline constexpr long FD_READ = 0x01;
inline constexpr long FD_WRITE = 0x02;
inline constexpr long FD_OOB = 0x04;
inline constexpr long FD_ACCEPT = 0x08;
inline constexpr long FD_CONNECT = 0x10;
inline constexpr long FD_CLOSE = 0x20;
inline constexpr long FD_ALL = FD_READ | FD_WRITE | FD_OOB | FD_ACCEPT | FD_CONNECT | FD_CLOSE;

class XSOCK_SOCKETS_EXPORT AsyncSocket {
  public:
    enum { receives = 0, sends = 1, both = 2 };

    // How long OnAccept is held back after Accept ran out of descriptors.
    static constexpr std::chrono::milliseconds kAcceptRetry{100};
    // How many closed sockets per thread may still drain a filter's (TLS)
    // output in the background; a Close beyond that closes at once.
    static constexpr std::size_t kMaxClosingFlushes = 64;

    AsyncSocket() noexcept;
    virtual ~AsyncSocket();

    AsyncSocket(const AsyncSocket&) = delete;
    AsyncSocket& operator=(const AsyncSocket&) = delete;

    // Socket() then Bind(port, address). The family follows `address`: an IPv6
    // address gives an AF_INET6 socket, anything else AF_INET. A stream socket
    // bound to a fixed port gets SO_REUSEADDR so a restarted server can bind.
    bool Create(unsigned port = 0, int type = SOCK_STREAM, long events = FD_ALL,
                const char* address = nullptr);
    // Socket() in `local`'s family, then Bind(local), with SO_REUSEADDR as
    // above: the form that needs no name lookup and works for every family.
    bool Create(const SocketAddress& local, int type = SOCK_STREAM, long events = FD_ALL);
    bool Socket(int type = SOCK_STREAM, long events = FD_ALL, int protocol = 0,
                int family = AF_INET);

    bool Bind(unsigned port, const char* address = nullptr);
    bool Bind(const SocketAddress& address);
    bool Listen(int backlog = SOMAXCONN);
    // Hands a waiting connection to `connected`, which must not be open. It
    // inherits this socket's event mask and gets OnSend once it is writable.
    virtual bool Accept(AsyncSocket& connected, SocketAddress* peer = nullptr);

    // Resolves `host` (a name or a numeric address) in the socket's family,
    // as MFC does, and connects to the first address that answers, trying
    // each in turn.
    bool Connect(const char* host, unsigned port);
    // Connects to `address`, or to the first of `candidates` that answers,
    // trying each in turn whatever its family (as SocketAddress::Lookup
    // returns them). When a candidate's family differs from the socket's, an
    // unbound socket is reopened in that family under the same handle, with
    // its event mask and the options SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE,
    // SO_LINGER and TCP_NODELAY; a bound socket keeps its family and such a
    // candidate fails with EAFNOSUPPORT. OnConnect (or a blocking Connect)
    // reports the last failure only when every candidate has failed.
    bool Connect(const SocketAddress& address);
    bool Connect(const std::vector<SocketAddress>& candidates);

    // On a datagram socket, Receive and ReceiveFrom report a datagram longer
    // than `length` as SOCKET_ERROR with EMSGSIZE; `buffer` then holds its start
    // and the rest is gone, as in Winsock.
    virtual int Send(const void* buffer, int length, int flags = 0);
    virtual int Receive(void* buffer, int length, int flags = 0);

    // Datagrams. Without a host, SendTo broadcasts to 255.255.255.255 (the
    // socket needs SetBroadcast(true)), as MFC's SendTo does.
    int SendTo(const void* buffer, int length, unsigned port, const char* host = nullptr,
               int flags = 0);
    virtual int SendTo(const void* buffer, int length, const SocketAddress& to, int flags = 0);
    int ReceiveFrom(void* buffer, int length, std::string& address, unsigned& port, int flags = 0);
    virtual int ReceiveFrom(void* buffer, int length, SocketAddress& from, int flags = 0);
    bool ShutDown(int how = sends);
    // Closes the descriptor. No OnClose follows a local Close.
    virtual void Close();

    bool AsyncSelect(long events = FD_ALL);
    // FIONBIO, FIONREAD and SIOCATMARK (the platform's meaning: nonzero when
    // the next byte read is at the urgent mark). Turning blocking mode on while
    // events are selected fails with EINVAL, as in Winsock.
    bool IOCtl(long command, unsigned long* argument);

    bool GetSockOpt(int option, void* value, int* length, int level = SOL_SOCKET);
    bool SetSockOpt(int option, const void* value, int length, int level = SOL_SOCKET);

    // Typed forms of the common options.
    bool SetReuseAddress(bool on);
    bool SetKeepAlive(bool on);
    bool SetNoDelay(bool on);  // TCP_NODELAY: no Nagle delay for small writes
    bool SetBroadcast(bool on);
    bool SetV6Only(bool on);  // before Bind: false accepts IPv4-mapped peers too
    bool SetSendBufferSize(int bytes);
    bool SetReceiveBufferSize(int bytes);
    bool GetSendBufferSize(int& bytes);
    bool GetReceiveBufferSize(int& bytes);
    // SO_LINGER; SetLinger(true, 0) makes Close send a reset.
    bool SetLinger(bool on, int seconds);

    // Multicast on a datagram socket, IPv4 or IPv6 by the group's address.
    // `interfaceAddress` (IPv4) or an interface name/index (IPv6, e.g. "lo")
    // picks the interface; nullptr lets the system choose.
    bool JoinGroup(const char* group, const char* interfaceAddress = nullptr);
    bool LeaveGroup(const char* group, const char* interfaceAddress = nullptr);
    bool SetMulticastHops(int hops);     // IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS
    bool SetMulticastLoopback(bool on);  // receive our own multicast datagrams
    bool SetMulticastInterface(const char* interfaceAddress);

    bool GetPeerName(std::string& address, unsigned& port);
    bool GetPeerName(SocketAddress& address);
    bool GetSockName(std::string& address, unsigned& port);
    bool GetSockName(SocketAddress& address);

    // Hands a descriptor to this object, which must not be open; the socket
    // then belongs to the calling thread's loop. The way to move a connection
    // to another thread: Detach it on the owner's thread, pass the handle, and
    // Attach it on the other. The descriptor is made non-blocking.
    bool Attach(SOCKET handle, long events = FD_ALL);
    // Takes the descriptor away from this object (which becomes closed) and
    // from its loop, without closing it. INVALID_SOCKET if there was none.
    SOCKET Detach();
    // The socket attached to `handle` in the calling thread's loop, or nullptr:
    // like MFC's handle maps, each thread sees only its own sockets.
    static AsyncSocket* FromHandle(SOCKET handle) noexcept;

    // Puts `filter` between the descriptor and Send/Receive (StreamFilter.h;
    // TLS's StartTls is built on it). On an open, unconnected stream socket
    // its handshake follows the connect; on a connected one it starts now,
    // and a failure, even one found at once, comes as OnClose(err). Fails
    // with ENOTSOCK (not open), EOPNOTSUPP (not a stream socket), EINVAL
    // (listening) or EALREADY (a filter is there).
    bool SetFilter(std::unique_ptr<StreamFilter> filter);
    // Takes the filter off a connected socket (to move it with the descriptor
    // to another thread, where SetFilter puts it back); nullptr if none.
    std::unique_ptr<StreamFilter> TakeFilter();
    StreamFilter* Filter() const noexcept;

    static int GetLastError() noexcept;
    static std::error_code GetLastErrorCode() noexcept;
    // Sets the calling thread's error, as WSASetLastError does; a code of
    // another category is reported by GetLastError() as the errno its
    // default_error_condition names (EPROTO if none).
    static void SetLastError(std::error_code code) noexcept;

    SOCKET Handle() const noexcept { return fd_; }
    explicit operator SOCKET() const noexcept { return fd_; }
    long SelectedEvents() const noexcept { return events_; }
    // The loop delivering this socket's notifications, or nullptr.
    SocketLoop* Loop() const noexcept { return loop_; }

  protected:
    virtual void OnReceive(int errorCode);
    virtual void OnSend(int errorCode);
    virtual void OnOutOfBandData(int errorCode);
    virtual void OnAccept(int errorCode);
    virtual void OnConnect(int errorCode);
    virtual void OnClose(int errorCode);

    // Starts a non-blocking connect to each candidate in turn; the hook a
    // blocking subclass extends.
    virtual bool ConnectHelper(std::vector<SocketAddress> candidates);

  private:
    friend class SocketLoop;
    friend class Socket;
    struct DispatchFrame;
    class DispatchScope;
    struct ConnectPlan;
    struct Filtered;

    enum class State : std::uint8_t { Closed, Open, Listening, Connecting, Connected };

    bool CheckThread() const noexcept;
    bool CheckOpen() const noexcept;
    // For the read-only queries any thread may make: open, on whatever thread.
    bool CheckHandle() const noexcept;
    bool Adopt(SOCKET fd, int family, int type, long events, State state);
    SOCKET Release() noexcept;
    // Bytes the loop holds for this stream socket, taken out of it.
    std::string TakeHeldInput();
    int ReceiveHeld(void* buffer, int length, int flags);
    ssize_t SendThroughLoop(const void* buffer, int length, bool special);
    // How many bytes the loop holds for this socket (or kept for it once its
    // loop is gone); from another thread, those its backend received (bytes
    // carried in by an Attach are counted on the loop's thread only).
    std::size_t HeldCount();
    int SendImpl(const void* buffer, int length, int flags, const SocketAddress* to);
    int ReceiveImpl(void* buffer, int length, int flags, SocketAddress* from);
    ssize_t ReceiveWithSource(void* buffer, int length, int flags, SocketAddress& from);
    bool SetFlag(int level, int option, bool on);
    bool Membership(const char* group, const char* interfaceAddress, bool join);
    void HoldBackAccept();

    // Connecting (AsyncSocketConnect.cpp).
    bool StartConnect() noexcept;
    bool Reopen(int family) noexcept;
    int CompleteConnect() noexcept;
    void AbandonConnect() noexcept;

    // A filter's handshake and I/O (AsyncSocketFilter.cpp).
    bool Handshaking() const noexcept;
    void BeginHandshake(bool afterConnect);
    int StepHandshake() noexcept;
    int FailHandshake(std::error_code error) noexcept;
    void HandshakeExpired();
    // CompleteConnect, then the filter's handshake: 0, an errno, or -1 (going on).
    int ContinueConnect();
    unsigned ConnectInterest() const noexcept;
    void HandleFilteredReady(DispatchFrame& frame, unsigned events);
    unsigned FilteredInterest() const noexcept;
    void MarkBufferedInput() noexcept;
    int FilteredSend(const void* buffer, int length, int flags);
    int FilteredReceive(void* buffer, int length, int flags);
    bool FilteredShutDown(int how);
    // The filter, if output it holds must still leave after Close.
    std::unique_ptr<StreamFilter> FilteredClose() noexcept;
    bool FlushFilter() noexcept;
    std::chrono::steady_clock::time_point HandshakeDeadline() const noexcept;

    // The notification rules (AsyncSocketNotify.cpp).
    // OnClose(err) from the loop for a handshake that failed inside SetFilter.
    void ReportHandshakeFailure(std::error_code error);
    unsigned DesiredInterest() const noexcept;
    unsigned DesiredEvents() const noexcept;
    unsigned WithStreamHint(unsigned interest) const noexcept;
    bool UpdateInterest() noexcept;
    // UpdateInterest after Send or Receive re-armed an event; inside this
    // socket's own notification the dispatch updates once when it ends.
    void UpdateInterestAfterIo() noexcept;
    // `error`: the socket's pending error, which the backend took while it
    // looked (0 if none).
    void HandleReady(unsigned events, int error = 0);
    bool HandleConnectDone(DispatchFrame& frame, unsigned events);
    void HandleReadable(unsigned events);
    // Static: it runs after notifications that may have destroyed the socket.
    static bool StillOpen(const DispatchFrame& frame) noexcept;

    // The calls the loop makes on a socket.
    void OnLoopDestroyed() noexcept;  // keeps the descriptor, drops the loop
    bool IsWaitingInBlockingCall() const noexcept { return waitInterest_ != 0; }
    void SetHeldBack(bool held) noexcept;

    // The calls a blocking Socket makes while it waits for `interest`:
    // readiness then goes to WaitReady() instead of a notification.
    void BeginWait(unsigned interest) noexcept;
    void EndWait() noexcept;
    unsigned WaitReady() const noexcept { return waitReady_; }
    // A blocking Send that waited consumed the FD_WRITE its EWOULDBLOCK armed.
    void TakeWriteNotification() noexcept;

    SOCKET fd_ = INVALID_SOCKET;
    State state_ = State::Closed;
    std::uint8_t family_ = 0;
    std::uint8_t type_ = 0;
    std::uint8_t interest_ = 0;  // what the loop's backend is watching now
    bool readArmed_ = false;
    bool writeArmed_ = false;
    bool acceptArmed_ = false;
    bool oobArmed_ = false;
    bool peerClosed_ = false;
    bool heldBack_ = false;  // a notification waits for a blocking call to end
    bool bound_ = false;     // Bind succeeded: the family may not change
    // SO_SNDBUF was set (here or on the listener): the program sizes its
    // send buffer, so its sends meet the kernel's at once, never a batch.
    bool ownSendBuffer_ = false;
    std::uint8_t waitInterest_ = 0;  // what a blocking call on this socket waits for
    std::uint8_t waitReady_ = 0;     // what the loop reported while it waited
    int closeError_ = 0;             // an abortive close seen by Receive, for OnClose
    bool closeErrorUnread_ = false;  // ... or by the backend: Receive reports it once
    long events_ = 0;
    SocketLoop* loop_ = nullptr;
    DispatchFrame* frames_ = nullptr;
    std::unique_ptr<ConnectPlan> connect_;
    TimerId acceptRetry_ = 0;
    std::unique_ptr<Filtered> filtered_;
};

}  // namespace xsock
