// A user program: it must build and run against xsock however xsock was
// brought in (installed package or add_subdirectory).
#include <xsock/xsock.h>

#include <chrono>

int main() {
    xsock::SocketLoop loop;
    bool ran = false;
    loop.Post([&] { ran = true; });
    loop.RunOnce(std::chrono::milliseconds(0));

    xsock::AsyncSocket listener;
    if (!ran || !listener.Create(0, SOCK_STREAM, xsock::FD_ALL, "127.0.0.1") ||
        !listener.Listen()) {
        return 1;
    }
    xsock::ArchiveException error(xsock::ArchiveException::endOfFile);
    return error.m_cause == xsock::ArchiveException::endOfFile ? 0 : 1;
}
