// A worker-thread transfer in the AfxBeginThread idiom: the listening thread
// accepts, Detaches the connection and hands its handle to a worker, which
// Attaches it to a CSocket, sends a file's records through CSocketFile +
// CArchive, and signals a CEvent. The accepting thread reads the peer address
// of a connection from another thread (SPEC 2). Also CCriticalSection with
// CSingleLock, and CWinThread with m_bAutoDelete FALSE waited on.
#include <afxmt.h>
#include <afxsock.h>

#include <boost/test/unit_test.hpp>

#include <xsock/SocketLoop.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace {

constexpr std::chrono::milliseconds kDeadline{20000};
constexpr DWORD kWaitMs = 20000;

struct TransferJob {
    SOCKET handle = INVALID_SOCKET;
    int records = 0;
    CEvent done{FALSE, TRUE};
    BOOL ok = FALSE;
    CString peer;
};

UINT SendRecords(LPVOID param) {
    auto* job = static_cast<TransferJob*>(param);
    AfxSocketInit();
    CSocket socket;
    if (!socket.Attach(job->handle)) {
        job->done.SetEvent();
        return 1;
    }
    socket.SetTimeout(kDeadline);
    UINT port = 0;
    socket.GetPeerName(job->peer, port);
    TRY {
        CSocketFile file(&socket);
        CArchive out(&file, CArchive::store);
        out << static_cast<LONG>(job->records);
        for (int i = 0; i < job->records; ++i) {
            CString line;
            line.Format("record %d", i);
            out << line;
        }
        out.Close();
        job->ok = TRUE;
    }
    CATCH_ALL(e) {
        job->ok = FALSE;
    }
    END_CATCH_ALL
    job->done.SetEvent();
    return 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(AWorkerThreadSendsOverAnAttachedSocket) {
    AfxSocketInit();
    CSocket listener;
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, _T("127.0.0.1")));
    BOOST_REQUIRE(listener.Listen());
    CString address;
    UINT port = 0;
    BOOST_REQUIRE(listener.GetSockName(address, port));

    // The receiving side connects from a thread of its own.
    std::atomic<int> received{-1};
    std::atomic<bool> lastMatched{false};
    std::thread client([&] {
        CSocket socket;
        socket.SetTimeout(kDeadline);
        if (!socket.Create() || !socket.Connect(_T("127.0.0.1"), port)) {
            return;
        }
        TRY {
            CSocketFile file(&socket);
            CArchive in(&file, CArchive::load);
            LONG count = 0;
            in >> count;
            CString line;
            for (LONG i = 0; i < count; ++i) {
                in >> line;
            }
            lastMatched = line == "record 99";
            received = count;
        }
        CATCH_ALL(e) {
            received = -2;
        }
        END_CATCH_ALL
    });

    CSocket connection;
    BOOST_REQUIRE(listener.Accept(connection));
    TransferJob job;
    job.records = 100;
    job.handle = connection.Detach();
    CWinThread* worker =
        AfxBeginThread(&SendRecords, &job, THREAD_PRIORITY_NORMAL, 0, CREATE_SUSPENDED);
    worker->m_bAutoDelete = FALSE;
    worker->ResumeThread();
    BOOST_CHECK_EQUAL(WaitForSingleObject(job.done, kWaitMs), WAIT_OBJECT_0);
    BOOST_CHECK_EQUAL(WaitForSingleObject(worker->m_hThread, kWaitMs), WAIT_OBJECT_0);
    BOOST_CHECK_EQUAL(worker->m_nExitCode, 0u);
    delete worker;
    client.join();
    BOOST_CHECK(job.ok);
    BOOST_CHECK(job.peer == "127.0.0.1");
    BOOST_CHECK_EQUAL(received.load(), 100);
    BOOST_CHECK(lastMatched.load());
}

// MFC's file-transfer programs read a connection's peer from a worker thread.
BOOST_AUTO_TEST_CASE(AnotherThreadReadsThePeerName) {
    CSocket listener;
    BOOST_REQUIRE(listener.Create(0, SOCK_STREAM, _T("127.0.0.1")));
    BOOST_REQUIRE(listener.Listen());
    CString address;
    UINT port = 0;
    BOOST_REQUIRE(listener.GetSockName(address, port));
    CSocket client;
    client.SetTimeout(kDeadline);
    BOOST_REQUIRE(client.Create());
    BOOST_REQUIRE(client.Connect(_T("127.0.0.1"), port));
    CString peer;
    UINT peerPort = 0;
    BOOL ok = FALSE;
    std::thread reader([&] { ok = client.GetPeerName(peer, peerPort); });
    reader.join();
    BOOST_CHECK(ok);
    BOOST_CHECK(peer == "127.0.0.1");
    BOOST_CHECK_EQUAL(peerPort, port);
}

BOOST_AUTO_TEST_CASE(CriticalSectionsSerializeWorkers) {
    CCriticalSection section;
    long long total = 0;
    CEvent go(FALSE, TRUE);
    struct Context {
        CCriticalSection* section;
        long long* total;
        CEvent* go;
    } context{&section, &total, &go};
    const AFX_THREADPROC add = [](LPVOID param) -> UINT {
        auto* c = static_cast<Context*>(param);
        WaitForSingleObject(*c->go, INFINITE);
        for (int i = 0; i < 10000; ++i) {
            CSingleLock lock(c->section, TRUE);
            ++*c->total;
        }
        return 0;
    };
    CWinThread* first = AfxBeginThread(add, &context, THREAD_PRIORITY_NORMAL, 0, CREATE_SUSPENDED);
    CWinThread* second = AfxBeginThread(add, &context, THREAD_PRIORITY_NORMAL, 0, CREATE_SUSPENDED);
    first->m_bAutoDelete = second->m_bAutoDelete = FALSE;
    first->ResumeThread();
    second->ResumeThread();
    go.SetEvent();
    BOOST_CHECK_EQUAL(WaitForSingleObject(first->m_hThread, kWaitMs), WAIT_OBJECT_0);
    BOOST_CHECK_EQUAL(WaitForSingleObject(second->m_hThread, kWaitMs), WAIT_OBJECT_0);
    delete first;
    delete second;
    BOOST_CHECK_EQUAL(total, 20000);
}

BOOST_AUTO_TEST_CASE(AnAutoResetEventLetsOneWaiterThrough) {
    CEvent event;
    BOOST_CHECK_EQUAL(WaitForSingleObject(event, 0), WAIT_TIMEOUT);
    event.SetEvent();
    BOOST_CHECK_EQUAL(WaitForSingleObject(event, 0), WAIT_OBJECT_0);
    BOOST_CHECK_EQUAL(WaitForSingleObject(event, 0), WAIT_TIMEOUT);
}

// The Win32 side of the idiom: a __cdecl thread function, an event signalled
// through its HANDLE, and the exit code read with GetExitCodeThread.
namespace {

struct DONE_PARAM {
    HANDLE hGo;
    HANDLE hDone;
};

UINT __cdecl SignalWhenAllowed(LPVOID pParam) {
    auto* param = static_cast<DONE_PARAM*>(pParam);
    if (WaitForSingleObject(param->hGo, INFINITE) != WAIT_OBJECT_0) {
        return 1;
    }
    SetEvent(param->hDone);
    return 7;
}

}  // namespace

BOOST_AUTO_TEST_CASE(GetExitCodeThreadIsStillActiveThenTheResult) {
    CEvent go(FALSE, TRUE);
    CEvent done(FALSE, TRUE);
    DONE_PARAM param{go, done};
    CWinThread* pThread =
        AfxBeginThread(SignalWhenAllowed, &param, THREAD_PRIORITY_NORMAL, 0, CREATE_SUSPENDED);
    pThread->m_bAutoDelete = FALSE;
    pThread->ResumeThread();
    DWORD dwCode = 0;
    BOOST_REQUIRE(GetExitCodeThread(pThread->m_hThread, &dwCode));
    BOOST_CHECK_EQUAL(dwCode, STILL_ACTIVE);
    BOOST_CHECK(SetEvent(param.hGo));
    BOOST_REQUIRE_EQUAL(WaitForSingleObject(param.hDone, 20000), WAIT_OBJECT_0);
    BOOST_REQUIRE_EQUAL(WaitForSingleObject(pThread->m_hThread, 20000), WAIT_OBJECT_0);
    BOOST_REQUIRE(GetExitCodeThread(pThread->m_hThread, &dwCode));
    BOOST_CHECK_EQUAL(dwCode, 7u);
    BOOST_CHECK(ResetEvent(param.hDone));
    BOOST_CHECK_EQUAL(WaitForSingleObject(param.hDone, 0), WAIT_TIMEOUT);
    BOOST_CHECK(CloseHandle(pThread->m_hThread));
    delete pThread;
    // A handle that is no event and no thread is refused, as Win32 does.
    CCriticalSection section;
    BOOST_CHECK(!SetEvent(static_cast<HANDLE>(section)));
    BOOST_CHECK(!GetExitCodeThread(static_cast<HANDLE>(section), &dwCode));
}
