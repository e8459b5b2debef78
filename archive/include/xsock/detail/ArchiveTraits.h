// Type rules behind Archive's operators: which scalars have a fixed wire size,
// which move as raw arrays, and the UTF conversions the string operators use.
// Included by Archive.h.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include <xsock/ArchiveExport.h>

namespace xsock::detail {

template <class T>
concept WireScalar = std::is_arithmetic_v<T> || std::is_enum_v<T>;

// long is int64_t on 64-bit Linux (so it is accepted there: it is 8 bytes
// wherever it is the same type), but 4 bytes on Windows where it is no intN_t.
template <class T>
inline constexpr bool kIsFixedWidthLong =
    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> ||
    std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::uint64_t>;

// True when T has the same wire size on every platform.
template <class T>
inline constexpr bool kHasFixedWireSize =
    !std::is_same_v<T, long double> &&
    (!(std::is_same_v<T, long> || std::is_same_v<T, unsigned long>) || kIsFixedWidthLong<T>);

// The compile-time refusal of platform-sized types, with the type to use instead.
template <class T>
constexpr void RequireFixedWireSize() {
    static_assert(!std::is_same_v<T, long double>,
                  "xsock::Archive: long double has no fixed size across platforms; use double");
    static_assert(!std::is_same_v<T, long> || kIsFixedWidthLong<T>,
                  "xsock::Archive: long is 4 bytes on Windows and 8 on Linux; "
                  "use std::int32_t or std::int64_t");
    static_assert(!std::is_same_v<T, unsigned long> || kIsFixedWidthLong<T>,
                  "xsock::Archive: unsigned long (and size_t) changes size across platforms; "
                  "use std::uint32_t or std::uint64_t, and WriteCount/ReadCount for sizes");
    static_assert(!std::is_floating_point_v<T> || std::numeric_limits<T>::is_iec559,
                  "xsock::Archive needs IEEE-754 float and double");
}

template <std::size_t N>
using WireBits = std::conditional_t<
    N == 1, std::uint8_t,
    std::conditional_t<N == 2, std::uint16_t,
                       std::conditional_t<N == 4, std::uint32_t, std::uint64_t>>>;

// The character types of the string operators.
template <class C>
concept StringChar = std::same_as<C, char> || std::same_as<C, char16_t> || std::same_as<C, wchar_t>;

// Scalars whose in-memory bytes are their wire bytes (modulo byte order), so an
// array of them moves with one copy. bool is excluded because a loaded byte
// must be checked, wchar_t because it is 2 bytes on the wire.
template <class T>
inline constexpr bool kIsBulkScalar = std::is_arithmetic_v<T> && !std::is_same_v<T, bool> &&
                                      !std::is_same_v<T, wchar_t> && kHasFixedWireSize<T>;

}  // namespace xsock::detail

namespace xsock {

// Opt-in for plain structs, declared at namespace scope:
//     template <> inline constexpr bool xsock::kStoredAsBytes<Vec3> = true;
// for a trivially copyable type whose operator<< writes every member in
// declaration order, each a fixed-width number, with no padding between them
// (three floats, say). A std::vector of it then stores and loads in one copy
// whenever the archive's byte order is the machine's; otherwise its own
// operators run per element. The bytes on the wire are the same either way.
template <class T>
inline constexpr bool kStoredAsBytes = false;

}  // namespace xsock

namespace xsock::detail {

// Element types a vector moves in one copy when the byte order allows it.
template <class T>
inline constexpr bool kIsBulkCopyable = kIsBulkScalar<T> || kStoredAsBytes<T>;

// text.assign(data, length), kept out of line: inlined where the length is
// known to be a byte, GCC expands the copy as `rep movsq`, whose start-up cost
// is several times that of copying a short string with the C library's memcpy.
XSOCK_ARCHIVE_EXPORT void AssignChars(std::string& text, const char* data, std::size_t length);

XSOCK_ARCHIVE_EXPORT std::string Utf16ToUtf8(std::u16string_view text);
XSOCK_ARCHIVE_EXPORT std::u16string Utf8ToUtf16(std::string_view text);
std::u16string WideToUtf16(std::wstring_view text);
XSOCK_ARCHIVE_EXPORT std::wstring Utf16ToWide(std::u16string_view text);

}  // namespace xsock::detail
