#include <xsock/GLib.h>

#include <glib.h>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

namespace xsock {

namespace {

// One loop per thread, so one flag per thread tells whether it is attached.
thread_local bool t_attached = false;

// GLib allocates the source with room for the fields after `base`.
struct LoopSource {
    GSource base;
    SocketLoop* loop;
    gpointer tag;
    bool* attached;  // the attaching thread's t_attached
};

LoopSource* Of(GSource* source) {
    return reinterpret_cast<LoopSource*>(source);
}

gboolean Dispatch(GSource* source, GSourceFunc /*callback*/, gpointer /*data*/) {
    // The descriptor is readable: the loop has work. Its own wait is skipped,
    // so this never blocks the host.
    try {
        Of(source)->loop->RunOnce(std::chrono::milliseconds(0));
    } catch (...) {
        std::terminate();  // no exception handler on the loop; see GLib.h
    }
    return G_SOURCE_CONTINUE;
}

GSourceFuncs g_loopSourceFuncs = {nullptr, nullptr, Dispatch, nullptr, nullptr, nullptr};

}  // namespace

GLibAttachment AttachToGLib(SocketLoop& loop, GMainContext* context) {
    if (!loop.IsInLoopThread()) {
        throw std::logic_error(
            "xsock::AttachToGLib: called from a thread that does not own the loop");
    }
    if (t_attached) {
        throw std::invalid_argument("xsock::AttachToGLib: the loop is already attached to GLib");
    }
    int handle = loop.NativeHandle();
    if (handle < 0) {
        throw std::invalid_argument(std::string("xsock::AttachToGLib: the ") +
                                    SocketLoop::BackendName(loop.GetBackend()) +
                                    " backend has no native handle; use epoll or uring");
    }
    GSource* source = g_source_new(&g_loopSourceFuncs, sizeof(LoopSource));
    g_source_set_name(source, "xsock::SocketLoop");
    // A modal loop run from a notification keeps delivering, as a modal
    // dialog's message loop does under MFC; the SocketLoop allows the nesting.
    g_source_set_can_recurse(source, TRUE);
    Of(source)->loop = &loop;
    Of(source)->tag = g_source_add_unix_fd(source, handle, G_IO_IN);
    Of(source)->attached = &t_attached;
    g_source_attach(source, context);
    t_attached = true;
    return GLibAttachment(source);
}

GLibAttachment::GLibAttachment(GLibAttachment&& other) noexcept : source_(other.source_) {
    other.source_ = nullptr;
}

GLibAttachment& GLibAttachment::operator=(GLibAttachment&& other) noexcept {
    if (this != &other) {
        Detach();
        source_ = other.source_;
        other.source_ = nullptr;
    }
    return *this;
}

GLibAttachment::~GLibAttachment() {
    Detach();
}

void GLibAttachment::Detach() noexcept {
    if (source_ == nullptr) {
        return;
    }
    // Safe inside the source's own dispatch: GLib keeps it alive until the
    // dispatch returns and never dispatches it again.
    *Of(source_)->attached = false;
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
}

}  // namespace xsock
