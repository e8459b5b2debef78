// The Win32 names MFC code reaches through afx.h, with Windows' sizes.
//
// BOOL, LONG, DWORD and ULONG are 32-bit here as on Windows (on LP64 Linux
// `long` is 64-bit), so a struct member or a serialized value keeps its MFC
// size. TCHAR and the LPxTSTR pointers follow _UNICODE as on Windows; wchar_t
// itself stays the platform's (4 bytes on Linux), and archives convert wide
// text to MFC's UTF-16 on the wire. ASSERT aborts with a message in debug
// builds (NDEBUG not defined), VERIFY always evaluates its argument, TRACE
// writes to stderr in debug builds only, and AfxMessageBox writes its text (or
// its string resource's number) to stderr and returns the answer that
// declines (IDOK for MB_OK, else IDNO, IDCANCEL or IDABORT). wsprintf formats
// as Win32's does. Part of xsock::mfc (include <afx.h>).
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <string>
#include <type_traits>

using BOOL = int;
using BYTE = std::uint8_t;
using WORD = std::uint16_t;
using DWORD = std::uint32_t;
using LONG = std::int32_t;
using ULONG = std::uint32_t;
using UINT = unsigned int;
using INT = int;
using SHORT = std::int16_t;
using USHORT = std::uint16_t;
using CHAR = char;
using WCHAR = wchar_t;
// long long, not int64_t: on LP64 int64_t is long, which a CArchive stores as
// MFC's 4-byte LONG; these stay 8 bytes as on 64-bit Windows.
using LONGLONG = long long;
using ULONGLONG = unsigned long long;
using INT_PTR = long long;
using UINT_PTR = unsigned long long;
using LONG_PTR = long long;
using DWORD_PTR = unsigned long long;
static_assert(sizeof(LONGLONG) == 8, "LONGLONG is 8 bytes");
using LPVOID = void*;
using LPCVOID = const void*;
using LPBYTE = BYTE*;
using PUINT = UINT*;
using LPDWORD = DWORD*;
using LPSTR = char*;
using LPCSTR = const char*;
using LPWSTR = wchar_t*;
using LPCWSTR = const wchar_t*;
#ifdef _UNICODE
using TCHAR = wchar_t;
#define _T(text) L##text
#else
using TCHAR = char;
#define _T(text) text
#endif
using LPTSTR = TCHAR*;
using LPCTSTR = const TCHAR*;
#define _TEXT(text) _T(text)
#ifndef TEXT
#define TEXT(text) _T(text)
#endif

#ifndef TRUE
#define TRUE 1
#endif

// <windef.h>'s min and max, which MFC code calls with mixed types (a DWORD
// and a sizeof); functions, as macros of those names would break std::min.
template <class A, class B>
constexpr std::common_type_t<A, B> min(A a, B b) {
    return b < a ? b : a;
}
template <class A, class B>
constexpr std::common_type_t<A, B> max(A a, B b) {
    return a < b ? b : a;
}
#ifndef FALSE
#define FALSE 0
#endif

#ifndef AFXAPI
#define AFXAPI
#endif
// Calling conventions mean nothing on x86-64 System V; declarations keep them.
#ifndef AFX_CDECL
#define AFX_CDECL
#endif
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef PASCAL
#define PASCAL
#endif

// AfxMessageBox's styles and answers; only the values matter here.
inline constexpr UINT MB_OK = 0x0;
inline constexpr UINT MB_OKCANCEL = 0x1;
inline constexpr UINT MB_ABORTRETRYIGNORE = 0x2;
inline constexpr UINT MB_YESNOCANCEL = 0x3;
inline constexpr UINT MB_YESNO = 0x4;
inline constexpr UINT MB_RETRYCANCEL = 0x5;
inline constexpr UINT MB_ICONSTOP = 0x10;
inline constexpr UINT MB_ICONERROR = 0x10;
inline constexpr UINT MB_ICONQUESTION = 0x20;
inline constexpr UINT MB_ICONWARNING = 0x30;
inline constexpr UINT MB_ICONEXCLAMATION = 0x30;
inline constexpr UINT MB_ICONINFORMATION = 0x40;
inline constexpr int IDOK = 1;
inline constexpr int IDCANCEL = 2;
inline constexpr int IDABORT = 3;
inline constexpr int IDRETRY = 4;
inline constexpr int IDIGNORE = 5;
inline constexpr int IDYES = 6;
inline constexpr int IDNO = 7;

namespace xsock::mfc {

// UTF-8 for text given as either character type: how the layer hands
// LPCTSTR arguments to the core, which speaks UTF-8.
inline std::string Narrow(const char* text) {
    return text != nullptr ? text : "";
}
// wchar_t is UTF-32 here (UTF-16 on Windows); a bad code point becomes U+FFFD.
inline std::string Narrow(const wchar_t* text) {
    std::string out;
    for (; text != nullptr && *text != L'\0'; ++text) {
        auto c = static_cast<std::uint32_t>(*text);
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            c = 0xFFFD;
        }
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// UTF-8 to wchar_t; a malformed sequence becomes U+FFFD.
inline std::wstring Widen(const char* text) {
    std::wstring out;
    const auto* p = reinterpret_cast<const unsigned char*>(text != nullptr ? text : "");
    while (*p != 0) {
        const unsigned lead = *p++;
        int extra = lead < 0x80 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : -1;
        std::uint32_t c = extra == 3 ? lead & 0x07 : extra == 2 ? lead & 0x0F : lead & 0x1F;
        if (extra == 0) {
            c = lead;
        }
        for (; extra > 0 && (*p & 0xC0) == 0x80; --extra) {
            c = (c << 6) | (*p++ & 0x3F);
        }
        out += static_cast<wchar_t>(extra != 0 ? 0xFFFD : c);
    }
    return out;
}

[[noreturn]] inline void AssertFailed(const char* expression, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: ASSERT(%s) failed\n", file, line, expression);
    std::abort();
}

__attribute__((format(printf, 1, 2))) inline void Trace(const char* format, ...) {
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
}

inline void Trace(const wchar_t* format, ...) {
    wchar_t buffer[1024];
    va_list args;
    va_start(args, format);
    const int n = std::vswprintf(buffer, sizeof buffer / sizeof buffer[0], format, args);
    va_end(args);
    if (n >= 0) {
        std::fputs(Narrow(buffer).c_str(), stderr);
    }
}

}  // namespace xsock::mfc

#ifdef NDEBUG
#define ASSERT(f) ((void)0)
#define VERIFY(f) ((void)(f))
#define TRACE(...) ((void)0)
#else
#define ASSERT(f) ((f) ? (void)0 : ::xsock::mfc::AssertFailed(#f, __FILE__, __LINE__))
#define VERIFY(f) ASSERT(f)
#define TRACE(...) ::xsock::mfc::Trace(__VA_ARGS__)
#endif
#define TRACE0(text) TRACE(text)
#define ASSERT_VALID(pOb) ASSERT((pOb) != nullptr)
#define UNUSED_ALWAYS(x) ((void)(x))

namespace xsock::mfc {

// With no one to ask, the answer that declines: OK for MB_OK, else Cancel,
// No or Abort, so a "retry?" loop ends instead of retrying for ever.
constexpr int DecliningAnswer(UINT type) noexcept {
    switch (type & 0xFu) {
        case MB_OK:
            return IDOK;
        case MB_YESNO:
            return IDNO;
        case MB_ABORTRETRYIGNORE:
            return IDABORT;
        default:
            return IDCANCEL;
    }
}

}  // namespace xsock::mfc

// MFC shows a dialog; a port without a GUI sees the text on stderr, and the
// call returns the declining answer of its buttons.
inline int AfxMessageBox(const char* text, UINT type = MB_OK, UINT /*helpId*/ = 0) {
    std::fprintf(stderr, "%s\n", text != nullptr ? text : "");
    return xsock::mfc::DecliningAnswer(type);
}
inline int AfxMessageBox(const wchar_t* text, UINT type = MB_OK, UINT helpId = 0) {
    return AfxMessageBox(xsock::mfc::Narrow(text).c_str(), type, helpId);
}
// The string resource's number stands for its text: there are no resources.
inline int AfxMessageBox(UINT promptId, UINT type = MB_OK, UINT /*helpId*/ = ~0u) {
    std::fprintf(stderr, "message box: string resource %u\n", promptId);
    return xsock::mfc::DecliningAnswer(type);
}

// Win32's wsprintf: printf formatting into a buffer Windows limits to 1024
// characters.
__attribute__((format(printf, 2, 3))) inline int wsprintfA(char* buffer, const char* format, ...) {
    va_list args;
    va_start(args, format);
    const int n = std::vsnprintf(buffer, 1024, format, args);
    va_end(args);
    return n < 0 ? n : n < 1024 ? n : 1023;
}
inline int wsprintfW(wchar_t* buffer, const wchar_t* format, ...) {
    va_list args;
    va_start(args, format);
    const int n = std::vswprintf(buffer, 1024, format, args);
    va_end(args);
    return n;
}
#ifdef _UNICODE
#define wsprintf wsprintfW
#else
#define wsprintf wsprintfA
#endif
