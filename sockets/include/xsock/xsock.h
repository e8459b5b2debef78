// The whole of xsock in one include, as <afxsock.h> is for MFC code.
#pragma once

#include <xsock/Archive.h>
#include <xsock/ArchiveException.h>
#include <xsock/AsyncSocket.h>
#include <xsock/ByteOrder.h>
#include <xsock/Descriptor.h>
#include <xsock/File.h>
#include <xsock/LoopThreads.h>
#include <xsock/Object.h>
#include <xsock/SendQueue.h>
#include <xsock/Socket.h>
#include <xsock/SocketAddress.h>
#include <xsock/SocketFile.h>
#include <xsock/SocketLoop.h>
