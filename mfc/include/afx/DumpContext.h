// CDumpContext and afxDump: MFC's diagnostic output, which debug builds of
// MFC code use in Dump overrides (`#ifdef _DEBUG ... Dump(CDumpContext& dc)`).
//
// MFC writes to the debugger's output window; here the text goes to stderr,
// in every build, as a Dump is only called where the program asks for one.
// Also BASED_CODE and DEBUG_NEW, which such code names next to it. Thread
// safety: as stderr's; one object belongs to one thread at a time. Errors:
// none are reported.
#pragma once

#include "Win32.h"

#include <cstdio>
#include <cwchar>

#ifndef BASED_CODE
#define BASED_CODE
#endif
// MFC's debug operator new records file and line; the standard one is used.
#ifndef DEBUG_NEW
#define DEBUG_NEW new
#endif

class CDumpContext {
  public:
    explicit CDumpContext(std::FILE* out = stderr) noexcept : out_(out) {}

    int GetDepth() const noexcept { return depth_; }
    void SetDepth(int depth) noexcept { depth_ = depth; }
    void Flush() { std::fflush(out_); }

    CDumpContext& operator<<(const char* text) {
        std::fputs(text != nullptr ? text : "(null)", out_);
        return *this;
    }
    CDumpContext& operator<<(const wchar_t* text) {
        return *this << xsock::mfc::Narrow(text).c_str();
    }
    CDumpContext& operator<<(const void* pointer) { return Print("$%p", pointer); }
    CDumpContext& operator<<(int value) { return Print("%d", value); }
    CDumpContext& operator<<(unsigned value) { return Print("%u", value); }
    CDumpContext& operator<<(long value) { return Print("%ld", value); }
    CDumpContext& operator<<(unsigned long value) { return Print("%lu", value); }
    CDumpContext& operator<<(long long value) { return Print("%lld", value); }
    CDumpContext& operator<<(unsigned long long value) { return Print("%llu", value); }
    CDumpContext& operator<<(double value) { return Print("%g", value); }
    CDumpContext& operator<<(BYTE value) { return Print("%u", static_cast<unsigned>(value)); }
    CDumpContext& operator<<(WORD value) { return Print("%u", static_cast<unsigned>(value)); }
    // A CObject (or anything with MFC's Dump) dumps itself.
    template <class Object>
    auto operator<<(const Object& object) -> decltype(object.Dump(*this), *this) {
        object.Dump(*this);
        return *this;
    }
    template <class Object>
    auto operator<<(const Object* object) -> decltype(object->Dump(*this), *this) {
        if (object == nullptr) {
            return *this << "NULL";
        }
        object->Dump(*this);
        return *this;
    }
    void HexDump(const char* line, const BYTE* bytes, int count, int width) {
        for (int i = 0; i < count; ++i) {
            if (i % (width > 0 ? width : 16) == 0) {
                *this << (i == 0 ? "" : "\n") << line;
            }
            Print(" %02X", static_cast<unsigned>(bytes[i]));
        }
        *this << "\n";
    }

  private:
    template <class... Args>
    CDumpContext& Print(const char* format, Args... args) {
        std::fprintf(out_, format, args...);  // NOLINT(cppcoreguidelines-pro-type-vararg)
        return *this;
    }

    std::FILE* out_;
    int depth_ = 0;
};

inline CDumpContext afxDump;
