// Ping-pong over xsock: the server's listener and connections on one
// SocketLoop thread, every client AsyncSocket on another, both loops on the
// same backend.
#include "BenchUtil.h"
#include "Measure.h"
#include "PingPong.h"
#include "XsockEcho.h"

#include <xsock/SocketLoop.h>

#include <pthread.h>

#include <future>
#include <thread>

namespace pingpong {

bench::Window RunXsock(const Cell& cell, xsock::SocketLoop::Backend backend) {
    const std::size_t bufferSize = 64 * 1024;
    std::promise<std::pair<xsock::SocketLoop*, unsigned>> serverReady;
    std::thread server([&] {
        xsock::SocketLoop loop({backend});
        bench::EchoContext context(bufferSize);
        bench::EchoListener listener(context);
        const unsigned port = listener.Start();
        serverReady.set_value({&loop, port});
        loop.Run();
    });
    auto [serverLoop, port] = serverReady.get_future().get();

    bench::EchoContext clientContext(bufferSize);
    std::promise<xsock::SocketLoop*> clientReady;
    std::thread client([&] {
        ::pthread_setname_np(::pthread_self(), bench::kClientThread);
        xsock::SocketLoop loop({backend});
        auto clients = bench::ConnectEchoClients(clientContext, port, cell.connections, cell.block);
        clientReady.set_value(&loop);
        loop.Run();
    });
    xsock::SocketLoop* clientLoop = clientReady.get_future().get();

    const bench::Window window = bench::MeasureWindow(clientContext.received, cell.seconds);
    clientLoop->Quit();
    client.join();
    serverLoop->Quit();
    server.join();
    return window;
}

bench::Window RunXsockEpoll(const Cell& cell) {
    return RunXsock(cell, xsock::SocketLoop::Backend::Epoll);
}

bench::Window RunXsockUring(const Cell& cell) {
    return RunXsock(cell, xsock::SocketLoop::Backend::Uring);
}

}  // namespace pingpong
