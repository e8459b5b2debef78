// A chat in the CHATTER/CHATSRVR idiom over xsock::mfc: messages go round
// through CSocket + CSocketFile + CArchive, and a timer that sends while a
// blocking receive waits runs after it, so its send succeeds (SPEC 4), as
// under MFC's CSocket::PumpMessages.
// The server runs on a std::thread of its own (ChatSupport.h).
#include "ChatSupport.h"

#include <xsock/SocketLoop.h>

#include <cerrno>

using namespace chat;

BOOST_AUTO_TEST_CASE(SocketClassesAreCObjects) {
    CChatClient client;
    CObject* object = client.m_pSocket.get();
    BOOST_CHECK(object->IsKindOf(RUNTIME_CLASS(CChatSocket)));
    BOOST_CHECK(object->IsKindOf(RUNTIME_CLASS(CSocket)));
    BOOST_CHECK(DYNAMIC_DOWNCAST(CChatSocket, object) == client.m_pSocket.get());
    BOOST_CHECK(static_cast<SOCKET>(client.m_pSocket->m_hSocket) == INVALID_SOCKET);
}

BOOST_AUTO_TEST_CASE(MessagesReachEveryClient) {
    ClientCount clients;
    ServerThread server(clients.Setup());
    BOOST_REQUIRE_NE(server.Port(), 0u);
    CChatClient alice, bob;
    BOOST_REQUIRE(alice.ConnectSocket(server.Port()));
    BOOST_REQUIRE(bob.ConnectSocket(server.Port()));
    BOOST_CHECK(static_cast<SOCKET>(alice.m_pSocket->m_hSocket) != INVALID_SOCKET);
    CString peer;
    UINT port = 0;
    BOOST_REQUIRE(alice.m_pSocket->GetPeerName(peer, port));
    BOOST_CHECK(peer == "127.0.0.1");
    BOOST_CHECK_EQUAL(port, server.Port());

    // Bob's greeting may reach the server before Bob is accepted: wait until
    // both are there, so the broadcast cannot miss him.
    BOOST_REQUIRE(RunUntil([&] { return clients.Get() == 2; }));
    alice.SendMsg(_T("hello"));
    alice.SendMsg(_T("world"));
    BOOST_REQUIRE(
        RunUntil([&] { return alice.m_received.size() == 2 && bob.m_received.size() == 2; }));
    BOOST_CHECK(alice.m_received[0] == "hello" && alice.m_received[1] == "world");
    BOOST_CHECK(bob.m_received[0] == "hello" && bob.m_received[1] == "world");
}

namespace {

struct TimerOutcome {
    bool ran = false;
    bool receiveHadReturned = false;
    int sendError = 0;  // the errno of a failed SendMsg, 0 when it succeeded
};

// Blocks in ReceiveMsg with a timer due that sends on the same socket; the
// server answers only once the client is waiting (OnMessagePending).
TimerOutcome SendFromATimerDuringAReceive(CChatClient& client, ServerThread& server) {
    TimerOutcome outcome;
    bool receiveReturned = false;
    bool asked = false;
    client.m_onMessagePending = [&] {
        if (!asked) {
            asked = true;
            server.Post([](CChatServer& chat) {
                CMsg msg;
                msg.m_strText = _T("answer");
                chat.Broadcast(&msg);
            });
        }
    };
    xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
    loop.SetTimer(
        std::chrono::milliseconds(0),
        [&] {
            outcome.ran = true;
            outcome.receiveHadReturned = receiveReturned;
            try {
                client.SendMsg(_T("from the timer"));
            } catch (CFileException* e) {
                outcome.sendError = e->m_lOsError;
                e->Delete();
            }
        },
        false);
    client.ReceiveMsg();
    receiveReturned = true;
    client.m_onMessagePending = nullptr;
    RunUntil([&] { return outcome.ran; });
    return outcome;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ATimerThatSendsDuringABlockingReceiveRunsAfterItAndSucceeds) {
    ClientCount clients;
    ServerThread server(clients.Setup());
    CChatClient client;
    BOOST_REQUIRE(client.ConnectSocket(server.Port()));
    BOOST_REQUIRE(RunUntil([&] { return clients.Get() == 1; }));

    const TimerOutcome outcome = SendFromATimerDuringAReceive(client, server);
    BOOST_REQUIRE(outcome.ran);
    BOOST_CHECK(outcome.receiveHadReturned);
    BOOST_CHECK_EQUAL(outcome.sendError, 0);
    BOOST_REQUIRE_EQUAL(client.m_received.size(), 1u);
    BOOST_CHECK(client.m_received[0] == "answer");

    // The timer's message went through the server and back: sending still works.
    BOOST_REQUIRE(RunUntil([&] { return client.m_received.size() == 2; }));
    BOOST_CHECK(client.m_received[1] == "from the timer");
    client.SendMsg(_T("and again"));
    BOOST_REQUIRE(RunUntil([&] { return client.m_received.size() == 3; }));
    BOOST_CHECK(client.m_received[2] == "and again");
}

// The opposite setting shows what the test above guards against: a timer run
// inside the blocking call finds the socket busy, and its send fails.
BOOST_AUTO_TEST_CASE(WithPumpWhileBlockingTheTimerRunsInsideAndItsSendFails) {
    ClientCount clients;
    ServerThread server(clients.Setup());
    CChatClient client;
    BOOST_REQUIRE(client.ConnectSocket(server.Port()));
    BOOST_REQUIRE(RunUntil([&] { return clients.Get() == 1; }));
    xsock::SocketLoop& loop = xsock::SocketLoop::ForThisThread();
    loop.SetPumpWhileBlocking(true);
    const TimerOutcome outcome = SendFromATimerDuringAReceive(client, server);
    loop.SetPumpWhileBlocking(false);
    BOOST_REQUIRE(outcome.ran);
    BOOST_CHECK(!outcome.receiveHadReturned);
    BOOST_CHECK_EQUAL(outcome.sendError, EINPROGRESS);
}
