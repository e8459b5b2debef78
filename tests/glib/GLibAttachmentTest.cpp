// xsock::AttachToGLib: a SocketLoop run by a real GMainLoop, as GTK and wxGTK
// programs run it. Every wait is a GLib main loop with a deadline; nothing
// sleeps.
#include <xsock/GLib.h>

#include "TestSupport.h"

#include <glib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace xsock;
using namespace xsock::test;
using namespace std::chrono_literals;
namespace data = boost::unit_test::data;

namespace {

// The backends with a descriptor a host loop can watch.
const std::vector<SocketLoop::Backend> kNativeBackends = WithUring({SocketLoop::Backend::Epoll});

}  // namespace

namespace {

// A GMainLoop on `context` that quits as soon as `done()` holds, checked in
// every iteration, or at `deadline`; counts the context's iterations.
class Host {
  public:
    explicit Host(GMainContext* context = nullptr)
        : context_(context), loop_(g_main_loop_new(context, FALSE)) {
        watcher_ = g_source_new(&kWatcherFuncs, sizeof(Watcher));
        reinterpret_cast<Watcher*>(watcher_)->host = this;
        g_source_attach(watcher_, context_);
    }
    ~Host() {
        g_source_destroy(watcher_);
        g_source_unref(watcher_);
        g_main_loop_unref(loop_);
    }
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    bool RunUntil(std::function<bool()> done, std::chrono::milliseconds deadline = kDeadline) {
        done_ = std::move(done);
        GSource* timeout = g_timeout_source_new(static_cast<guint>(deadline.count()));
        g_source_set_callback(
            timeout,
            [](gpointer loop) {
                g_main_loop_quit(static_cast<GMainLoop*>(loop));
                return G_SOURCE_REMOVE;
            },
            loop_, nullptr);
        g_source_attach(timeout, context_);
        if (!done_()) {
            g_main_loop_run(loop_);
        }
        g_source_destroy(timeout);
        g_source_unref(timeout);
        bool result = done_();
        done_ = nullptr;
        return result;
    }

    // Runs for `period` whatever happens, ended by a GLib timeout.
    void RunFor(std::chrono::milliseconds period) {
        RunUntil([] { return false; }, period);
    }

    GMainLoop* Loop() const { return loop_; }
    int iterations = 0;

  private:
    struct Watcher {
        GSource base;
        Host* host;
    };
    // Called before every poll of the context: one call per iteration.
    static gboolean Prepare(GSource* source, gint* timeout) {
        Host& host = *reinterpret_cast<Watcher*>(source)->host;
        ++host.iterations;
        *timeout = -1;
        if (host.done_ && host.done_()) {
            g_main_loop_quit(host.loop_);
        }
        return FALSE;
    }
    static gboolean Dispatch(GSource*, GSourceFunc, gpointer) { return G_SOURCE_CONTINUE; }
    static inline GSourceFuncs kWatcherFuncs = {Prepare, nullptr, Dispatch,
                                                nullptr, nullptr, nullptr};

    GMainContext* context_;
    GMainLoop* loop_;
    GSource* watcher_ = nullptr;
    std::function<bool()> done_;
};

std::chrono::nanoseconds ThreadCpuTime() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

guint AddTimeout(GMainContext* context, std::chrono::milliseconds interval,
                 std::function<gboolean()>* callback) {
    GSource* source = g_timeout_source_new(static_cast<guint>(interval.count()));
    g_source_set_callback(
        source, [](gpointer data) { return (*static_cast<std::function<gboolean()>*>(data))(); },
        callback, nullptr);
    guint id = g_source_attach(source, context);
    g_source_unref(source);
    return id;
}

// What AttachToGLib threw, on a thread of its own.
template <typename Make>
std::string AttachOnThread(Make make) {
    std::string what;
    std::thread([&] {
        try {
            SocketLoop& loop = make();
            GLibAttachment attachment = AttachToGLib(loop);
            what = "attached";
        } catch (const std::invalid_argument& error) {
            what = std::string("invalid_argument: ") + error.what();
        } catch (const std::exception& error) {
            what = std::string("other: ") + error.what();
        }
    }).join();
    return what;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(GLibAttachmentTest)

BOOST_DATA_TEST_CASE(AnExchangeOfManyRoundsRunsInsideTheGMainLoop, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    GLibAttachment attachment = AttachToGLib(loop);
    Host host;

    constexpr int kRounds = 1000;
    int rounds = 0;
    int wrongThread = 0;
    const auto gui = std::this_thread::get_id();
    server.onReceive = [&](Probe& self) {
        char buffer[64];
        int n = self.Receive(buffer, sizeof buffer);
        if (n > 0) {
            self.Send(buffer, n);
        }
    };
    client.onReceive = [&](Probe& self) {
        char buffer[64];
        if (self.Receive(buffer, sizeof buffer) > 0) {
            wrongThread += std::this_thread::get_id() != gui;
            if (++rounds < kRounds) {
                self.Send("ping", 4);
            }
        }
    };
    BOOST_REQUIRE_EQUAL(client.Send("ping", 4), 4);
    BOOST_REQUIRE(host.RunUntil([&] { return rounds == kRounds; }));
    BOOST_CHECK_EQUAL(wrongThread, 0);
    // Each round wakes GLib for the server's and the client's descriptor; a
    // round that needed a polling interval or a second look would add more.
    BOOST_TEST_MESSAGE(kRounds << " rounds in " << host.iterations << " iterations");
    BOOST_CHECK_LE(host.iterations, 3 * kRounds);
}

BOOST_DATA_TEST_CASE(XsockTimersRunBesideGLibTimeouts, data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    // A context of the test's own, as a program with a second main loop uses.
    GMainContext* context = g_main_context_new();
    {
        GLibAttachment attachment = AttachToGLib(loop, context);
        Host host(context);
        std::vector<std::string> order;
        int xsockTicks = 0, glibTicks = 0;
        loop.SetTimer(
            30ms, [&] { order.emplace_back("xsock once"); }, false);
        TimerId repeating = loop.SetTimer(
            10ms, [&] { ++xsockTicks; }, true);
        std::function<gboolean()> tick = [&] {
            ++glibTicks;
            return G_SOURCE_CONTINUE;
        };
        std::function<gboolean()> late = [&] {
            order.emplace_back("glib once");
            return G_SOURCE_REMOVE;
        };
        guint tickId = AddTimeout(context, 15ms, &tick);
        AddTimeout(context, 300ms, &late);
        BOOST_REQUIRE(host.RunUntil([&] { return order.size() == 2 && xsockTicks >= 5; }));
        BOOST_CHECK(order == (std::vector<std::string>{"xsock once", "glib once"}));
        BOOST_CHECK_GE(glibTicks, 5);
        loop.KillTimer(repeating);
        g_source_destroy(g_main_context_find_source_by_id(context, tickId));
    }
    g_main_context_unref(context);
}

BOOST_DATA_TEST_CASE(TasksPostedFromOtherThreadsRunOnTheGuiThread, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    GLibAttachment attachment = AttachToGLib(loop);
    Host host;
    constexpr int kThreads = 4, kEach = 250;
    int ran = 0, wrongThread = 0;
    const auto gui = std::this_thread::get_id();
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                loop.Post([&] {
                    ++ran;
                    wrongThread += std::this_thread::get_id() != gui;
                });
            }
        });
    }
    bool done = host.RunUntil([&] { return ran == kThreads * kEach; });
    for (std::thread& poster : posters) {
        poster.join();
    }
    BOOST_CHECK(done);
    BOOST_CHECK_EQUAL(wrongThread, 0);
}

BOOST_DATA_TEST_CASE(AnUnreadSocketGetsOneOnReceiveAndGLibSleeps, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    GLibAttachment attachment = AttachToGLib(loop);
    Host host;
    BOOST_REQUIRE_EQUAL(client.Send("unread", 6), 6);
    BOOST_REQUIRE(host.RunUntil([&] { return server.counts.receive == 1; }));
    // The data stays unread: a descriptor left readable would make GLib
    // iterate without end.
    host.iterations = 0;
    host.RunFor(300ms);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);
    BOOST_TEST_MESSAGE("unread for 300 ms: " << host.iterations << " iterations");
    BOOST_CHECK_LE(host.iterations, 5);
    char buffer[16];
    BOOST_CHECK_EQUAL(server.Receive(buffer, sizeof buffer), 6);
}

BOOST_DATA_TEST_CASE(AnIdleAttachedLoopLeavesGLibAsleep, data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    loop.SetTimer(
        1h, [] {}, false);  // armed, far away: no wake-up for it
    loop.Post([] {});       // work done before the idle period
    GLibAttachment attachment = AttachToGLib(loop);
    Host host;
    host.RunFor(50ms);
    host.iterations = 0;
    auto cpuBefore = ThreadCpuTime();
    host.RunFor(500ms);
    auto cpu = ThreadCpuTime() - cpuBefore;
    BOOST_TEST_MESSAGE("idle for 500 ms: " << host.iterations << " iterations");
    BOOST_CHECK_LE(host.iterations, 3);
    BOOST_CHECK_MESSAGE(cpu < 100ms,
                        "idle for 500 ms cost "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(cpu).count()
                            << " ms of CPU");
}

BOOST_DATA_TEST_CASE(ANestedMainLoopInANotificationKeepsDelivering, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    GLibAttachment attachment = AttachToGLib(loop);
    Host host;
    bool nestedDone = false, taskRan = false, timerRan = false;
    RawSocket late;
    server.onReceive = [&](Probe& self) {
        char buffer[16];
        self.Receive(buffer, sizeof buffer);
        std::string address;
        unsigned port = 0;
        BOOST_REQUIRE(listener.GetSockName(address, port));
        late.Connect(port);
        loop.Post([&] { taskRan = true; });
        loop.SetTimer(
            5ms, [&] { timerRan = true; }, false);
        // A modal dialog's loop, run from inside OnReceive.
        Host modal;
        nestedDone =
            modal.RunUntil([&] { return listener.counts.accept == 2 && taskRan && timerRan; });
    };
    BOOST_REQUIRE_EQUAL(client.Send("open", 4), 4);
    BOOST_REQUIRE(host.RunUntil([&] { return server.counts.receive == 1 && nestedDone; }));
}

BOOST_DATA_TEST_CASE(ExceptionsGoToTheLoopsHandlerAndGLibCarriesOn, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    std::vector<std::string> caught;
    loop.SetExceptionHandler([&](std::exception_ptr error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            caught.emplace_back(e.what());
        }
    });
    GLibAttachment attachment = AttachToGLib(loop);
    Host host;
    bool after = false;
    loop.Post([] { throw std::runtime_error("from a task"); });
    loop.Post([&] { after = true; });
    BOOST_REQUIRE(host.RunUntil([&] { return after; }));
    BOOST_CHECK(caught == std::vector<std::string>{"from a task"});
    bool later = false;
    loop.Post([&] { later = true; });
    BOOST_CHECK(host.RunUntil([&] { return later; }));
}

// Without a handler the exception cannot cross GLib's C frames: the program
// ends (std::terminate), in a child process here, instead of unwinding
// through g_main_loop_run.
BOOST_AUTO_TEST_CASE(WithoutAHandlerAnExceptionEndsTheProgram) {
    std::cout.flush();
    std::fflush(nullptr);
    pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        ::close(STDERR_FILENO);         // std::terminate's message is expected here
        std::signal(SIGABRT, SIG_DFL);  // Boost.Test's handler would report it as a failure
        {
            SocketLoop loop({SocketLoop::Backend::Epoll});
            GLibAttachment attachment = AttachToGLib(loop);
            loop.Post([] { throw std::runtime_error("from a task"); });
            try {
                Host host;
                host.RunFor(kDeadline);
            } catch (...) {
                ::_exit(3);  // it unwound through GLib
            }
        }
        ::_exit(0);
    }
    int status = 0;
    BOOST_REQUIRE_EQUAL(::waitpid(child, &status, 0), child);
    BOOST_CHECK_MESSAGE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                        "the child ended with status " << status);
}

BOOST_DATA_TEST_CASE(DetachingStopsGLibFromRunningTheLoopAndAttachingAgainWorks,
                     data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    Host host;
    int ran = 0;
    GLibAttachment first = AttachToGLib(loop);
    GLibAttachment moved = std::move(first);
    BOOST_CHECK(!first.IsAttached());
    BOOST_CHECK(moved.IsAttached());
    loop.Post([&] { ++ran; });
    BOOST_REQUIRE(host.RunUntil([&] { return ran == 1; }));

    moved.Detach();
    BOOST_CHECK(!moved.IsAttached());
    loop.Post([&] { ++ran; });
    host.RunFor(100ms);
    BOOST_CHECK_EQUAL(ran, 1);                 // nothing of xsock runs from GLib
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);  // the loop works on its own
    BOOST_CHECK_EQUAL(ran, 2);

    GLibAttachment again = AttachToGLib(loop);
    loop.Post([&] { ++ran; });
    BOOST_CHECK(host.RunUntil([&] { return ran == 3; }));
}

BOOST_DATA_TEST_CASE(DetachingFromInsideANotificationIsSafe, data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    Host host;
    GLibAttachment attachment = AttachToGLib(loop);
    int ran = 0;
    loop.Post([&] {
        ++ran;
        attachment.Detach();
        loop.Post([&] { ++ran; });
    });
    host.RunFor(100ms);
    BOOST_CHECK_EQUAL(ran, 1);
    loop.RunOnce(0ms);
    BOOST_CHECK_EQUAL(ran, 2);
}

BOOST_DATA_TEST_CASE(RefusesAnotherThreadABackendWithoutAHandleAndASecondAttachment,
                     data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    std::string fromOtherThread;
    std::thread([&] {
        try {
            GLibAttachment attachment = AttachToGLib(loop);
            fromOtherThread = "attached";
        } catch (const std::logic_error& error) {
            fromOtherThread = dynamic_cast<const std::invalid_argument*>(&error) != nullptr
                                  ? "invalid_argument"
                                  : "logic_error";
        }
    }).join();
    BOOST_CHECK_EQUAL(fromOtherThread, "logic_error");

    for (auto backend : {SocketLoop::Backend::Select, SocketLoop::Backend::Poll}) {
        std::string what = AttachOnThread(
            [backend]() -> SocketLoop& { return SocketLoop::ForThisThread({backend}); });
        BOOST_CHECK_MESSAGE(what.rfind("invalid_argument: ", 0) == 0 &&
                                what.find(SocketLoop::BackendName(backend)) != std::string::npos,
                            what);
    }

    GLibAttachment attachment = AttachToGLib(loop);
    BOOST_CHECK_THROW(static_cast<void>(AttachToGLib(loop)), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
