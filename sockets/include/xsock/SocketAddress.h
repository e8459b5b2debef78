// SocketAddress: one value type for the endpoint of a socket.
//
// MFC passes SOCKADDR* and a length; this class carries the same bytes with
// value semantics so an address can be returned, compared, hashed and printed.
// It holds an IPv4 or IPv6 address and port, a Unix-domain path ("unix:/run/x",
// or "unix:@name" in Linux's abstract namespace), or nothing (Family() ==
// AF_UNSPEC). Parsing accepts numeric forms only ("127.0.0.1:7000",
// "[::1]:7000", "[fe80::1%eth0]:7000", "unix:/path"); Resolve() asks getaddrinfo and returns every
// candidate, in the order the resolver prefers, for Connect to try in turn.
//
// Errors: Parse and Resolve report through a std::error_code out-parameter and
// never throw. Thread safety: a value type; distinct objects are independent,
// and Resolve may be called from any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <xsock/SocketsExport.h>

namespace xsock {

class XSOCK_SOCKETS_EXPORT SocketAddress {
  public:
    SocketAddress() noexcept;

    // Copies a native address; an unsupported family or a bad length gives an
    // empty address.
    static SocketAddress FromNative(const sockaddr* address, socklen_t length) noexcept;

    // The wildcard address of a family (INADDR_ANY or in6addr_any) with a port.
    static SocketAddress Any(int family, unsigned port) noexcept;

    // The loopback address of a family (127.0.0.1 or ::1) with a port.
    static SocketAddress Loopback(int family, unsigned port) noexcept;

    // Parses "host:port" with a numeric host: "10.0.0.1:80", "[::1]:80", and
    // an IPv6 host with its zone, by interface name or index: "[fe80::1%eth0]:80".
    // A port above 65535, a missing port or a malformed host sets `error`
    // (EINVAL); an interface that does not exist gives ENODEV.
    static SocketAddress Parse(std::string_view text, std::error_code& error);

    // Parses a numeric host without a port ("10.0.0.1", "::1", "fe80::1%eth0")
    // and sets `port`.
    static SocketAddress FromHostAndPort(std::string_view host, unsigned port,
                                         std::error_code& error);

    // A Unix-domain address: a path, or "@name" for Linux's abstract namespace.
    // A path that does not fit in sockaddr_un gives ENAMETOOLONG.
    static SocketAddress Unix(std::string_view path, std::error_code& error);

    // Every address getaddrinfo gives for `host` (a name or a numeric address;
    // nullptr means the wildcard address). `family` AF_INET6 also accepts IPv4
    // answers as IPv4-mapped IPv6 addresses. "unix:/path" and "unix:@name" give
    // that Unix-domain address, as do "/path" and "@name" when `family` is AF_UNIX.
    static std::vector<SocketAddress> Resolve(const char* host, unsigned port, int family, int type,
                                              std::error_code& error);

    // What a user types for a peer: a numeric "host:port" or "unix:..." is
    // taken as it is (one address), "name:port" goes through Resolve. A
    // missing or out-of-range port sets EINVAL.
    static std::vector<SocketAddress> Lookup(std::string_view text, int type,
                                             std::error_code& error);

    int Family() const noexcept { return storage_.ss_family; }
    bool IsEmpty() const noexcept { return Family() == AF_UNSPEC; }
    unsigned Port() const noexcept;
    void SetPort(unsigned port) noexcept;

    // The numeric host, without brackets: "127.0.0.1", "::1", "fe80::1%eth0"
    // (an IPv6 zone by interface name, or by index when it has none); for a
    // Unix-domain address the path ("@name" when abstract, "" when unnamed).
    std::string Host() const;
    // "127.0.0.1:7000", "[::1]:7000", "unix:/path", "unix:@name"; an empty
    // address prints as "".
    std::string ToString() const;
    // True for a Unix-domain address that names a file (not abstract, not unnamed).
    bool IsUnixPath() const noexcept;
    std::size_t Hash() const noexcept;

    const sockaddr* Native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* Native() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t NativeLength() const noexcept { return length_; }
    static constexpr socklen_t Capacity() noexcept { return sizeof(sockaddr_storage); }
    // After a system call filled Native(), records how many bytes it wrote.
    void SetNativeLength(socklen_t length) noexcept;

    friend XSOCK_SOCKETS_EXPORT bool operator==(const SocketAddress& a,
                                                const SocketAddress& b) noexcept;

  private:
    sockaddr_storage storage_;
    socklen_t length_;
};

}  // namespace xsock

template <>
struct std::hash<xsock::SocketAddress> {
    std::size_t operator()(const xsock::SocketAddress& address) const noexcept {
        return address.Hash();
    }
};
