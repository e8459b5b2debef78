// GLib: a thread's SocketLoop inside a GLib main loop, and so inside GTK's and
// wxGTK's.
//
// MFC delivers socket notifications through the GUI thread's message queue, so
// a dialog's OnReceive runs between paints and clicks. AttachToGLib gives a GLib
// program the same: it adds a source to a GMainContext (the default one for
// null) that watches the loop's NativeHandle(). While the returned attachment
// lives, the loop's notifications, timers and posted tasks run inside
// g_main_loop_run (or g_main_context_iteration) on that context, in the
// iteration in which their descriptor became ready, with no polling interval;
// an idle loop adds no wake-ups. Nested main loops (a modal dialog run from a
// notification) keep delivering. Destroying the attachment removes the source:
// nothing of xsock runs from GLib afterwards, and the loop works on its own
// again (Run, RunOnce), or can be attached again. There is no MFC counterpart:
// this is what MFC's hidden socket window gets from the Windows message loop.
//
// Thread rules: attach, iterate the context and destroy the attachment on the
// loop's thread; destroy the attachment before the loop.
//
// Errors: attaching from another thread throws std::logic_error; a loop whose
// backend has no native handle (select, poll) throws std::invalid_argument
// naming the backend, and so does a loop that is already attached to GLib. An
// exception from a notification, timer or task goes to the loop's exception
// handler (SocketLoop::SetExceptionHandler) and GLib carries on. Without a
// handler it cannot cross GLib's C frames: it ends the program through
// std::terminate, as one leaving a std::thread does.
#pragma once

#include <xsock/GLibExport.h>
#include <xsock/SocketLoop.h>

#include <glib.h>

namespace xsock {

class XSOCK_GLIB_EXPORT GLibAttachment {
  public:
    // Attached to nothing.
    GLibAttachment() noexcept = default;
    GLibAttachment(GLibAttachment&& other) noexcept;
    GLibAttachment& operator=(GLibAttachment&& other) noexcept;
    // Detaches.
    ~GLibAttachment();

    GLibAttachment(const GLibAttachment&) = delete;
    GLibAttachment& operator=(const GLibAttachment&) = delete;

    bool IsAttached() const noexcept { return source_ != nullptr; }
    // Removes the source now; nothing if not attached.
    void Detach() noexcept;

  private:
    friend XSOCK_GLIB_EXPORT GLibAttachment AttachToGLib(SocketLoop& loop, GMainContext* context);
    explicit GLibAttachment(GSource* source) noexcept : source_(source) {}

    GSource* source_ = nullptr;
};

// Runs `loop` from `context` (null: GLib's default context) until the
// attachment is destroyed.
[[nodiscard]] XSOCK_GLIB_EXPORT GLibAttachment AttachToGLib(SocketLoop& loop,
                                                            GMainContext* context = nullptr);

}  // namespace xsock
