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

// The sender repeats the payload until enough signals have landed, so the test
// does not depend on how soon the interrupting thread gets a processor.
BOOST_DATA_TEST_CASE(TransferSurvivesSignalStorm, data::make(kAllBackends), backend) {
    constexpr int kSignalsWanted = 100;
    SocketLoop loop({backend});
    Probe listener, client, server;
    ConnectPair(loop, listener, client, server);

    std::string payload(1 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<char>((i * 131) >> 7);
    }
    std::size_t sent = 0;  // of the current copy
    std::size_t copies = 0;
    bool finished = false;
    int sendErrors = 0;
    auto pump = [&](Probe& self) {
        while (!finished) {
            if (sent == payload.size()) {
                ++copies;
                sent = 0;
                if (g_signals.load() >= kSignalsWanted) {
                    finished = true;
                    self.ShutDown(AsyncSocket::sends);
                    return;
                }
            }
            int chunk = static_cast<int>(std::min<std::size_t>(payload.size() - sent, 65536));
            int n = self.Send(payload.data() + sent, chunk);
            if (n < 0) {
                sendErrors += AsyncSocket::GetLastError() != EWOULDBLOCK;
                return;
            }
            sent += static_cast<std::size_t>(n);
        }
    };
    client.onSend = pump;
    std::size_t received = 0;
    std::size_t mismatches = 0;
    int receiveErrors = 0;
    server.onReceive = [&](Probe& self) {
        std::string chunk;
        if (Drain(self, chunk) && AsyncSocket::GetLastError() != EWOULDBLOCK) {
            ++receiveErrors;
        }
        // Compare against the payload copy by copy, without keeping the stream.
        for (std::size_t done = 0; done < chunk.size();) {
            std::size_t at = received % payload.size();
            std::size_t n = std::min(chunk.size() - done, payload.size() - at);
            mismatches += chunk.compare(done, n, payload, at, n) != 0;
            done += n;
            received += n;
        }
    };

    g_signals.store(0);
    {
        Interrupter interrupter(::pthread_self());
        pump(client);
        BOOST_REQUIRE(RunUntil(loop, [&] { return server.counts.close == 1; }));
    }
    BOOST_TEST_MESSAGE("signals delivered during the transfer: " << g_signals.load() << " over "
                                                                 << copies << " copies");
    BOOST_CHECK_EQUAL(sendErrors, 0);
    BOOST_CHECK_EQUAL(receiveErrors, 0);
    BOOST_CHECK_EQUAL(server.closeError, 0);
    BOOST_CHECK_EQUAL(received, copies * payload.size());
    BOOST_CHECK_EQUAL(mismatches, 0U);
    BOOST_CHECK_GE(g_signals.load(), kSignalsWanted);
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
