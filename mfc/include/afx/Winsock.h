// The Winsock names MFC socket code uses unqualified, as <afxsock.h> brings
// them from <winsock2.h>: SOCKET, the FD_* masks, the SOCKADDR types, the
// WSAE* codes (the POSIX errno values xsock reports: WSAEWOULDBLOCK is
// EWOULDBLOCK), ::GetLastError() and WSAGetLastError() (the calling thread's
// last socket error), WSADATA and the BSD functions of <arpa/inet.h> and
// <netdb.h>. Part of xsock::mfc (include <afxsock.h>); no state of its own.
#pragma once

#include "Win32.h"

#include <xsock/AsyncSocket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>

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
using ADDRINFOA = addrinfo;
using ADDRINFOT = addrinfo;
using PADDRINFOA = addrinfo*;

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
