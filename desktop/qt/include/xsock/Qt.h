// Qt: a thread's SocketLoop inside Qt's event loop, and CSocket's painting pump
// for Qt windows.
//
// MFC delivers socket notifications through the GUI thread's message queue, so
// a dialog's OnReceive runs between paints and clicks, and CSocket keeps the
// windows painted while it blocks. AttachToQt gives a Qt program the same: a
// QSocketNotifier watches the loop's NativeHandle(), and while the returned
// attachment lives, the loop's notifications, timers and posted tasks run
// inside QCoreApplication::exec() and nested QEventLoops on the loop's thread,
// in the event-loop iteration in which their descriptor became ready, with no
// polling interval; an idle loop adds no wake-ups.
//
// While a blocking xsock::Socket call waits on that thread, the attachment's
// pump (SocketLoop::SetBlockingPump, run by Socket::OnMessagePending) lets Qt
// deliver its events at least every Socket::kPumpInterval (100 ms), a few
// passes at a time, without user input, Qt timers or socket notifiers:
// windows are exposed and repainted, and events posted to Qt objects are
// delivered (a QTimer::singleShot of 0 ms is one in Qt 6), while clicks, keys
// and timers wait until the call returns, as under MFC's pump. The rest of the
// pump rules stay the loop's: its timers, tasks and other sockets'
// notifications are held back. Where Qt's event dispatcher is GLib's (the
// Linux default), sources that other libraries added to the thread's GLib
// context are dispatched by those passes too.
//
// Destroying the attachment detaches: nothing of xsock runs from Qt afterwards,
// and the loop works on its own again (Run, RunOnce), or can be attached again.
//
// Thread rules: attach and destroy the attachment on the loop's thread, which
// must have a Qt event dispatcher (the QCoreApplication's thread, or a
// QThread); destroy the attachment before the loop.
//
// Errors: attaching from another thread throws std::logic_error; a loop whose
// backend has no native handle (select, poll) throws std::invalid_argument
// naming the backend, and so does a thread without a Qt event dispatcher or a
// loop already attached to Qt. An exception from a notification, timer or task
// goes to the loop's exception handler (SocketLoop::SetExceptionHandler) and
// Qt carries on. Without a handler it cannot cross Qt's event delivery: it ends
// the program through std::terminate, as one leaving a std::thread does.
#pragma once

#include <xsock/QtExport.h>
#include <xsock/SocketLoop.h>

#include <memory>

namespace xsock {

class XSOCK_QT_EXPORT QtAttachment {
  public:
    // Attached to nothing.
    QtAttachment() noexcept;
    QtAttachment(QtAttachment&& other) noexcept;
    QtAttachment& operator=(QtAttachment&& other) noexcept;
    // Detaches.
    ~QtAttachment();

    QtAttachment(const QtAttachment&) = delete;
    QtAttachment& operator=(const QtAttachment&) = delete;

    bool IsAttached() const noexcept { return state_ != nullptr; }
    // Stops watching now; nothing if not attached.
    void Detach() noexcept;

  private:
    struct State;
    friend XSOCK_QT_EXPORT QtAttachment AttachToQt(SocketLoop& loop);
    explicit QtAttachment(std::unique_ptr<State> state) noexcept;

    std::unique_ptr<State> state_;
};

// Runs `loop` from the calling thread's Qt event loop until the attachment is
// destroyed.
[[nodiscard]] XSOCK_QT_EXPORT QtAttachment AttachToQt(SocketLoop& loop);

}  // namespace xsock
