#include <xsock/Qt.h>

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QEventLoop>
#include <QSocketNotifier>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

namespace xsock {

namespace {

// One loop per thread, so one flag per thread tells whether it is attached.
thread_local bool t_attached = false;
// How deep the calling thread is in the notifier's own signal.
thread_local int t_dispatching = 0;

// What MFC's pump does while a CSocket call blocks: paint, and no input. Qt's
// timers and socket notifiers (this attachment's among them) wait too, so
// nothing of the program's own runs inside the call but posted events. A
// repaint asked for while events are delivered (update() from a posted event
// or a paint) is itself posted for the next pass, so a few passes run while
// there is something to do, and never more: an animation that always asks for
// the next frame cannot keep the call from its socket.
void PaintWhileBlocked() {
    constexpr int kPasses = 4;
    constexpr QEventLoop::ProcessEventsFlags kFlags = QEventLoop::ExcludeUserInputEvents |
                                                      QEventLoop::ExcludeSocketNotifiers |
                                                      QEventLoop::X11ExcludeTimers;
    QAbstractEventDispatcher* dispatcher = QAbstractEventDispatcher::instance();
    for (int pass = 0; dispatcher != nullptr && pass < kPasses && dispatcher->processEvents(kFlags);
         ++pass) {
    }
}

}  // namespace

struct QtAttachment::State {
    SocketLoop& loop;
    std::unique_ptr<QSocketNotifier> notifier;

    State(SocketLoop& l, int handle)
        : loop(l), notifier(std::make_unique<QSocketNotifier>(handle, QSocketNotifier::Read)) {}
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
        notifier->setEnabled(false);
        QObject::disconnect(notifier.get(), nullptr, nullptr, nullptr);
        if (t_dispatching > 0) {
            // Detached from a notification: Qt is still inside the notifier's
            // signal, so it goes once control is back in the event loop.
            notifier.release()->deleteLater();
        }
        loop.SetBlockingPump(nullptr);
        t_attached = false;
    }
};

QtAttachment AttachToQt(SocketLoop& loop) {
    if (!loop.IsInLoopThread()) {
        throw std::logic_error(
            "xsock::AttachToQt: called from a thread that does not own the loop");
    }
    if (t_attached) {
        throw std::invalid_argument("xsock::AttachToQt: the loop is already attached to Qt");
    }
    int handle = loop.NativeHandle();
    if (handle < 0) {
        throw std::invalid_argument(std::string("xsock::AttachToQt: the ") +
                                    SocketLoop::BackendName(loop.GetBackend()) +
                                    " backend has no native handle; use epoll or uring");
    }
    if (QAbstractEventDispatcher::instance() == nullptr) {
        throw std::invalid_argument(
            "xsock::AttachToQt: this thread has no Qt event dispatcher (create the "
            "QCoreApplication, or run in a QThread)");
    }
    auto state = std::make_unique<QtAttachment::State>(loop, handle);
    QObject::connect(state->notifier.get(), &QSocketNotifier::activated, state->notifier.get(),
                     [&loop] {
                         // The descriptor is readable: the loop has work. Its own
                         // wait is skipped, so this never blocks the event loop.
                         ++t_dispatching;
                         try {
                             loop.RunOnce(std::chrono::milliseconds(0));
                         } catch (...) {
                             std::terminate();  // no exception handler on the loop; see Qt.h
                         }
                         --t_dispatching;
                     });
    loop.SetBlockingPump(PaintWhileBlocked);
    t_attached = true;
    return QtAttachment(std::move(state));
}

QtAttachment::QtAttachment() noexcept = default;
QtAttachment::QtAttachment(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
QtAttachment::QtAttachment(QtAttachment&& other) noexcept = default;

QtAttachment& QtAttachment::operator=(QtAttachment&& other) noexcept {
    if (this != &other) {
        Detach();
        state_ = std::move(other.state_);
    }
    return *this;
}

QtAttachment::~QtAttachment() {
    Detach();
}

void QtAttachment::Detach() noexcept {
    state_.reset();
}

}  // namespace xsock
