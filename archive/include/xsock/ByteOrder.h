// ByteOrder: compile-time byte-order conversions for every fixed-width integer
// and for float/double.
//
// MFC code calls the Winsock functions htons/htonl/ntohs/ntohl; here they are
// constexpr and live in namespace xsock next to readable names:
// HostToNetwork/NetworkToHost (big-endian, network order) and
// HostToLittle/LittleToHost (little-endian, MFC's archive order). ByteSwap
// reverses the bytes of any of these types. Floating-point values are swapped
// as their IEEE-754 bit pattern, so a swapped double is only meaningful once it
// is swapped back.
//
// Thread safety: pure functions. Errors: none; every function is noexcept.
//
// glibc's <netinet/in.h> defines htons & co. as function-like macros when
// compiling with optimisation. Such a macro would rewrite a qualified call like
// xsock::htons(x) into a name that does not exist in xsock, and only in release
// builds. This header therefore includes <netinet/in.h> itself (so a later
// include is a no-op thanks to its include guard) and removes those macros; the
// C library's ::htons functions stay declared and give the same results. Call
// the xsock versions qualified: an unqualified htons(x) finds the C library's.
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <limits>
#include <type_traits>

#if __has_include(<netinet/in.h>)
#include <netinet/in.h>
#endif
#undef htons
#undef htonl
#undef ntohs
#undef ntohl

namespace xsock {

// Integral types and IEEE-754 float/double: the types these functions accept.
template <class T>
concept ByteOrderValue = (std::integral<T> && !std::same_as<T, bool>) || std::same_as<T, float> ||
                         std::same_as<T, double>;

template <ByteOrderValue T>
[[nodiscard]] constexpr T ByteSwap(T value) noexcept {
    if constexpr (std::floating_point<T>) {
        static_assert(std::numeric_limits<T>::is_iec559, "float/double must be IEEE-754");
        using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
        return std::bit_cast<T>(ByteSwap(std::bit_cast<Bits>(value)));
    } else if constexpr (sizeof(T) == 1) {
        return value;
    } else {
        using U = std::make_unsigned_t<T>;
        auto bits = static_cast<U>(value);
        if constexpr (sizeof(T) == 2) {
            bits = __builtin_bswap16(bits);
        } else if constexpr (sizeof(T) == 4) {
            bits = __builtin_bswap32(bits);
        } else {
            static_assert(sizeof(T) == 8, "ByteSwap handles 1, 2, 4 and 8 byte values");
            bits = __builtin_bswap64(bits);
        }
        return static_cast<T>(bits);
    }
}

// A mixed-endian machine has no meaningful answer to these questions.
static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "xsock needs a big- or little-endian machine");

template <ByteOrderValue T>
[[nodiscard]] constexpr T HostToNetwork(T value) noexcept {
    if constexpr (std::endian::native == std::endian::big) {
        return value;
    } else {
        return ByteSwap(value);
    }
}

template <ByteOrderValue T>
[[nodiscard]] constexpr T NetworkToHost(T value) noexcept {
    return HostToNetwork(value);
}

template <ByteOrderValue T>
[[nodiscard]] constexpr T HostToLittle(T value) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        return value;
    } else {
        return ByteSwap(value);
    }
}

template <ByteOrderValue T>
[[nodiscard]] constexpr T LittleToHost(T value) noexcept {
    return HostToLittle(value);
}

// The Winsock/BSD spellings for porters. The parentheses around each name keep a
// function-like macro of the same name from expanding inside the declaration.
// NOLINTBEGIN(readability-identifier-naming): these names are the point.
[[nodiscard]] constexpr std::uint16_t(htons)(std::uint16_t value) noexcept {
    return HostToNetwork(value);
}
[[nodiscard]] constexpr std::uint32_t(htonl)(std::uint32_t value) noexcept {
    return HostToNetwork(value);
}
[[nodiscard]] constexpr std::uint16_t(ntohs)(std::uint16_t value) noexcept {
    return NetworkToHost(value);
}
[[nodiscard]] constexpr std::uint32_t(ntohl)(std::uint32_t value) noexcept {
    return NetworkToHost(value);
}
[[nodiscard]] constexpr std::uint64_t(htonll)(std::uint64_t value) noexcept {
    return HostToNetwork(value);
}
[[nodiscard]] constexpr std::uint64_t(ntohll)(std::uint64_t value) noexcept {
    return NetworkToHost(value);
}
// NOLINTEND(readability-identifier-naming)

}  // namespace xsock
