// Signals arriving while the loop waits or while sockets transfer data: the
// library retries EINTR itself, so the application sees neither errors nor
// lost bytes. The handler is installed without SA_RESTART, so every blocking
// system call the signal lands in really fails with EINTR.
#include "TestSupport.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <string>
#include <thread>

using namespace xsock;
using namespace xsock::test;
namespace data = boost::unit_test::data;

namespace {

std::atomic<int> g_signals{0};

void CountSignal(int) {
    g_signals.fetch_add(1, std::memory_order_relaxed);
}

// Sends SIGUSR1 to one thread until stopped.
class Interrupter {
  public:
    explicit Interrupter(pthread_t target) {
        struct sigaction action {};
        action.sa_handler = CountSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART
        ::sigaction(SIGUSR1, &action, &previous_);
        thread_ = std::thread([this, target] {
            while (!stop_.load()) {
                ::pthread_kill(target, SIGUSR1);
                std::this_thread::yield();
            }
        });
    }
    ~Interrupter() {
        stop_.store(true);
        thread_.join();
        ::sigaction(SIGUSR1, &previous_, nullptr);
    }

  private:
    struct sigaction previous_ {};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(SignalInterrupt)

BOOST_DATA_TEST_CASE(TransferSurvivesSignalStorm, data::make(kAllBackends), backend) {
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);

    std::string payload(4 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>((i * 131) >> 7);
    }
    std::size_t sent = 0;
    int sendErrors = 0;
    auto pump = [&](Probe& self) {
        while (sent < payload.size()) {
            int chunk = static_cast<int>(std::min<std::size_t>(payload.size() - sent, 65536));
            int n = self.Send(payload.data() + sent, chunk);
            if (n < 0) {
                sendErrors += AsyncSocket::GetLastError() != EWOULDBLOCK;
                return;
            }
            sent += static_cast<std::size_t>(n);
        }
        self.ShutDown(AsyncSocket::sends);
    };
    client.onSend = pump;
    std::string received;
    int receiveErrors = 0;
    server.onReceive = [&](Probe& self) {
        if (Drain(self, received) && AsyncSocket::GetLastError() != EWOULDBLOCK) {
            ++receiveErrors;
        }
    };

    g_signals.store(0);
    {
        Interrupter interrupter(::pthread_self());
        pump(client);
        BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    }
    BOOST_CHECK_EQUAL(sendErrors, 0);
    BOOST_CHECK_EQUAL(receiveErrors, 0);
    BOOST_CHECK_EQUAL(server.closeError, 0);
    BOOST_CHECK(received == payload);
    BOOST_TEST_MESSAGE("signals delivered during the transfer: " << g_signals.load());
    BOOST_CHECK(g_signals.load() > 0);
}

BOOST_DATA_TEST_CASE(BlockedWaitInterruptedBySignalsStillRunsTimers, data::make(kAllBackends),
                     backend) {
    SocketLoop loop({backend});
    bool fired = false;
    loop.SetTimer(
        std::chrono::milliseconds(200), [&] { fired = true; }, false);
    g_signals.store(0);
    {
        Interrupter interrupter(::pthread_self());
        BOOST_REQUIRE(RunUntil(loop, [&] { return fired && g_signals.load() > 0; }));
    }
    BOOST_CHECK(fired);
}

BOOST_AUTO_TEST_SUITE_END()
