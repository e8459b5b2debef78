// CTime and CTimeSpan: MFC's (ATL's) absolute time and time interval, a
// 64-bit count of seconds since 1970-01-01 UTC and a 64-bit count of seconds.
//
// CTime's calendar members (GetYear .. GetSecond, GetDayOfWeek with 1 for
// Sunday, GetLocalTm, Format) work in local time, FormatGmt and GetGmtTm in
// UTC, and the constructor from a date takes local time, as in MFC. Format
// takes strftime's codes (the C library's strftime, which MSVC's mostly
// matches); MSVC's '#' flag ("%#d", no leading zero) is given to the C
// library as its '-' flag, which does the same for numbers, and is dropped
// from %#c and %#x. CTimeSpan::Format knows MFC's %D, %H, %M, %S and %%.
//
// Archive layout, as MFC 8 and later write it (MFC's timecore.cpp): CTime is
// the DWORD 0x8000000A (INT_MIN + 10, an impossible 32-bit time that marks
// the 64-bit form), then the time as a 64-bit integer; on load, any other
// first DWORD is a time from MFC 7.1 or earlier, a signed 32-bit value.
// CTimeSpan is 32 bits only: a DWORD on store, read back as a signed 32-bit
// value, so a span above 0x7FFFFFFF seconds comes back negative, as in MFC.
// MFC refuses a span above 0xFFFFFFFF with CInvalidArgException, and so does
// the layer; it also refuses one below INT_MIN, which MFC would cut.
// Serialize64 writes either as a plain 64-bit integer. All little-endian.
//
// Errors: a date CTime cannot hold (before 1900, or that mktime refuses) and
// a calendar query on a time the C library cannot break down throw
// CInvalidArgException*, as MFC's ATLENSURE does. Thread safety: plain values;
// the local-time members read the process's time zone (TZ).
#pragma once

#include "Archive.h"

#include <compare>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>

// MSVC's 64-bit time_t, by its name.
using __time64_t = std::int64_t;

namespace xsock::mfc {

// strftime with MSVC's '#' flag translated, into UTF-8.
inline std::string FormatTm(const std::string& format, const std::tm& time) {
    std::string translated;
    for (std::size_t i = 0; i < format.size(); ++i) {
        translated += format[i];
        if (format[i] != '%' || i + 1 == format.size()) {
            continue;
        }
        if (format[++i] != '#') {
            translated += format[i];
        } else if (i + 1 < format.size() && format[i + 1] != 'c' && format[i + 1] != 'x') {
            translated += '-';
        }
    }
    if (translated.empty()) {
        return {};
    }
    for (std::size_t size = 128;; size *= 2) {
        std::string out(size, '\0');
        const std::size_t n = std::strftime(out.data(), size, translated.c_str(), &time);
        // 0 is also the length of an empty result; past 64 KiB it is one.
        if (n != 0 || size >= 65536) {
            out.resize(n);
            return out;
        }
    }
}

inline std::tm BrokenDown(__time64_t time, bool local) {
    std::tm parts{};
    const auto seconds = static_cast<std::time_t>(time);
    if ((local ? localtime_r(&seconds, &parts) : gmtime_r(&seconds, &parts)) == nullptr) {
        AfxThrowInvalidArgException();
    }
    return parts;
}

}  // namespace xsock::mfc

class CTimeSpan {
  public:
    CTimeSpan() noexcept = default;
    CTimeSpan(__time64_t span) noexcept : m_timeSpan(span) {}
    CTimeSpan(LONG days, int hours, int minutes, int seconds) noexcept
        : m_timeSpan(seconds + 60 * (minutes + 60 * (hours + __time64_t{24} * days))) {}

    LONGLONG GetDays() const noexcept { return m_timeSpan / (24 * 3600); }
    LONGLONG GetTotalHours() const noexcept { return m_timeSpan / 3600; }
    LONG GetHours() const noexcept { return static_cast<LONG>(GetTotalHours() - GetDays() * 24); }
    LONGLONG GetTotalMinutes() const noexcept { return m_timeSpan / 60; }
    LONG GetMinutes() const noexcept {
        return static_cast<LONG>(GetTotalMinutes() - GetTotalHours() * 60);
    }
    LONGLONG GetTotalSeconds() const noexcept { return m_timeSpan; }
    LONG GetSeconds() const noexcept {
        return static_cast<LONG>(GetTotalSeconds() - GetTotalMinutes() * 60);
    }
    __time64_t GetTimeSpan() const noexcept { return m_timeSpan; }

    // %D days, %H hours, %M minutes, %S seconds (two digits), %% a percent.
    CString Format(LPCTSTR format) const {
        const std::string in = xsock::mfc::Narrow(format);
        std::string out;
        for (std::size_t i = 0; i < in.size(); ++i) {
            if (in[i] != '%' || i + 1 == in.size()) {
                out += in[i];
                continue;
            }
            char field[32];
            switch (in[++i]) {
                case 'D':
                    std::snprintf(field, sizeof field, "%lld", GetDays());
                    break;
                case 'H':
                    std::snprintf(field, sizeof field, "%02d", GetHours());
                    break;
                case 'M':
                    std::snprintf(field, sizeof field, "%02d", GetMinutes());
                    break;
                case 'S':
                    std::snprintf(field, sizeof field, "%02d", GetSeconds());
                    break;
                default:
                    field[0] = in[i];
                    field[1] = '\0';
            }
            out += field;
        }
        return CString(out.c_str());
    }

    CTimeSpan operator+(CTimeSpan other) const noexcept { return m_timeSpan + other.m_timeSpan; }
    CTimeSpan operator-(CTimeSpan other) const noexcept { return m_timeSpan - other.m_timeSpan; }
    CTimeSpan& operator+=(CTimeSpan other) noexcept {
        m_timeSpan += other.m_timeSpan;
        return *this;
    }
    CTimeSpan& operator-=(CTimeSpan other) noexcept {
        m_timeSpan -= other.m_timeSpan;
        return *this;
    }
    bool operator==(const CTimeSpan&) const noexcept = default;
    auto operator<=>(const CTimeSpan&) const noexcept = default;

    CArchive& Serialize64(CArchive& ar) {
        LONGLONG wire = m_timeSpan;
        if (ar.IsStoring()) {
            return ar << wire;
        }
        ar >> wire;
        m_timeSpan = wire;
        return ar;
    }

  private:
    __time64_t m_timeSpan = 0;
};

class CTime {
  public:
    CTime() noexcept = default;
    CTime(__time64_t time) noexcept : m_time(time) {}
    // Local time; dst < 0 lets the C library decide whether summer time applies.
    CTime(int year, int month, int day, int hour, int minute, int second, int dst = -1) {
        if (year < 1900 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
            hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            AfxThrowInvalidArgException();
        }
        std::tm parts{};
        parts.tm_year = year - 1900;
        parts.tm_mon = month - 1;
        parts.tm_mday = day;
        parts.tm_hour = hour;
        parts.tm_min = minute;
        parts.tm_sec = second;
        parts.tm_isdst = dst;
        const std::time_t time = std::mktime(&parts);
        if (time == static_cast<std::time_t>(-1)) {
            AfxThrowInvalidArgException();
        }
        m_time = time;
    }

    static CTime GetCurrentTime() noexcept { return CTime(std::time(nullptr)); }
    __time64_t GetTime() const noexcept { return m_time; }

    int GetYear() const { return Local().tm_year + 1900; }
    int GetMonth() const { return Local().tm_mon + 1; }
    int GetDay() const { return Local().tm_mday; }
    int GetHour() const { return Local().tm_hour; }
    int GetMinute() const { return Local().tm_min; }
    int GetSecond() const { return Local().tm_sec; }
    int GetDayOfWeek() const { return Local().tm_wday + 1; }

    // MFC fills the caller's tm (or returns NULL without one).
    std::tm* GetLocalTm(std::tm* parts) const {
        if (parts != nullptr) {
            *parts = Local();
        }
        return parts;
    }
    std::tm* GetGmtTm(std::tm* parts) const {
        if (parts != nullptr) {
            *parts = xsock::mfc::BrokenDown(m_time, false);
        }
        return parts;
    }

    CString Format(LPCTSTR format) const {
        return CString(xsock::mfc::FormatTm(xsock::mfc::Narrow(format), Local()).c_str());
    }
    CString FormatGmt(LPCTSTR format) const {
        return CString(
            xsock::mfc::FormatTm(xsock::mfc::Narrow(format), xsock::mfc::BrokenDown(m_time, false))
                .c_str());
    }

    CTimeSpan operator-(CTime other) const noexcept { return m_time - other.m_time; }
    CTime operator+(CTimeSpan span) const noexcept { return m_time + span.GetTimeSpan(); }
    CTime operator-(CTimeSpan span) const noexcept { return m_time - span.GetTimeSpan(); }
    CTime& operator+=(CTimeSpan span) noexcept {
        m_time += span.GetTimeSpan();
        return *this;
    }
    CTime& operator-=(CTimeSpan span) noexcept {
        m_time -= span.GetTimeSpan();
        return *this;
    }
    bool operator==(const CTime&) const noexcept = default;
    auto operator<=>(const CTime&) const noexcept = default;

    CArchive& Serialize64(CArchive& ar) {
        LONGLONG wire = m_time;
        if (ar.IsStoring()) {
            return ar << wire;
        }
        ar >> wire;
        m_time = wire;
        return ar;
    }

  private:
    std::tm Local() const { return xsock::mfc::BrokenDown(m_time, true); }

    __time64_t m_time = 0;
};

namespace xsock::mfc {
// The first DWORD of MFC 8's CTime: INT_MIN + 10 (timecore.cpp's cTime64Mark).
inline constexpr DWORD kTime64Mark = 0x8000000Au;
}  // namespace xsock::mfc

inline CArchive& operator<<(CArchive& ar, CTime time) {
    return ar << xsock::mfc::kTime64Mark << static_cast<LONGLONG>(time.GetTime());
}
inline CArchive& operator>>(CArchive& ar, CTime& time) {
    DWORD first = 0;
    ar >> first;
    if (first != xsock::mfc::kTime64Mark) {
        time = CTime(static_cast<std::int32_t>(first));
        return ar;
    }
    LONGLONG seconds = 0;
    ar >> seconds;
    time = CTime(seconds);
    return ar;
}

inline CArchive& operator<<(CArchive& ar, CTimeSpan span) {
    const __time64_t seconds = span.GetTimeSpan();
    if (seconds > std::numeric_limits<DWORD>::max() ||
        seconds < std::numeric_limits<std::int32_t>::min()) {
        AfxThrowInvalidArgException();
    }
    return ar << static_cast<DWORD>(seconds);
}
inline CArchive& operator>>(CArchive& ar, CTimeSpan& span) {
    DWORD seconds = 0;
    ar >> seconds;
    span = CTimeSpan(static_cast<std::int32_t>(seconds));
    return ar;
}
