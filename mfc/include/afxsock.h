// afxsock.h for xsock::mfc: CAsyncSocket, CSocket and CSocketFile over
// xsock::AsyncSocket, xsock::Socket and xsock::SocketFile, with the Winsock
// names MFC code uses unqualified.
//
// The socket classes are CObjects (DECLARE_DYNAMIC works on a subclass) and
// add MFC's CString, SOCKADDR and DWORD overloads to the core's members, plus
// m_hSocket. Notifications, blocking and the pump are the core's, which does
// what CSocket::PumpMessages does: while a CSocket call blocks, timers, posted
// tasks and other sockets' notifications wait until it returns.
// AfxSocketInit installs, on the calling thread's loop, an exception handler
// that reports an exception escaping a notification to stderr (deleting a
// CException*) and keeps the loop running, as MFC's window procedure does;
// call it on every thread that runs sockets. The WSAE* codes are the POSIX
// errno values xsock reports (WSAEWOULDBLOCK is EWOULDBLOCK), and
// ::GetLastError() and WSAGetLastError() return the calling thread's last
// socket error.
//
// Differences: CSocket derives from CObject and xsock::Socket, not from
// CAsyncSocket (both are xsock::AsyncSocket, which Accept takes);
// OnMessagePending returns bool. Thread rules and errors: as the core's
// AsyncSocket and Socket (any thread may call GetPeerName, GetSockName,
// GetSockOpt and IOCtl(FIONREAD)); CSocketFile throws CFileException*.
#pragma once

#include "afx.h"

#include <xsock/AsyncSocket.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>

using xsock::FD_ACCEPT;
using xsock::FD_ALL;
using xsock::FD_CLOSE;
using xsock::FD_CONNECT;
using xsock::FD_OOB;
using xsock::FD_READ;
using xsock::FD_WRITE;
using xsock::INVALID_SOCKET;
using xsock::SOCKET;
using xsock::SOCKET_ERROR;

using SOCKADDR = sockaddr;
using PSOCKADDR = sockaddr*;
using LPSOCKADDR = sockaddr*;
using SOCKADDR_IN = sockaddr_in;
using PSOCKADDR_IN = sockaddr_in*;
using LPSOCKADDR_IN = sockaddr_in*;
using SOCKADDR_IN6 = sockaddr_in6;
using SOCKADDR_STORAGE = sockaddr_storage;
using IN_ADDR = in_addr;
using HOSTENT = hostent;
using PHOSTENT = hostent*;
using LPHOSTENT = hostent*;

inline constexpr int WSAEINTR = EINTR;
inline constexpr int WSAEBADF = EBADF;
inline constexpr int WSAEACCES = EACCES;
inline constexpr int WSAEFAULT = EFAULT;
inline constexpr int WSAEINVAL = EINVAL;
inline constexpr int WSAEMFILE = EMFILE;
inline constexpr int WSAEWOULDBLOCK = EWOULDBLOCK;
inline constexpr int WSAEINPROGRESS = EINPROGRESS;
inline constexpr int WSAEALREADY = EALREADY;
inline constexpr int WSAENOTSOCK = ENOTSOCK;
inline constexpr int WSAEDESTADDRREQ = EDESTADDRREQ;
inline constexpr int WSAEMSGSIZE = EMSGSIZE;
inline constexpr int WSAEPROTOTYPE = EPROTOTYPE;
inline constexpr int WSAENOPROTOOPT = ENOPROTOOPT;
inline constexpr int WSAEPROTONOSUPPORT = EPROTONOSUPPORT;
inline constexpr int WSAESOCKTNOSUPPORT = ESOCKTNOSUPPORT;
inline constexpr int WSAEOPNOTSUPP = EOPNOTSUPP;
inline constexpr int WSAEPFNOSUPPORT = EPFNOSUPPORT;
inline constexpr int WSAEAFNOSUPPORT = EAFNOSUPPORT;
inline constexpr int WSAEADDRINUSE = EADDRINUSE;
inline constexpr int WSAEADDRNOTAVAIL = EADDRNOTAVAIL;
inline constexpr int WSAENETDOWN = ENETDOWN;
inline constexpr int WSAENETUNREACH = ENETUNREACH;
inline constexpr int WSAENETRESET = ENETRESET;
inline constexpr int WSAECONNABORTED = ECONNABORTED;
inline constexpr int WSAECONNRESET = ECONNRESET;
inline constexpr int WSAENOBUFS = ENOBUFS;
inline constexpr int WSAEISCONN = EISCONN;
inline constexpr int WSAENOTCONN = ENOTCONN;
inline constexpr int WSAESHUTDOWN = ESHUTDOWN;
inline constexpr int WSAETOOMANYREFS = ETOOMANYREFS;
inline constexpr int WSAETIMEDOUT = ETIMEDOUT;
inline constexpr int WSAECONNREFUSED = ECONNREFUSED;
inline constexpr int WSAELOOP = ELOOP;
inline constexpr int WSAENAMETOOLONG = ENAMETOOLONG;
inline constexpr int WSAEHOSTDOWN = EHOSTDOWN;
inline constexpr int WSAEHOSTUNREACH = EHOSTUNREACH;
inline constexpr int WSAENOTEMPTY = ENOTEMPTY;
inline constexpr int WSAEUSERS = EUSERS;
inline constexpr int WSAEDQUOT = EDQUOT;
inline constexpr int WSAESTALE = ESTALE;
inline constexpr int WSAEREMOTE = EREMOTE;

// The calling thread's last socket error (an errno value), as Winsock keeps it.
inline DWORD GetLastError() {
    return static_cast<DWORD>(xsock::AsyncSocket::GetLastError());
}
inline int WSAGetLastError() {
    return xsock::AsyncSocket::GetLastError();
}

struct WSADATA {
    WORD wVersion = 0x0202;
    WORD wHighVersion = 0x0202;
};
using LPWSADATA = WSADATA*;

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

// MFC's extra overloads, on top of either core socket class.
template <class Base>
class SocketMembers : public CObject, public Base {
  public:
    using Base::Accept;
    using Base::Bind;
    using Base::Connect;
    using Base::GetPeerName;
    using Base::GetSockName;
    using Base::IOCtl;
    using Base::ReceiveFrom;
    using Base::SendTo;

    // MFC's public m_hSocket, read from the core's handle.
    class HandleView {
      public:
        explicit HandleView(const Base* owner) noexcept : owner_(owner) {}
        operator SOCKET() const noexcept { return owner_->Handle(); }

      private:
        const Base* owner_;
    };
    const HandleView m_hSocket{this};

    BOOL GetPeerName(CString& address, UINT& port) {
        std::string text;
        unsigned number = 0;
        const bool ok = Base::GetPeerName(text, number);
        address = CString(text.c_str());
        port = number;
        return ok;
    }
    BOOL GetSockName(CString& address, UINT& port) {
        std::string text;
        unsigned number = 0;
        const bool ok = Base::GetSockName(text, number);
        address = CString(text.c_str());
        port = number;
        return ok;
    }
    BOOL GetPeerName(SOCKADDR* address, int* length) {
        xsock::SocketAddress peer;
        return Base::GetPeerName(peer) && CopyOut(peer, address, length);
    }
    BOOL GetSockName(SOCKADDR* address, int* length) {
        xsock::SocketAddress local;
        return Base::GetSockName(local) && CopyOut(local, address, length);
    }
    BOOL Connect(const SOCKADDR* address, int length) {
        return Base::Connect(
            xsock::SocketAddress::FromNative(address, static_cast<socklen_t>(length)));
    }
    BOOL Bind(const SOCKADDR* address, int length) {
        return Base::Bind(
            xsock::SocketAddress::FromNative(address, static_cast<socklen_t>(length)));
    }
    BOOL Accept(xsock::AsyncSocket& connected, SOCKADDR* address, int* length) {
        xsock::SocketAddress peer;
        return Base::Accept(connected, &peer) &&
               (address == nullptr || CopyOut(peer, address, length));
    }
    // Winsock's u_long is 32-bit, as DWORD is here.
    BOOL IOCtl(long command, DWORD* argument) {
        unsigned long value = argument != nullptr ? *argument : 0;
        const bool ok = Base::IOCtl(command, &value);
        if (ok && argument != nullptr) {
            *argument = static_cast<DWORD>(value);
        }
        return ok;
    }
    int ReceiveFrom(void* buffer, int length, CString& address, UINT& port, int flags = 0) {
        std::string text;
        unsigned number = 0;
        const int n = Base::ReceiveFrom(buffer, length, text, number, flags);
        address = CString(text.c_str());
        port = number;
        return n;
    }
    int SendTo(const void* buffer, int length, const SOCKADDR* to, int toLength, int flags = 0) {
        return Base::SendTo(buffer, length,
                            xsock::SocketAddress::FromNative(to, static_cast<socklen_t>(toLength)),
                            flags);
    }
    static int GetLastError() noexcept { return xsock::AsyncSocket::GetLastError(); }

  private:
    static bool CopyOut(const xsock::SocketAddress& from, SOCKADDR* to, int* length) {
        const auto size = static_cast<int>(from.NativeLength());
        if (to == nullptr || length == nullptr || *length < size) {
            return false;
        }
        std::memcpy(to, from.Native(), static_cast<std::size_t>(size));
        *length = size;
        return true;
    }
};

}  // namespace xsock::mfc

class CAsyncSocket : public xsock::mfc::SocketMembers<xsock::AsyncSocket> {
    DECLARE_DYNAMIC(CAsyncSocket)
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CAsyncSocket, CObject)

class CSocket : public xsock::mfc::SocketMembers<xsock::Socket> {
    DECLARE_DYNAMIC(CSocket)
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CSocket, CObject)

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
