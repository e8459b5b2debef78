// afxsock.h for xsock::mfc: CAsyncSocket, CSocket and CSocketFile over
// xsock::AsyncSocket, xsock::Socket and xsock::SocketFile, with the Winsock
// names MFC code uses unqualified (afx/Winsock.h).
//
// As in MFC, CSocket derives from CAsyncSocket and both are CObjects with
// DECLARE_DYNAMIC: a CSocket passes where a CAsyncSocket* or & is expected,
// its Send, Receive, Accept, Close, SendTo and ReceiveFrom are the virtual
// overrides of CAsyncSocket's, and IsKindOf(RUNTIME_CLASS(CAsyncSocket)) is
// true for it. One socket underneath: CAsyncSocket is the core's
// xsock::Socket with every blocking call turned back into the core's
// non-blocking AsyncSocket call, and CSocket turns them blocking again, so
// notifications, blocking and the pump are the core's (while a CSocket call
// blocks, timers, posted tasks and other sockets' notifications wait until it
// returns, as CSocket::PumpMessages leaves them in the queue). CSocket's
// overridable is MFC's `virtual BOOL OnMessagePending()`.
//
// AfxSocketInit installs, on the calling thread's loop, an exception handler
// that reports an exception escaping a notification to stderr (deleting a
// CException*) and keeps the loop running, as MFC's window procedure does;
// call it on every thread that runs sockets.
//
// Thread rules and errors: as the core's AsyncSocket and Socket (any thread
// may call GetPeerName, GetSockName, GetSockOpt and IOCtl(FIONREAD)); failures
// are FALSE or SOCKET_ERROR with the errno in GetLastError(); CSocketFile
// throws CFileException*.
#pragma once

#include "afx.h"
#include "afx/Winsock.h"

#include <xsock/AsyncSocket.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace xsock::mfc {

// What AfxSocketInit installs: report, free a CException*, carry on.
inline void ReportLoopException(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (CException* e) {
        TCHAR text[512];
        e->GetErrorMessage(text, sizeof text / sizeof text[0]);
        std::fprintf(stderr, "xsock::mfc: %s in a socket notification: %s\n",
                     e->GetRuntimeClass()->m_lpszClassName, Narrow(text).c_str());
        e->Delete();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xsock::mfc: exception in a socket notification: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "xsock::mfc: unknown exception in a socket notification\n");
    }
}

}  // namespace xsock::mfc

class CAsyncSocket : public CObject, public xsock::Socket {
    DECLARE_DYNAMIC(CAsyncSocket)
  public:
    using xsock::Socket::Bind;
    using xsock::Socket::Connect;
    using xsock::Socket::GetPeerName;
    using xsock::Socket::GetSockName;
    using xsock::Socket::IOCtl;
    using xsock::Socket::ReceiveFrom;
    using xsock::Socket::SendTo;

    CAsyncSocket() = default;

    BOOL Create(UINT port = 0, int type = SOCK_STREAM, long events = FD_ALL,
                LPCTSTR address = nullptr) {
        return xsock::AsyncSocket::Create(port, type, events, address);
    }
    // MFC's Socket(); in this class the name would otherwise be the core's
    // Socket class.
    BOOL Socket(int type = SOCK_STREAM, long events = FD_ALL, int protocol = 0,
                int family = AF_INET) {
        return xsock::AsyncSocket::Socket(type, events, protocol, family);
    }

    // MFC's public m_hSocket, read from the core's handle.
    class HandleView {
      public:
        explicit HandleView(const xsock::AsyncSocket* owner) noexcept : owner_(owner) {}
        operator SOCKET() const noexcept { return owner_->Handle(); }

      private:
        const xsock::AsyncSocket* owner_;
    };
    const HandleView m_hSocket{this};

    // The socket of this thread attached to `handle`, or NULL (MFC's handle
    // maps are per thread too).
    static CAsyncSocket* FromHandle(SOCKET handle) noexcept {
        return dynamic_cast<CAsyncSocket*>(xsock::AsyncSocket::FromHandle(handle));
    }

    virtual BOOL Accept(CAsyncSocket& connected, SOCKADDR* address = nullptr,
                        int* length = nullptr) {
        xsock::SocketAddress peer;
        return Accept(static_cast<xsock::AsyncSocket&>(connected), &peer) &&
               (address == nullptr || CopyOut(peer, address, length));
    }
    bool Accept(xsock::AsyncSocket& connected, xsock::SocketAddress* peer = nullptr) override {
        return xsock::AsyncSocket::Accept(connected, peer);
    }
    int Send(const void* buffer, int length, int flags = 0) override {
        return xsock::AsyncSocket::Send(buffer, length, flags);
    }
    int Receive(void* buffer, int length, int flags = 0) override {
        return xsock::AsyncSocket::Receive(buffer, length, flags);
    }
    int SendTo(const void* buffer, int length, const xsock::SocketAddress& to,
               int flags = 0) override {
        return xsock::AsyncSocket::SendTo(buffer, length, to, flags);
    }
    int ReceiveFrom(void* buffer, int length, xsock::SocketAddress& from, int flags = 0) override {
        return xsock::AsyncSocket::ReceiveFrom(buffer, length, from, flags);
    }

    BOOL GetPeerName(CString& address, UINT& port) {
        std::string text;
        unsigned number = 0;
        const bool ok = xsock::AsyncSocket::GetPeerName(text, number);
        address = CString(text.c_str());
        port = number;
        return ok;
    }
    BOOL GetSockName(CString& address, UINT& port) {
        std::string text;
        unsigned number = 0;
        const bool ok = xsock::AsyncSocket::GetSockName(text, number);
        address = CString(text.c_str());
        port = number;
        return ok;
    }
    BOOL GetPeerName(SOCKADDR* address, int* length) {
        xsock::SocketAddress peer;
        return xsock::AsyncSocket::GetPeerName(peer) && CopyOut(peer, address, length);
    }
    BOOL GetSockName(SOCKADDR* address, int* length) {
        xsock::SocketAddress local;
        return xsock::AsyncSocket::GetSockName(local) && CopyOut(local, address, length);
    }
    BOOL Connect(const SOCKADDR* address, int length) {
        return xsock::AsyncSocket::Connect(
            xsock::SocketAddress::FromNative(address, static_cast<socklen_t>(length)));
    }
    BOOL Bind(const SOCKADDR* address, int length) {
        return xsock::AsyncSocket::Bind(
            xsock::SocketAddress::FromNative(address, static_cast<socklen_t>(length)));
    }
    // Winsock's u_long is 32-bit, as DWORD is here.
    BOOL IOCtl(long command, DWORD* argument) {
        unsigned long value = argument != nullptr ? *argument : 0;
        const bool ok = xsock::AsyncSocket::IOCtl(command, &value);
        if (ok && argument != nullptr) {
            *argument = static_cast<DWORD>(value);
        }
        return ok;
    }
    int ReceiveFrom(void* buffer, int length, CString& address, UINT& port, int flags = 0) {
        std::string text;
        unsigned number = 0;
        const int n = xsock::AsyncSocket::ReceiveFrom(buffer, length, text, number, flags);
        address = CString(text.c_str());
        port = number;
        return n;
    }
    int ReceiveFrom(void* buffer, int length, SOCKADDR* from, int* fromLength, int flags = 0) {
        xsock::SocketAddress source;
        const int n = ReceiveFrom(buffer, length, source, flags);
        if (n != SOCKET_ERROR && from != nullptr && !CopyOut(source, from, fromLength)) {
            return SOCKET_ERROR;
        }
        return n;
    }
    int SendTo(const void* buffer, int length, const SOCKADDR* to, int toLength, int flags = 0) {
        return SendTo(buffer, length,
                      xsock::SocketAddress::FromNative(to, static_cast<socklen_t>(toLength)),
                      flags);
    }
    static int GetLastError() noexcept { return xsock::AsyncSocket::GetLastError(); }

    // The Ex forms MFC added for IPv6; the plain ones here already handle it.
    // CreateEx only creates, in the family and type of `info`, as MFC's does.
    BOOL CreateEx(ADDRINFOT* info, long events = FD_ALL) {
        return Refuse(info) ? FALSE
                            : Socket(info->ai_socktype, events, info->ai_protocol, info->ai_family);
    }
    BOOL BindEx(ADDRINFOT* info) {
        return Refuse(info) ? FALSE : xsock::AsyncSocket::Bind(FromInfo(info));
    }
    BOOL ConnectEx(ADDRINFOT* info) {
        return Refuse(info) ? FALSE : xsock::AsyncSocket::Connect(FromInfo(info));
    }
    BOOL GetPeerNameEx(CString& address, UINT& port) { return GetPeerName(address, port); }
    BOOL GetSockNameEx(CString& address, UINT& port) { return GetSockName(address, port); }
    int ReceiveFromEx(void* buffer, int length, CString& address, UINT& port, int flags = 0) {
        return ReceiveFrom(buffer, length, address, port, flags);
    }
    // Unlike SendTo, no host is WSAEINVAL rather than a broadcast, as in MFC.
    int SendToEx(const void* buffer, int length, UINT port, LPCTSTR host, int flags = 0) {
        if (host == nullptr) {
            xsock::AsyncSocket::SetLastError(std::make_error_code(std::errc::invalid_argument));
            return SOCKET_ERROR;
        }
        return SendTo(buffer, length, port, host, flags);
    }

  protected:
    bool ConnectHelper(std::vector<xsock::SocketAddress> candidates) override {
        return xsock::AsyncSocket::ConnectHelper(std::move(candidates));
    }

    // CSocket's members, which CAsyncSocket does not offer.
    using xsock::Socket::CancelBlockingCall;
    using xsock::Socket::GetTimeout;
    using xsock::Socket::IsBlocking;
    using xsock::Socket::SetTimeout;

  private:
    static bool Refuse(const ADDRINFOT* info) noexcept {
        if (info == nullptr) {
            xsock::AsyncSocket::SetLastError(std::make_error_code(std::errc::invalid_argument));
            return true;
        }
        return false;
    }
    static xsock::SocketAddress FromInfo(const ADDRINFOT* info) noexcept {
        return xsock::SocketAddress::FromNative(info->ai_addr,
                                                static_cast<socklen_t>(info->ai_addrlen));
    }
    static bool CopyOut(const xsock::SocketAddress& from, SOCKADDR* to, int* length) {
        const auto size = static_cast<int>(from.NativeLength());
        if (to == nullptr || length == nullptr || *length < size) {
            xsock::AsyncSocket::SetLastError(std::make_error_code(std::errc::bad_address));
            return false;
        }
        std::memcpy(to, from.Native(), static_cast<std::size_t>(size));
        *length = size;
        return true;
    }
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CAsyncSocket, CObject)

class CSocket : public CAsyncSocket {
    DECLARE_DYNAMIC(CSocket)
  public:
    using CAsyncSocket::Accept;
    using CAsyncSocket::CancelBlockingCall;
    using CAsyncSocket::GetTimeout;
    using CAsyncSocket::IsBlocking;
    using CAsyncSocket::ReceiveFrom;
    using CAsyncSocket::SendTo;
    using CAsyncSocket::SetTimeout;

    CSocket() = default;

    BOOL Create(UINT port = 0, int type = SOCK_STREAM, LPCTSTR address = nullptr) {
        return xsock::Socket::Create(port, type, address);
    }
    BOOL Attach(SOCKET handle) { return CAsyncSocket::Attach(handle, FD_ALL); }
    static CSocket* FromHandle(SOCKET handle) noexcept {
        return dynamic_cast<CSocket*>(xsock::AsyncSocket::FromHandle(handle));
    }

    bool Accept(xsock::AsyncSocket& connected, xsock::SocketAddress* peer = nullptr) override {
        return xsock::Socket::Accept(connected, peer);
    }
    int Send(const void* buffer, int length, int flags = 0) override {
        return xsock::Socket::Send(buffer, length, flags);
    }
    int Receive(void* buffer, int length, int flags = 0) override {
        return xsock::Socket::Receive(buffer, length, flags);
    }
    int SendTo(const void* buffer, int length, const xsock::SocketAddress& to,
               int flags = 0) override {
        return xsock::Socket::SendTo(buffer, length, to, flags);
    }
    int ReceiveFrom(void* buffer, int length, xsock::SocketAddress& from, int flags = 0) override {
        return xsock::Socket::ReceiveFrom(buffer, length, from, flags);
    }

  protected:
    // MFC's default dispatches WM_PAINT; the core's runs the loop's blocking
    // pump (an attached Qt window's repaint), and an override calls it to keep
    // that.
    BOOL OnMessagePending() override { return xsock::Socket::OnMessagePending(); }
    bool ConnectHelper(std::vector<xsock::SocketAddress> candidates) override {
        return xsock::Socket::ConnectHelper(std::move(candidates));
    }
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CSocket, CAsyncSocket)

class CSocketFile : public CFile {
    DECLARE_DYNAMIC(CSocketFile)
  public:
    explicit CSocketFile(CSocket* socket, BOOL archiveCompatible = TRUE)
        : file_(socket, archiveCompatible != FALSE) {}

    BOOL Open(LPCTSTR, UINT, CFileException* = nullptr) override { return FALSE; }
    UINT Read(void* buffer, UINT count) override {
        return static_cast<UINT>(Translate([&] { return file_.Read(buffer, count); }));
    }
    void Write(const void* buffer, UINT count) override {
        Translate([&] { file_.Write(buffer, count); });
    }
    ULONGLONG Seek(LONGLONG offset, UINT from) override {
        return Translate(
            [&] { return file_.Seek(offset, static_cast<xsock::File::SeekPosition>(from)); });
    }
    ULONGLONG GetPosition() const override {
        return Translate([&] { return file_.GetPosition(); });
    }
    ULONGLONG GetLength() const override {
        return Translate([&] { return file_.GetLength(); });
    }
    void SetLength(ULONGLONG length) override {
        Translate([&] { file_.SetLength(length); });
    }
    void Flush() override {}
    // Lets go of the socket without closing it, as MFC's does.
    void Close() override { file_.Close(); }
    void Abort() override { file_.Abort(); }
    CString GetFilePath() const override { return {}; }
    bool CanSeek() const override { return false; }

  private:
    mutable xsock::SocketFile file_;
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CSocketFile, CFile)

// Returns TRUE; installs the reporting exception handler on this thread's loop.
inline BOOL AfxSocketInit(WSADATA* data = nullptr) {
    if (data != nullptr) {
        *data = WSADATA{};
    }
    xsock::SocketLoop::ForThisThread().SetExceptionHandler(&xsock::mfc::ReportLoopException);
    return TRUE;
}
// Nothing to release: the loop ends with its thread.
inline void AfxSocketTerm() {}
