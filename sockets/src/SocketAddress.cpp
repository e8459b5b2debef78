#include <xsock/SocketAddress.h>

#include "LastError.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <memory>

namespace xsock {

namespace {

constexpr unsigned kMaxPort = 65535;
constexpr std::string_view kUnixPrefix = "unix:";
constexpr socklen_t kUnixHeader = offsetof(sockaddr_un, sun_path);

bool IsUnixText(std::string_view text) {
    return text.substr(0, kUnixPrefix.size()) == kUnixPrefix;
}

std::error_code Invalid() {
    return std::make_error_code(std::errc::invalid_argument);
}

// A decimal port, all of `digits`, at most 65535.
bool ParsePort(std::string_view digits, unsigned& port) {
    auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    return !digits.empty() && status == std::errc() && end == digits.data() + digits.size() &&
           port <= kMaxPort;
}

// A zone by interface name or number; an unknown name gives ENODEV.
std::uint32_t ZoneIndex(std::string_view zone, std::error_code& error) {
    std::uint32_t index = 0;
    auto [end, status] = std::from_chars(zone.data(), zone.data() + zone.size(), index);
    if (status == std::errc() && end == zone.data() + zone.size()) {
        return index;
    }
    char name[IF_NAMESIZE];
    if (zone.size() >= sizeof name) {
        error = std::make_error_code(std::errc::no_such_device);
        return 0;
    }
    zone.copy(name, zone.size());
    name[zone.size()] = '\0';
    index = ::if_nametoindex(name);
    if (index == 0) {
        error = std::make_error_code(std::errc::no_such_device);
    }
    return index;
}

}  // namespace

SocketAddress::SocketAddress() noexcept : storage_{}, length_(0) {
    storage_.ss_family = AF_UNSPEC;
}

SocketAddress SocketAddress::FromNative(const sockaddr* address, socklen_t length) noexcept {
    SocketAddress result;
    if (address == nullptr || length > Capacity()) {
        return result;
    }
    bool fits = (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) ||
                (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) ||
                (address->sa_family == AF_UNIX && length >= sizeof(sa_family_t) &&
                 length <= sizeof(sockaddr_un));
    if (fits) {
        // Keep the family's own size, not the caller's buffer size, so equal
        // addresses compare equal however they were obtained.
        if (address->sa_family == AF_INET) {
            length = sizeof(sockaddr_in);
        } else if (address->sa_family == AF_INET6) {
            length = sizeof(sockaddr_in6);
        }
        std::memcpy(&result.storage_, address, length);
        result.length_ = length;
    }
    return result;
}

SocketAddress SocketAddress::Any(int family, unsigned port) noexcept {
    SocketAddress result;
    if (family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_any;
        result.length_ = sizeof(sockaddr_in6);
    } else {
        auto* in = reinterpret_cast<sockaddr_in*>(&result.storage_);
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_ANY);
        result.length_ = sizeof(sockaddr_in);
    }
    result.SetPort(port);
    return result;
}

SocketAddress SocketAddress::Loopback(int family, unsigned port) noexcept {
    SocketAddress result = Any(family, port);
    if (family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&result.storage_)->sin6_addr = in6addr_loopback;
    } else {
        reinterpret_cast<sockaddr_in*>(&result.storage_)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    return result;
}

SocketAddress SocketAddress::FromHostAndPort(std::string_view host, unsigned port,
                                             std::error_code& error) {
    error.clear();
    // An IPv6 address may name its zone: "fe80::1%eth0" or "fe80::1%2".
    std::string_view zone;
    if (auto percent = host.find('%'); percent != std::string_view::npos) {
        zone = host.substr(percent + 1);
        host = host.substr(0, percent);
        if (zone.empty()) {
            error = Invalid();
            return {};
        }
    }
    if (port > kMaxPort || host.empty() || host.size() >= INET6_ADDRSTRLEN) {
        error = Invalid();
        return {};
    }
    char text[INET6_ADDRSTRLEN];
    host.copy(text, host.size());
    text[host.size()] = '\0';
    SocketAddress result;
    auto* in = reinterpret_cast<sockaddr_in*>(&result.storage_);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
    if (zone.empty() && ::inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        result.length_ = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        result.length_ = sizeof(sockaddr_in6);
        if (!zone.empty()) {
            in6->sin6_scope_id = ZoneIndex(zone, error);
            if (error) {
                return {};
            }
        }
    } else {
        error = Invalid();
        return {};
    }
    result.SetPort(port);
    return result;
}

SocketAddress SocketAddress::Unix(std::string_view path, std::error_code& error) {
    error.clear();
    SocketAddress result;
    auto* un = reinterpret_cast<sockaddr_un*>(&result.storage_);
    if (path.empty()) {
        error = Invalid();
        return {};
    }
    // A path needs its terminator; an abstract name ("@name") starts with a NUL
    // instead and is exactly as long as it is.
    bool abstract = path.front() == '@';
    if (path.size() + (abstract ? 0 : 1) > sizeof un->sun_path) {
        error = std::make_error_code(std::errc::filename_too_long);
        return {};
    }
    un->sun_family = AF_UNIX;
    path.copy(un->sun_path, path.size());
    if (abstract) {
        un->sun_path[0] = '\0';
    }
    result.length_ = static_cast<socklen_t>(kUnixHeader + path.size() + (abstract ? 0 : 1));
    return result;
}

SocketAddress SocketAddress::Parse(std::string_view text, std::error_code& error) {
    if (IsUnixText(text)) {
        return Unix(text.substr(kUnixPrefix.size()), error);
    }
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            error = Invalid();
            return {};
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.find(':') == std::string_view::npos) {
            error = Invalid();  // brackets are for IPv6 only
            return {};
        }
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            error = Invalid();  // no port, or an IPv6 address without brackets
            return {};
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned number = 0;
    if (!ParsePort(port, number)) {
        error = Invalid();
        return {};
    }
    return FromHostAndPort(host, number, error);
}

std::vector<SocketAddress> SocketAddress::Lookup(std::string_view text, int type,
                                                 std::error_code& error) {
    SocketAddress parsed = Parse(text, error);
    if (!error) {
        return {parsed};
    }
    // Brackets and "unix:" are numeric forms only: Parse's verdict stands
    // (an unknown zone stays ENODEV instead of becoming a resolver error).
    if (IsUnixText(text) || text.starts_with('[')) {
        return {};
    }
    auto colon = text.rfind(':');
    unsigned port = 0;
    if (colon == std::string_view::npos || colon == 0 || !ParsePort(text.substr(colon + 1), port)) {
        error = Invalid();
        return {};
    }
    return Resolve(std::string(text.substr(0, colon)).c_str(), port, AF_UNSPEC, type, error);
}

std::vector<SocketAddress> SocketAddress::Resolve(const char* host, unsigned port, int family,
                                                  int type, std::error_code& error) {
    error.clear();
    // For a Unix-domain socket the "unix:" prefix may be left out, so the name
    // ReceiveFrom and GetPeerName report ("/path", "@name") works as a host.
    if (host != nullptr && (IsUnixText(host) || family == AF_UNIX)) {
        std::string_view name(host);
        if (IsUnixText(name)) {
            name.remove_prefix(kUnixPrefix.size());
        }
        SocketAddress address = Unix(name, error);
        return error ? std::vector<SocketAddress>{} : std::vector<SocketAddress>{address};
    }
    if (port > kMaxPort) {
        error = Invalid();
        return {};
    }
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_flags = AI_NUMERICSERV | (host == nullptr ? AI_PASSIVE : 0);
    if (family == AF_INET6) {
        hints.ai_flags |= AI_V4MAPPED;
    }
    std::string service = std::to_string(port);
    addrinfo* list = nullptr;
    int status = ::getaddrinfo(host, service.c_str(), &hints, &list);
    if (status != 0) {
        error = detail::MakeResolverError(status);
        return {};
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(list, &::freeaddrinfo);
    std::vector<SocketAddress> found;
    for (addrinfo* entry = list; entry != nullptr; entry = entry->ai_next) {
        SocketAddress address = FromNative(entry->ai_addr, entry->ai_addrlen);
        if (!address.IsEmpty() && std::find(found.begin(), found.end(), address) == found.end()) {
            found.push_back(address);
        }
    }
    if (found.empty()) {
        error = detail::MakeResolverError(EAI_NONAME);
    }
    return found;
}

unsigned SocketAddress::Port() const noexcept {
    switch (Family()) {
        case AF_INET:
            return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
        case AF_INET6:
            return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
        default:
            return 0;
    }
}

void SocketAddress::SetPort(unsigned port) noexcept {
    auto value = htons(static_cast<std::uint16_t>(port));
    if (Family() == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = value;
    } else if (Family() == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = value;
    }
}

void SocketAddress::SetNativeLength(socklen_t length) noexcept {
    length_ = length <= Capacity() ? length : Capacity();
}

std::string SocketAddress::Host() const {
    if (Family() == AF_UNIX) {
        const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
        if (length_ <= kUnixHeader) {
            return {};  // unnamed
        }
        std::size_t size = length_ - kUnixHeader;
        if (un->sun_path[0] == '\0') {
            std::string name(1, '@');  // not "@" + std::string: GCC 12 -Wrestrict misfires
            name.append(un->sun_path + 1, size - 1);
            return name;
        }
        return std::string(un->sun_path, ::strnlen(un->sun_path, size));
    }
    char text[INET6_ADDRSTRLEN] = {};
    if (Family() == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text,
                    sizeof text);
    } else if (Family() == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        if (in6->sin6_scope_id != 0) {
            std::string zoned(text);
            char name[IF_NAMESIZE];
            zoned += '%';
            zoned += ::if_indextoname(in6->sin6_scope_id, name) != nullptr
                         ? std::string(name)
                         : std::to_string(in6->sin6_scope_id);
            return zoned;
        }
    }
    return text;
}

std::string SocketAddress::ToString() const {
    switch (Family()) {
        case AF_INET:
            return Host() + ":" + std::to_string(Port());
        case AF_INET6: {
            // Appended, not "[" + Host(): GCC 12's -Wrestrict misfires on that in Release.
            std::string text(1, '[');
            text += Host();
            text += "]:";
            text += std::to_string(Port());
            return text;
        }
        case AF_UNIX:
            return std::string(kUnixPrefix) + Host();
        default:
            return {};
    }
}

bool SocketAddress::IsUnixPath() const noexcept {
    return Family() == AF_UNIX && length_ > kUnixHeader &&
           reinterpret_cast<const sockaddr_un*>(&storage_)->sun_path[0] != '\0';
}

std::size_t SocketAddress::Hash() const noexcept {
    // FNV-1a over the bytes that make the address.
    const auto* bytes = reinterpret_cast<const unsigned char*>(&storage_);
    std::size_t hash = 14695981039346656037ull;
    for (socklen_t i = 0; i < length_; ++i) {
        hash = (hash ^ bytes[i]) * 1099511628211ull;
    }
    return hash;
}

bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept {
    return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
}

}  // namespace xsock
