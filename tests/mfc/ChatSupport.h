// A chat server and client written the way MFC's socket programs are: CSocket
// subclasses with DECLARE_DYNAMIC, a CSocketFile with a loading and a storing
// CArchive per connection, a serializable CMsg, and the
// `do { ... } while (!ar.IsBufferEmpty())` loop in OnReceive. The server runs on
// a thread of its own (its loop is that thread's, as each MFC thread has its
// own socket window); the clients run on the test's thread.
#pragma once

#include <afxsock.h>

#include <xsock/SocketLoop.h>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace chat {

// Long enough for a loaded CI machine under sanitizers; a passing test never waits it out.
inline constexpr std::chrono::milliseconds kDeadline{20000};

class CMsg : public CObject {
    DECLARE_SERIAL(CMsg)
  public:
    CMsg() = default;
    void Serialize(CArchive& ar) override {
        if (ar.IsStoring()) {
            ar << m_bClose << m_strText;
        } else {
            ar >> m_bClose >> m_strText;
        }
    }
    BOOL m_bClose = FALSE;
    CString m_strText;
};

class CChatServer;

class CClientSocket : public CSocket {
    DECLARE_DYNAMIC(CClientSocket)
  public:
    explicit CClientSocket(CChatServer* server) : m_pServer(server) {}
    ~CClientSocket() override {
        m_pArchiveOut.reset();
        m_pArchiveIn.reset();
    }
    void Init() {
        m_pFile = std::make_unique<CSocketFile>(this);
        m_pArchiveIn = std::make_unique<CArchive>(m_pFile.get(), CArchive::load);
        m_pArchiveOut = std::make_unique<CArchive>(m_pFile.get(), CArchive::store);
    }
    void SendMsg(CMsg* msg) {
        msg->Serialize(*m_pArchiveOut);
        m_pArchiveOut->Flush();
    }
    void ReceiveMsg(CMsg* msg) { msg->Serialize(*m_pArchiveIn); }
    BOOL IsBufferEmpty() const { return m_pArchiveIn->IsBufferEmpty(); }

  protected:
    void OnReceive(int errorCode) override;
    void OnClose(int errorCode) override;

  private:
    CChatServer* m_pServer;
    std::unique_ptr<CSocketFile> m_pFile;
    std::unique_ptr<CArchive> m_pArchiveIn;
    std::unique_ptr<CArchive> m_pArchiveOut;
};

class CListeningSocket : public CSocket {
    DECLARE_DYNAMIC(CListeningSocket)
  public:
    explicit CListeningSocket(CChatServer* server) : m_pServer(server) {}

  protected:
    void OnAccept(int errorCode) override;

  private:
    CChatServer* m_pServer;
};

// Every message a client sends goes to every client, the sender included.
class CChatServer {
  public:
    CChatServer() : m_listener(this) {}

    BOOL Start() {
        return m_listener.Create(0, SOCK_STREAM, _T("127.0.0.1")) && m_listener.Listen();
    }
    UINT Port() {
        CString address;
        UINT port = 0;
        m_listener.GetSockName(address, port);
        return port;
    }
    void ProcessPendingAccept() {
        auto socket = std::make_unique<CClientSocket>(this);
        if (m_listener.Accept(*socket)) {
            socket->Init();
            m_clients.push_back(std::move(socket));
            if (m_onClientCount) {
                m_onClientCount(m_clients.size());
            }
        }
    }
    // A message that arrives in parts makes ReceiveMsg wait for the rest; a
    // peer that hangs up in the middle makes it throw, out of OnReceive.
    void ProcessPendingRead(CClientSocket* socket) {
        do {
            CMsg msg;
            socket->ReceiveMsg(&msg);
            Broadcast(&msg);
        } while (!socket->IsBufferEmpty());
    }
    void Broadcast(CMsg* msg) {
        for (auto& client : m_clients) {
            client->SendMsg(msg);
        }
    }
    void CloseSocket(CClientSocket* socket) {
        std::erase_if(m_clients, [&](const auto& client) { return client.get() == socket; });
        if (m_onClientCount) {
            m_onClientCount(m_clients.size());
        }
    }
    std::size_t ClientCount() const { return m_clients.size(); }

    // Called on the server's thread when a client comes or goes, with how many there are.
    std::function<void(std::size_t)> m_onClientCount;

  private:
    CListeningSocket m_listener;
    std::vector<std::unique_ptr<CClientSocket>> m_clients;
};

inline void CClientSocket::OnReceive(int) {
    m_pServer->ProcessPendingRead(this);
}
inline void CClientSocket::OnClose(int) {
    m_pServer->CloseSocket(this);
}
inline void CListeningSocket::OnAccept(int) {
    m_pServer->ProcessPendingAccept();
}

// The server on its own thread: AfxSocketInit, then the thread's loop runs
// until Stop. `setup` runs on the server's thread before it serves.
class ServerThread {
  public:
    explicit ServerThread(std::function<void(CChatServer&)> setup = {}) {
        std::promise<std::pair<UINT, xsock::SocketLoop*>> started;
        auto ready = started.get_future();
        m_thread = std::thread(
            [this, &started, setup = std::move(setup), quitDone = m_quitDone.get_future()] {
                AfxSocketInit();
                xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
                CChatServer server;
                if (setup) {
                    setup(server);
                }
                const BOOL ok = server.Start();
                m_server = &server;
                started.set_value({ok ? server.Port() : 0u, &loop});
                loop.Run();
                // Quit from another thread touches the loop after Run has seen it:
                // the loop must outlive that call.
                quitDone.wait();
                m_server = nullptr;
            });
        std::tie(m_port, m_loop) = ready.get();
    }
    ~ServerThread() { Stop(); }
    ServerThread(const ServerThread&) = delete;
    ServerThread& operator=(const ServerThread&) = delete;

    void Stop() {
        if (m_thread.joinable()) {
            m_loop->Quit();
            m_quitDone.set_value();
            m_thread.join();
        }
    }
    UINT Port() const { return m_port; }
    // Runs `task` on the server's thread, with its CChatServer.
    void Post(std::function<void(CChatServer&)> task) {
        m_loop->Post([this, task = std::move(task)] { task(*m_server); });
    }

  private:
    std::promise<void> m_quitDone;
    std::thread m_thread;
    UINT m_port = 0;
    xsock::SocketLoop* m_loop = nullptr;
    CChatServer* m_server = nullptr;
};

// The client side, as CHATTER's document keeps it.
class CChatSocket;

class CChatClient {
  public:
    CChatClient();
    ~CChatClient();

    BOOL ConnectSocket(UINT port);
    void SendMsg(const CString& text) {
        CMsg msg;
        msg.m_strText = text;
        msg.Serialize(*m_pArchiveOut);
        m_pArchiveOut->Flush();
    }
    void ReceiveMsg() {
        CMsg msg;
        msg.Serialize(*m_pArchiveIn);
        m_received.push_back(msg.m_strText);
    }
    void ProcessPendingRead() {
        do {
            ReceiveMsg();
        } while (!m_pArchiveIn->IsBufferEmpty());
    }

    std::unique_ptr<CChatSocket> m_pSocket;
    std::unique_ptr<CSocketFile> m_pFile;
    std::unique_ptr<CArchive> m_pArchiveIn;
    std::unique_ptr<CArchive> m_pArchiveOut;
    std::vector<CString> m_received;
    // Called from OnMessagePending while a blocking call on this client waits.
    std::function<void()> m_onMessagePending;
};

class CChatSocket : public CSocket {
    DECLARE_DYNAMIC(CChatSocket)
  public:
    explicit CChatSocket(CChatClient* client) : m_pClient(client) {}

  protected:
    void OnReceive(int) override { m_pClient->ProcessPendingRead(); }
    BOOL OnMessagePending() override {
        if (m_pClient->m_onMessagePending) {
            m_pClient->m_onMessagePending();
        }
        return CSocket::OnMessagePending();
    }

  private:
    CChatClient* m_pClient;
};

inline CChatClient::CChatClient() : m_pSocket(std::make_unique<CChatSocket>(this)) {}

inline CChatClient::~CChatClient() {
    m_pArchiveOut.reset();
    m_pArchiveIn.reset();
}

inline BOOL CChatClient::ConnectSocket(UINT port) {
    if (!m_pSocket->Create()) {
        return FALSE;
    }
    // Beyond MFC: a broken test fails at the deadline instead of hanging.
    m_pSocket->SetTimeout(kDeadline);
    if (!m_pSocket->Connect(_T("127.0.0.1"), port)) {
        return FALSE;
    }
    m_pFile = std::make_unique<CSocketFile>(m_pSocket.get());
    m_pArchiveIn = std::make_unique<CArchive>(m_pFile.get(), CArchive::load);
    m_pArchiveOut = std::make_unique<CArchive>(m_pFile.get(), CArchive::store);
    return TRUE;
}

// How many clients the server has, told to the test's thread (whose loop is
// woken to look again).
class ClientCount {
  public:
    ClientCount() : loop_(xsock::SocketLoop::ForThisThread()) {}
    std::function<void(CChatServer&)> Setup() {
        return [this](CChatServer& chat) {
            chat.m_onClientCount = [this](std::size_t count) {
                count_ = count;
                loop_.Post([] {});
            };
        };
    }
    std::size_t Get() const { return count_.load(); }

  private:
    xsock::SocketLoop& loop_;
    std::atomic<std::size_t> count_{0};
};

inline bool RunUntil(const std::function<bool()>& done) {
    return xsock::SocketLoop::ForThisThread().RunUntil(done, kDeadline);
}

}  // namespace chat

// Each suite that includes this header is one translation unit, so the class
// records are defined here, once per test program.
namespace chat {
IMPLEMENT_SERIAL(CMsg, CObject, 1)
IMPLEMENT_DYNAMIC(CClientSocket, CSocket)
IMPLEMENT_DYNAMIC(CListeningSocket, CSocket)
IMPLEMENT_DYNAMIC(CChatSocket, CSocket)
}  // namespace chat
