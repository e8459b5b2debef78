// SocketLoop backend choice (SPEC section 2): XSOCK_BACKEND picks the default
// backend, for explicit loops and a socket's implicit one; explicit Options
// win; an unknown name gives the platform's default.
#include "EnvironmentGuard.h"
#include "TestSupport.h"

#include <array>
#include <thread>
#include <utility>

using namespace xsock;
using namespace xsock::test;

namespace {

#ifdef __linux__
constexpr SocketLoop::Backend kPlatformDefault = SocketLoop::Backend::Epoll;
#else
constexpr SocketLoop::Backend kPlatformDefault = SocketLoop::Backend::Poll;
#endif

}  // namespace

BOOST_AUTO_TEST_SUITE(LoopBackendChoice)

BOOST_AUTO_TEST_CASE(XsockBackendChoosesTheDefaultBackend) {
    EnvironmentGuard environment("XSOCK_BACKEND");
    const std::array<std::pair<const char*, SocketLoop::Backend>, 3> choices = {{
        {"select", SocketLoop::Backend::Select},
        {"poll", SocketLoop::Backend::Poll},
        {"epoll", SocketLoop::Backend::Epoll},
    }};
    for (const auto& [name, backend] : choices) {
        BOOST_TEST_CONTEXT("XSOCK_BACKEND=" << name) {
            environment.Set(name);
            BOOST_CHECK_EQUAL(SocketLoop::DefaultBackend(), backend);
            SocketLoop loop;
            BOOST_CHECK_EQUAL(loop.GetBackend(), backend);
        }
    }

    // Explicit Options win over the environment.
    environment.Set("select");
    {
        SocketLoop loop({SocketLoop::Backend::Poll});
        BOOST_CHECK_EQUAL(loop.GetBackend(), SocketLoop::Backend::Poll);
    }

    // A socket's implicit loop follows it too.
    environment.Set("poll");
    SocketLoop::Backend implicitBackend = SocketLoop::Backend::Select;
    bool created = false;
    std::thread worker([&] {
        AsyncSocket socket;
        created = socket.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1");
        if (created && socket.Loop() != nullptr) {
            implicitBackend = socket.Loop()->GetBackend();
        }
    });
    worker.join();
    BOOST_CHECK(created);
    BOOST_CHECK_EQUAL(implicitBackend, SocketLoop::Backend::Poll);

    for (const char* unknown : {"kqueue", "EPOLL", ""}) {
        BOOST_TEST_CONTEXT("XSOCK_BACKEND=\"" << unknown << "\"") {
            environment.Set(unknown);
            BOOST_CHECK_EQUAL(SocketLoop::DefaultBackend(), kPlatformDefault);
            SocketLoop loop;
            BOOST_CHECK_EQUAL(loop.GetBackend(), kPlatformDefault);
        }
    }
    environment.Unset();
    BOOST_CHECK_EQUAL(SocketLoop::DefaultBackend(), kPlatformDefault);
}

BOOST_AUTO_TEST_SUITE_END()
