// The code page of narrow text in an archive, and CString's way through it.
//
// An ANSI MFC build keeps narrow text in the system's ANSI code page and its
// CArchive writes those bytes as they are; the layer keeps narrow text in
// UTF-8. So a CArchive converts a narrow CString (and narrow text lines) from
// UTF-8 to its code page when storing and back when loading. The code pages:
// CP_ACP (0), which means Windows-1252 here, the code page of Western
// European Windows; 1252 itself; and CP_UTF8 (65001), under which bytes pass
// through unchanged. The 1252 table is Windows' own (MultiByteToWideChar's),
// with its five unassigned bytes 81, 8D, 8F, 90 and 9D read as the C1
// controls U+0081 .. U+009D, so every byte comes back as it was. A character
// 1252 cannot represent is stored as '?', which is WideCharToMultiByte's
// default character; unlike Windows there is no "best fit" (Windows writes
// 'A' for U+0100, the layer '?'). Malformed UTF-8 is stored as one '?' per
// bad byte. Wide strings (FF FE FF + UTF-16LE) are not affected; a wide
// string loaded into a CStringA becomes UTF-8, and a narrow string loaded
// into a CStringW is read in the archive's code page, as MFC reads it in the
// ANSI code page.
//
// Errors: none here; SetCodePage refuses other code pages (afx/Archive.h).
// Thread safety: pure functions.
#pragma once

#include "String.h"

#include <xsock/Archive.h>

#include <cstdint>
#include <string>
#include <string_view>

inline constexpr UINT CP_ACP = 0;
inline constexpr UINT CP_UTF8 = 65001;

namespace xsock::mfc {

inline constexpr UINT kWindows1252 = 1252;

inline bool IsKnownCodePage(UINT codePage) noexcept {
    return codePage == CP_ACP || codePage == kWindows1252 || codePage == CP_UTF8;
}
inline bool PassesThrough(UINT codePage) noexcept {
    return codePage == CP_UTF8;
}

// Windows-1252's bytes 80..9F; the rest of the page is Latin-1 (U+00XX).
inline constexpr char16_t kWindows1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

inline void AppendUtf8(std::string& out, std::uint32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

// Windows-1252 bytes as UTF-8.
inline std::string FromWindows1252(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (const char byte : bytes) {
        const auto b = static_cast<unsigned char>(byte);
        AppendUtf8(out, b >= 0x80 && b < 0xA0 ? kWindows1252High[b - 0x80] : b);
    }
    return out;
}

// The 1252 byte for a code point, or '?'.
inline char Windows1252Byte(std::uint32_t c) noexcept {
    if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) {
        return static_cast<char>(c);
    }
    for (unsigned i = 0; i < 32; ++i) {
        if (kWindows1252High[i] == c) {
            return static_cast<char>(0x80 + i);
        }
    }
    return '?';
}

// UTF-8 as Windows-1252: '?' for what 1252 lacks and for each malformed byte.
inline std::string ToWindows1252(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        const int extra = lead < 0x80                   ? 0
                          : lead >= 0xF0 && lead < 0xF5 ? 3
                          : lead >= 0xE0                ? 2
                          : lead >= 0xC2 && lead < 0xE0 ? 1
                                                        : -1;
        std::uint32_t c = extra == 0 ? lead : lead & (0x3Fu >> extra);
        int taken = 0;
        while (taken < extra && i + 1 + taken < utf8.size() &&
               (static_cast<unsigned char>(utf8[i + 1 + taken]) & 0xC0) == 0x80) {
            c = (c << 6) | (static_cast<unsigned char>(utf8[i + 1 + taken]) & 0x3F);
            ++taken;
        }
        const bool overlong = (extra == 2 && c < 0x800) || (extra == 3 && c < 0x10000);
        if (extra < 0 || taken != extra || overlong || c > 0x10FFFF ||
            (c >= 0xD800 && c <= 0xDFFF)) {
            out += '?';
            ++i;
            continue;
        }
        out += Windows1252Byte(c);
        i += 1 + static_cast<std::size_t>(extra);
    }
    return out;
}

inline std::string ToCodePage(std::string_view utf8, UINT codePage) {
    return PassesThrough(codePage) ? std::string(utf8) : ToWindows1252(utf8);
}
inline std::string FromCodePage(std::string_view bytes, UINT codePage) {
    return PassesThrough(codePage) ? std::string(bytes) : FromWindows1252(bytes);
}

// A CString in MFC's string form: narrow in the code page, wide as UTF-16.
template <class C>
void StoreText(xsock::Archive& ar, const CStringT<C>& text, UINT codePage) {
    if constexpr (sizeof(C) == 1) {
        ar << ToCodePage(text.Str(), codePage);
    } else {
        ar << text.Str();
    }
}

// Either string form into either CString, narrow text read in the code page.
template <class C>
void LoadText(xsock::Archive& ar, CStringT<C>& text, UINT codePage) {
    bool wide = false;
    const std::uint64_t length = ar.ReadStringLength(wide);
    ar.LoadValue([&] {
        if (wide) {
            std::u16string units;
            ar.ReadElements(units, length);
            ar.ChargeMemory(units.size() * 2 * sizeof(C));
            if constexpr (sizeof(C) == 1) {
                text.Str() = xsock::detail::Utf16ToUtf8(units);
            } else {
                text.Str() = xsock::detail::Utf16ToWide(units);
            }
            return;
        }
        std::string bytes;
        ar.ReadElements(bytes, length);
        if (!PassesThrough(codePage)) {
            // 1252 grows to at most three UTF-8 bytes a character.
            ar.ChargeMemory(bytes.size() * 3);
            bytes = FromWindows1252(bytes);
        }
        if constexpr (sizeof(C) == 1) {
            text.Str() = std::move(bytes);
        } else {
            ar.ChargeMemory(bytes.size() * (sizeof(char16_t) + sizeof(C)));
            text.Str() = xsock::detail::Utf16ToWide(xsock::detail::Utf8ToUtf16(bytes));
        }
    });
}

}  // namespace xsock::mfc
