// afxmt.h for xsock::mfc: MFC's synchronization classes (CCriticalSection,
// CMutex, CEvent, CSingleLock) and worker threads (AfxBeginThread,
// CWinThread) over the C++ standard library, with WaitForSingleObject for
// their handles.
//
// A worker thread that uses sockets gets its own SocketLoop on first use, as
// an MFC thread gets its own socket window; call AfxSocketInit in it for the
// reporting exception handler, and move a connection in with Detach on the
// owner's thread and Attach on the worker's. AfxBeginThread starts the thread
// (or leaves it suspended with CREATE_SUSPENDED until ResumeThread); with
// m_bAutoDelete TRUE, the default, the CWinThread deletes itself when the
// thread ends, as in MFC; with FALSE the caller waits on m_hThread and deletes
// it (the destructor joins). Priorities, stack sizes and security attributes
// are accepted and ignored. CMutex is a recursive mutex of this process (names
// are ignored). Errors: waits report WAIT_TIMEOUT; misuse (unlocking what is
// not locked) is undefined as in the standard library. Thread safety: every
// object here may be used from any thread.
#pragma once

#include "afx.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace xsock::mfc {

// What a HANDLE refers to: something WaitForSingleObject can wait for.
class Waitable {
  public:
    virtual ~Waitable() = default;
    // Waits at most `milliseconds` (INFINITE: forever); true when signalled.
    virtual bool WaitFor(DWORD milliseconds) = 0;
};

}  // namespace xsock::mfc

using HANDLE = xsock::mfc::Waitable*;
inline constexpr DWORD INFINITE = 0xFFFFFFFFu;
inline constexpr DWORD WAIT_OBJECT_0 = 0;
inline constexpr DWORD WAIT_TIMEOUT = 258;
inline constexpr DWORD CREATE_SUSPENDED = 0x4;
inline constexpr int THREAD_PRIORITY_NORMAL = 0;
using LPSECURITY_ATTRIBUTES = void*;
using AFX_THREADPROC = UINT (*)(LPVOID);

inline DWORD WaitForSingleObject(HANDLE handle, DWORD milliseconds) {
    return handle != nullptr && handle->WaitFor(milliseconds) ? WAIT_OBJECT_0 : WAIT_TIMEOUT;
}

class CSyncObject : public CObject, public xsock::mfc::Waitable {
  public:
    virtual BOOL Lock(DWORD timeout = INFINITE) { return WaitFor(timeout) ? TRUE : FALSE; }
    virtual BOOL Unlock() = 0;
    operator HANDLE() { return this; }
};

class CCriticalSection : public CSyncObject {
  public:
    BOOL Lock(DWORD timeout = INFINITE) override { return CSyncObject::Lock(timeout); }
    BOOL Unlock() override {
        mutex_.unlock();
        return TRUE;
    }
    bool WaitFor(DWORD milliseconds) override {
        if (milliseconds == INFINITE) {
            mutex_.lock();
            return true;
        }
        return mutex_.try_lock_for(std::chrono::milliseconds(milliseconds));
    }

  private:
    std::recursive_timed_mutex mutex_;
};

class CMutex : public CCriticalSection {
  public:
    explicit CMutex(BOOL initiallyOwn = FALSE, LPCTSTR /*name*/ = nullptr,
                    LPSECURITY_ATTRIBUTES /*attributes*/ = nullptr) {
        if (initiallyOwn) {
            Lock();
        }
    }
};

class CEvent : public CSyncObject {
  public:
    explicit CEvent(BOOL initiallyOwn = FALSE, BOOL manualReset = FALSE, LPCTSTR /*name*/ = nullptr,
                    LPSECURITY_ATTRIBUTES /*attributes*/ = nullptr)
        : signalled_(initiallyOwn != FALSE), manual_(manualReset != FALSE) {}

    BOOL SetEvent() {
        {
            std::lock_guard lock(mutex_);
            signalled_ = true;
        }
        changed_.notify_all();
        return TRUE;
    }
    BOOL ResetEvent() {
        std::lock_guard lock(mutex_);
        signalled_ = false;
        return TRUE;
    }
    BOOL Unlock() override { return TRUE; }
    // An auto-reset event lets one waiter through and resets.
    bool WaitFor(DWORD milliseconds) override {
        std::unique_lock lock(mutex_);
        const auto ready = [&] { return signalled_; };
        if (milliseconds == INFINITE) {
            changed_.wait(lock, ready);
        } else if (!changed_.wait_for(lock, std::chrono::milliseconds(milliseconds), ready)) {
            return false;
        }
        if (!manual_) {
            signalled_ = false;
        }
        return true;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool signalled_;
    bool manual_;
};

class CSingleLock {
  public:
    explicit CSingleLock(CSyncObject* object, BOOL initialLock = FALSE) : object_(object) {
        if (initialLock) {
            Lock();
        }
    }
    ~CSingleLock() { Unlock(); }
    CSingleLock(const CSingleLock&) = delete;
    CSingleLock& operator=(const CSingleLock&) = delete;

    BOOL Lock(DWORD timeout = INFINITE) {
        locked_ = object_->Lock(timeout) != FALSE;
        return locked_;
    }
    BOOL Unlock() {
        if (locked_) {
            locked_ = false;
            return object_->Unlock();
        }
        return TRUE;
    }
    BOOL IsLocked() const noexcept { return locked_; }

  private:
    CSyncObject* object_;
    bool locked_ = false;
};

class CWinThread : public CObject {
  public:
    CWinThread(AFX_THREADPROC proc, LPVOID param) : proc_(proc), param_(param) {}
    ~CWinThread() override {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    CWinThread(const CWinThread&) = delete;
    CWinThread& operator=(const CWinThread&) = delete;

    // Starts the thread (CREATE_SUSPENDED left it waiting).
    DWORD ResumeThread() {
        if (!thread_.joinable()) {
            thread_ = std::thread([this] { Main(); });
            started_.SetEvent();
        }
        return 1;
    }

    // The thread's handle: signalled when its function has returned, and
    // what GetExitCodeThread reads the exit code from.
    class Finished : public CEvent {
      public:
        Finished() : CEvent(FALSE, TRUE) {}
        UINT code = 0;
    };

    BOOL m_bAutoDelete = TRUE;
    HANDLE m_hThread = &finished_;
    UINT m_nExitCode = 0;

  private:
    void Main() {
        // thread_ is assigned once ResumeThread's move has completed.
        started_.WaitFor(INFINITE);
        const UINT code = proc_(param_);
        // An auto-deleting thread owns this object: it detaches and frees it.
        if (m_bAutoDelete) {
            thread_.detach();
            std::unique_ptr<CWinThread> self(this);
            self->m_nExitCode = self->finished_.code = code;
            self->finished_.SetEvent();
            return;
        }
        m_nExitCode = finished_.code = code;
        finished_.SetEvent();
    }

    AFX_THREADPROC proc_;
    LPVOID param_;
    CEvent started_{FALSE, TRUE};
    Finished finished_;
    std::thread thread_;
};

// The Win32 calls worker-thread code makes on the handles above. Handles
// belong to their objects, so CloseHandle has nothing to do.
inline constexpr DWORD STILL_ACTIVE = 259;
inline BOOL SetEvent(HANDLE handle) {
    auto* event = dynamic_cast<CEvent*>(handle);
    return event != nullptr ? event->SetEvent() : FALSE;
}
inline BOOL ResetEvent(HANDLE handle) {
    auto* event = dynamic_cast<CEvent*>(handle);
    return event != nullptr ? event->ResetEvent() : FALSE;
}
inline BOOL CloseHandle(HANDLE handle) {
    return handle != nullptr ? TRUE : FALSE;
}
// STILL_ACTIVE until the thread's function has returned, then its result.
inline BOOL GetExitCodeThread(HANDLE handle, LPDWORD exitCode) {
    auto* finished = dynamic_cast<CWinThread::Finished*>(handle);
    if (finished == nullptr || exitCode == nullptr) {
        return FALSE;
    }
    *exitCode = finished->WaitFor(0) ? finished->code : STILL_ACTIVE;
    return TRUE;
}

inline CWinThread* AfxBeginThread(AFX_THREADPROC proc, LPVOID param,
                                  int /*priority*/ = THREAD_PRIORITY_NORMAL, UINT /*stackSize*/ = 0,
                                  DWORD createFlags = 0,
                                  LPSECURITY_ATTRIBUTES /*attributes*/ = nullptr) {
    auto thread = std::make_unique<CWinThread>(proc, param);
    if ((createFlags & CREATE_SUSPENDED) == 0) {
        thread->ResumeThread();
    }
    return thread.release();
}
