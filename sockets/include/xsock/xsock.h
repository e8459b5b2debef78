// The whole of xsock in one include, as <afxsock.h> is for MFC code.
#pragma once

#include <xsock/ArchiveException.h>
#include <xsock/AsyncSocket.h>
#include <xsock/Socket.h>
#include <xsock/SocketAddress.h>
#include <xsock/SocketLoop.h>
