// xsock::AttachToQt: a SocketLoop run by Qt's event loop (nested QEventLoops,
// and QApplication::exec() in the last case, since Qt stops painting once exec
// has returned), and a blocking Socket that keeps a Qt window painted. Runs on
// Qt's offscreen platform, which the suite selects itself. Nothing sleeps.
#include <xsock/Qt.h>
#include <xsock/Socket.h>

#include "QtTestSupport.h"
#include "TestSupport.h"

#include <QAbstractEventDispatcher>
#include <QEventLoop>
#include <QPainter>
#include <QTimer>
#include <QWidget>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
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
using Clock = std::chrono::steady_clock;

namespace {

struct Application : xsock::test::OffscreenApplication {
    Application() : OffscreenApplication("QtAttachment") {}
};

// Runs a nested QEventLoop until `done()` holds, checked every time the event
// loop is about to sleep, or until `deadline`; counts those iterations.
class Host {
  public:
    bool RunUntil(const std::function<bool()>& done,
                  std::chrono::milliseconds deadline = kDeadline) {
        if (done()) {
            return true;
        }
        QEventLoop loop;
        QTimer::singleShot(deadline, &loop, &QEventLoop::quit);
        QObject::connect(QAbstractEventDispatcher::instance(),
                         &QAbstractEventDispatcher::aboutToBlock, &loop, [&] {
                             ++iterations;
                             if (done()) {
                                 loop.quit();
                             }
                         });
        loop.exec();
        return done();
    }
    void RunFor(std::chrono::milliseconds period) {
        RunUntil([] { return false; }, period);
    }
    int iterations = 0;
};

std::chrono::nanoseconds ThreadCpuTime() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

}  // namespace

// A widget that is always animating: every paint asks for the next one. Not
// in the anonymous namespace: a data test case's lambdas capture it.
class Animated : public QWidget {
  public:
    std::vector<Clock::time_point> paints;

  protected:
    void paintEvent(QPaintEvent*) override {
        QPainter painter(this);
        painter.fillRect(rect(), paints.size() % 2 == 0 ? Qt::blue : Qt::red);
        paints.push_back(Clock::now());
        update();
    }
};

namespace {

// A peer on a thread of its own that answers "ask" with "answer" only after
// `delay`, from a timer on its own loop.
class LatePeer {
  public:
    explicit LatePeer(std::chrono::milliseconds delay) {
        std::promise<unsigned> port;
        std::future<unsigned> listening = port.get_future();
        thread_ = std::thread([this, delay, &port] { Serve(delay, port); });
        port_ = listening.get();
    }
    ~LatePeer() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    LatePeer(const LatePeer&) = delete;
    LatePeer& operator=(const LatePeer&) = delete;

    unsigned Port() const { return port_; }
    // Empty once the peer has answered; what went wrong otherwise.
    std::string Join() {
        thread_.join();
        return failure_;
    }

  private:
    void Serve(std::chrono::milliseconds delay, std::promise<unsigned>& port) {
        SocketLoop loop({SocketLoop::Backend::Epoll});
        Socket listener, connection;
        std::string host;
        unsigned listening = 0;
        if (!listener.Create(0, SOCK_STREAM, "127.0.0.1") || !listener.Listen() ||
            !listener.GetSockName(host, listening)) {
            failure_ = "listen failed";
            port.set_value(0);
            return;
        }
        port.set_value(listening);
        connection.SetTimeout(kDeadline);
        char buffer[16];
        if (!listener.Accept(connection) || connection.Receive(buffer, sizeof buffer) != 3) {
            failure_ = "no question";
            return;
        }
        bool answered = false;
        loop.SetTimer(
            delay, [&] { answered = connection.Send("answer", 6) == 6; }, false);
        if (!loop.RunUntil([&] { return answered; }, kDeadline)) {
            failure_ = "no answer sent";
        }
    }

    std::thread thread_;
    unsigned port_ = 0;
    std::string failure_;
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(Application);

BOOST_AUTO_TEST_SUITE(QtAttachmentTest)

BOOST_DATA_TEST_CASE(AnExchangeOfManyRoundsRunsInsideANestedQEventLoop, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    QtAttachment attachment = AttachToQt(loop);
    Host host;
    constexpr int kRounds = 1000;
    int rounds = 0;
    server.onReceive = [&](Probe& self) {
        char buffer[64];
        int n = self.Receive(buffer, sizeof buffer);
        if (n > 0) {
            self.Send(buffer, n);
        }
    };
    client.onReceive = [&](Probe& self) {
        char buffer[64];
        if (self.Receive(buffer, sizeof buffer) > 0 && ++rounds < kRounds) {
            self.Send("ping", 4);
        }
    };
    BOOST_REQUIRE_EQUAL(client.Send("ping", 4), 4);
    BOOST_REQUIRE(host.RunUntil([&] { return rounds == kRounds; }));
    BOOST_TEST_MESSAGE(kRounds << " rounds in " << host.iterations << " iterations");
    BOOST_CHECK_LE(host.iterations, 3 * kRounds);
}

BOOST_DATA_TEST_CASE(XsockTimersRunBesideQTimers, data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    QtAttachment attachment = AttachToQt(loop);
    Host host;
    std::vector<std::string> order;
    int xsockTicks = 0, qtTicks = 0;
    loop.SetTimer(
        30ms, [&] { order.emplace_back("xsock once"); }, false);
    TimerId repeating = loop.SetTimer(
        10ms, [&] { ++xsockTicks; }, true);
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, [&] { ++qtTicks; });
    ticker.start(15ms);
    QTimer::singleShot(300ms, [&] { order.emplace_back("qt once"); });
    // Until both kinds of timer have ticked five times: a loaded machine may
    // run the 15 ms QTimer fewer than five times in the 300 ms.
    BOOST_REQUIRE(
        host.RunUntil([&] { return order.size() == 2 && xsockTicks >= 5 && qtTicks >= 5; }));
    BOOST_CHECK(order == (std::vector<std::string>{"xsock once", "qt once"}));
    loop.KillTimer(repeating);
}

BOOST_DATA_TEST_CASE(TasksPostedFromOtherThreadsRunOnTheGuiThread, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    QtAttachment attachment = AttachToQt(loop);
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

BOOST_DATA_TEST_CASE(AnUnreadSocketGetsOneOnReceiveAndQtSleeps, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    QtAttachment attachment = AttachToQt(loop);
    Host host;
    BOOST_REQUIRE_EQUAL(client.Send("unread", 6), 6);
    BOOST_REQUIRE(host.RunUntil([&] { return server.counts.receive == 1; }));
    host.iterations = 0;
    host.RunFor(300ms);
    BOOST_CHECK_EQUAL(server.counts.receive, 1);
    BOOST_TEST_MESSAGE("unread for 300 ms: " << host.iterations << " iterations");
    BOOST_CHECK_LE(host.iterations, 5);
}

BOOST_DATA_TEST_CASE(AnIdleAttachedLoopLeavesQtAsleep, data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    loop.SetTimer(
        1h, [] {}, false);
    loop.Post([] {});
    QtAttachment attachment = AttachToQt(loop);
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

BOOST_DATA_TEST_CASE(ANestedQEventLoopInANotificationKeepsDelivering, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    QtAttachment attachment = AttachToQt(loop);
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

// CSocket's pump: while a blocking Receive waits for a peer that answers late,
// the window keeps being painted at least every pump interval, while Qt's
// timers and the loop's own tasks wait until the call returns.
BOOST_DATA_TEST_CASE(AWindowKeepsPaintingWhileABlockingReceiveWaits, data::make(kNativeBackends),
                     backend) {
    SocketLoop loop({backend});
    QtAttachment attachment = AttachToQt(loop);
    Host host;
    Animated window;
    window.resize(160, 90);
    window.show();
    BOOST_REQUIRE(host.RunUntil([&] { return window.paints.size() >= 2; }));

    constexpr auto kDelay = 700ms;
    LatePeer peer(kDelay);
    BOOST_REQUIRE(peer.Port() != 0);
    Socket client;
    client.SetTimeout(kDeadline);
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, "127.0.0.1"));
    BOOST_REQUIRE(client.Connect("127.0.0.1", peer.Port()));
    BOOST_REQUIRE_EQUAL(client.Send("ask", 3), 3);

    bool qtTimerFired = false, taskRan = false;
    QTimer::singleShot(1ms, &window, [&] { qtTimerFired = true; });
    loop.Post([&] { taskRan = true; });
    std::size_t before = window.paints.size();
    Clock::time_point start = Clock::now();
    char buffer[16];
    int n = client.Receive(buffer, sizeof buffer);
    Clock::time_point end = Clock::now();
    BOOST_REQUIRE_EQUAL(n, 6);
    BOOST_CHECK_EQUAL(std::string(buffer, 6), "answer");
    BOOST_CHECK(end - start >= kDelay - 50ms);
    BOOST_CHECK_MESSAGE(!qtTimerFired, "a Qt timer ran inside the blocking call");
    BOOST_CHECK_MESSAGE(!taskRan, "a posted task ran inside the blocking call");

    // Every paint during the call, and the longest stretch without one.
    std::vector<Clock::time_point> during(window.paints.begin() + static_cast<long>(before),
                                          window.paints.end());
    BOOST_CHECK_GE(during.size(), 5u);
    Clock::duration longest{};
    Clock::time_point previous = start;
    for (Clock::time_point paint : during) {
        longest = std::max(longest, paint - previous);
        previous = paint;
    }
    longest = std::max(longest, end - previous);
    BOOST_TEST_MESSAGE(during.size()
                       << " paints in "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count()
                       << " ms, longest gap "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count()
                       << " ms");
    BOOST_CHECK_MESSAGE(
        longest < 300ms,
        "no paint for " << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count()
                        << " ms");
    BOOST_CHECK(peer.Join().empty());

    // Once the call has returned, what it held back runs.
    BOOST_CHECK(host.RunUntil([&] { return qtTimerFired && taskRan; }));
}

BOOST_DATA_TEST_CASE(ExceptionsGoToTheLoopsHandlerAndQtCarriesOn, data::make(kNativeBackends),
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
    QtAttachment attachment = AttachToQt(loop);
    Host host;
    bool after = false;
    loop.Post([] { throw std::runtime_error("from a task"); });
    loop.Post([&] { after = true; });
    BOOST_REQUIRE(host.RunUntil([&] { return after; }));
    BOOST_CHECK(caught == std::vector<std::string>{"from a task"});
}

BOOST_DATA_TEST_CASE(DetachingStopsQtFromRunningTheLoopAndAttachingAgainWorks,
                     data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    Host host;
    int ran = 0;
    QtAttachment first = AttachToQt(loop);
    QtAttachment moved = std::move(first);
    BOOST_CHECK(!first.IsAttached());
    BOOST_CHECK(moved.IsAttached());
    loop.Post([&] { ++ran; });
    BOOST_REQUIRE(host.RunUntil([&] { return ran == 1; }));

    moved.Detach();
    loop.Post([&] { ++ran; });
    host.RunFor(100ms);
    BOOST_CHECK_EQUAL(ran, 1);
    BOOST_CHECK_EQUAL(loop.RunOnce(0ms), 1u);
    BOOST_CHECK_EQUAL(ran, 2);

    QtAttachment again = AttachToQt(loop);
    loop.Post([&] { ++ran; });
    BOOST_CHECK(host.RunUntil([&] { return ran == 3; }));
}

BOOST_DATA_TEST_CASE(DetachingFromInsideANotificationIsSafe, data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    Host host;
    QtAttachment attachment = AttachToQt(loop);
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
            QtAttachment attachment = AttachToQt(loop);
            fromOtherThread = "attached";
        } catch (const std::invalid_argument&) {
            fromOtherThread = "invalid_argument";
        } catch (const std::logic_error&) {
            fromOtherThread = "logic_error";
        }
    }).join();
    BOOST_CHECK_EQUAL(fromOtherThread, "logic_error");

    auto attachOnThread = [](std::optional<SocketLoop::Backend> backend) {
        std::string what;
        std::thread([&] {
            try {
                SocketLoop own({backend});
                QtAttachment attachment = AttachToQt(own);
                what = "attached";
            } catch (const std::invalid_argument& error) {
                what = error.what();
            }
        }).join();
        return what;
    };
    BOOST_CHECK_MESSAGE(
        attachOnThread(SocketLoop::Backend::Select).find("select") != std::string::npos,
        attachOnThread(SocketLoop::Backend::Select));
    BOOST_CHECK_MESSAGE(attachOnThread(SocketLoop::Backend::Poll).find("poll") != std::string::npos,
                        attachOnThread(SocketLoop::Backend::Poll));
    // A plain thread has no Qt event dispatcher to watch the handle with.
    BOOST_CHECK_MESSAGE(
        attachOnThread(SocketLoop::Backend::Epoll).find("event dispatcher") != std::string::npos,
        attachOnThread(SocketLoop::Backend::Epoll));

    QtAttachment attachment = AttachToQt(loop);
    BOOST_CHECK_THROW(static_cast<void>(AttachToQt(loop)), std::invalid_argument);
}

// Last: once QApplication::exec() has returned, Qt paints no more.
BOOST_DATA_TEST_CASE(NotificationsRunInsideQApplicationExec, data::make(kNativeBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);
    QtAttachment attachment = AttachToQt(loop);
    int rounds = 0;
    server.onReceive = [&](Probe& self) {
        char buffer[64];
        int n = self.Receive(buffer, sizeof buffer);
        if (n > 0) {
            self.Send(buffer, n);
        }
    };
    client.onReceive = [&](Probe& self) {
        char buffer[64];
        if (self.Receive(buffer, sizeof buffer) > 0 && ++rounds < 100) {
            self.Send("ping", 4);
        } else if (rounds == 100) {
            QCoreApplication::quit();
        }
    };
    QTimer::singleShot(kDeadline, [] { QCoreApplication::exit(1); });
    BOOST_REQUIRE_EQUAL(client.Send("ping", 4), 4);
    BOOST_CHECK_EQUAL(QApplication::exec(), 0);
    BOOST_CHECK_EQUAL(rounds, 100);
}

BOOST_AUTO_TEST_SUITE_END()
