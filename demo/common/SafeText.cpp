// The UTF-8 decoder and the escaping rules behind SafeText.h.
#include "SafeText.h"

#include <cstdint>

namespace xsock::demo {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void EscapeByte(std::string& out, unsigned char byte) {
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
}

void EscapeCodePoint(std::string& out, std::uint32_t cp) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
        out += kHex[(cp >> shift) & 0xF];
    }
}

// The length of the valid UTF-8 sequence at the start of `text` and its code
// point, or 0 if the first byte does not start one (RFC 3629, table 3-7 of
// the Unicode standard: no overlongs, no surrogates, nothing past U+10FFFF).
std::size_t Decode(std::string_view text, std::uint32_t& cp) {
    auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = at(0);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        cp = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        cp = lead & 0x0Fu;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        cp = lead & 0x07u;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (text.size() < length) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        unsigned char next = at(i);
        if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF)) {
            return 0;
        }
        cp = (cp << 6) | (next & 0x3Fu);
    }
    return length;
}

bool IsHiddenControl(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
           cp == 0x2029;
}

bool IsSpaceOrInvisible(std::uint32_t cp) {
    return cp == 0xA0 || cp == 0xAD || cp == 0x1680 || cp == 0x180E ||
           (cp >= 0x2000 && cp <= 0x200D) || cp == 0x202F || (cp >= 0x205F && cp <= 0x2064) ||
           cp == 0x3000 || cp == 0xFEFF;
}

bool IsNameAscii(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '@' || c == '+' || c == '\'';
}

std::string Escape(std::string_view text, bool name) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            if (byte < 0x20 || byte == 0x7F || (name && !IsNameAscii(byte))) {
                EscapeByte(out, byte);
            } else if (byte == '\\') {
                out += "\\\\";
            } else {
                out += static_cast<char>(byte);
            }
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        std::size_t length = Decode(text.substr(i), cp);
        if (length == 0) {
            EscapeByte(out, byte);
            ++i;
        } else if (IsHiddenControl(cp) || (name && IsSpaceOrInvisible(cp))) {
            EscapeCodePoint(out, cp);
            i += length;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

}  // namespace

std::string SafeText(std::string_view text) {
    return Escape(text, false);
}

std::string SafeName(std::string_view name) {
    return Escape(name, true);
}

bool IsPlainName(std::string_view name) {
    return !name.empty() && SafeName(name) == name;
}

}  // namespace xsock::demo
