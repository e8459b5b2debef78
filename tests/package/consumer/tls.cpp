// A user program with TLS: it must build and run against xsock::tls however
// xsock was brought in (installed package or pkg-config).
#include <xsock/Tls.h>

int main() {
    xsock::TlsContext client = xsock::TlsContext::Client();
    xsock::AsyncSocket socket;
    if (!socket.Create() || !xsock::StartTls(socket, client, "localhost")) {
        return 1;
    }
    std::optional<xsock::TlsInfo> info = xsock::GetTlsInfo(socket);
    return info && !info->established ? 0 : 1;
}
