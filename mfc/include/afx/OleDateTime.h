// COleDateTime: MFC's (ATL's) OLE automation date, a DATE (a double of days
// since 1899-12-30 00:00, the fraction being the time of day) and a status.
//
// As in MFC: the integer part of a negative DATE counts days before
// 1899-12-30 and its fraction is still the time after midnight, so -1.25 is
// 1899-12-29 06:00; a DATE is read to the nearest second; the valid range is
// 100-01-01 to 9999-12-31. SetDateTime/SetDate/SetTime return 0 and make the
// status valid, or return 1 and make it invalid for a date or time out of
// range; the Get members return -1 (AFX_OLE_DATETIME_ERROR) unless the status
// is valid. The constructor from a __time64_t and GetCurrentTime give local
// time. Format(LPCTSTR) takes strftime's codes as CTime::Format does (see
// afx/Time.h), gives "" for a null status and "Invalid DateTime" for an
// invalid one. Not here: COleDateTimeSpan, ParseDateTime, and Format without
// a format string (MFC's follows the user's locale through OLE).
//
// Archive layout, as MFC's olevar.cpp writes it: the status as a 4-byte LONG
// (valid 0, invalid 1, null 2), then m_dt as an 8-byte IEEE double, both
// little-endian. Errors: none thrown; see the status. Thread safety: a value.
#pragma once

#include "Time.h"

#include <cmath>
#include <ctime>

using DATE = double;
inline constexpr int AFX_OLE_DATETIME_ERROR = -1;

namespace xsock::mfc {

// Days from 1970-01-01 to a proleptic Gregorian date, and back (the civil
// calendar algorithms of H. Hinnant, for any year).
constexpr long long DaysFromCivil(long long y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

struct CivilDate {
    long long year;
    unsigned month;
    unsigned day;
};

constexpr CivilDate CivilFromDays(long long z) noexcept {
    z += 719468;
    const long long era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<long long>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

// 1899-12-30, DATE 0, in days from 1970-01-01.
inline constexpr long long kOleEpoch = DaysFromCivil(1899, 12, 30);

}  // namespace xsock::mfc

class COleDateTime {
  public:
    enum DateTimeStatus { error = -1, valid = 0, invalid = 1, null = 2 };

    COleDateTime() noexcept = default;
    COleDateTime(DATE date) noexcept : m_dt(date) { CheckRange(); }
    COleDateTime(__time64_t time) noexcept { *this = time; }
    COleDateTime(int year, int month, int day, int hour, int minute, int second) noexcept {
        SetDateTime(year, month, day, hour, minute, second);
    }

    // Local time now, to the second.
    static COleDateTime GetCurrentTime() noexcept {
        return COleDateTime(__time64_t{std::time(nullptr)});
    }

    COleDateTime& operator=(__time64_t time) noexcept {
        std::tm parts{};
        const auto seconds = static_cast<std::time_t>(time);
        if (localtime_r(&seconds, &parts) == nullptr) {
            m_status = invalid;
            return *this;
        }
        SetDateTime(parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                    parts.tm_min, parts.tm_sec);
        return *this;
    }
    COleDateTime& operator=(DATE date) noexcept {
        m_dt = date;
        m_status = valid;
        CheckRange();
        return *this;
    }
    operator DATE() const noexcept { return m_dt; }

    DateTimeStatus GetStatus() const noexcept { return m_status; }
    void SetStatus(DateTimeStatus status) noexcept { m_status = status; }

    int SetDateTime(int year, int month, int day, int hour, int minute, int second) noexcept {
        const bool dateOk = year >= 100 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
                            day <= DaysInMonth(year, month);
        const bool timeOk =
            hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
        if (!dateOk || !timeOk) {
            m_status = invalid;
            return 1;
        }
        const long long days = xsock::mfc::DaysFromCivil(year, static_cast<unsigned>(month),
                                                         static_cast<unsigned>(day)) -
                               xsock::mfc::kOleEpoch;
        const double time = (hour * 3600 + minute * 60 + second) / 86400.0;
        m_dt = static_cast<double>(days) + (days >= 0 ? time : -time);
        m_status = valid;
        return 0;
    }
    int SetDate(int year, int month, int day) noexcept {
        return SetDateTime(year, month, day, 0, 0, 0);
    }
    int SetTime(int hour, int minute, int second) noexcept {
        return SetDateTime(1899, 12, 30, hour, minute, second);
    }

    int GetYear() const noexcept { return Part(&Parts::year); }
    int GetMonth() const noexcept { return Part(&Parts::month); }
    int GetDay() const noexcept { return Part(&Parts::day); }
    int GetHour() const noexcept { return Part(&Parts::hour); }
    int GetMinute() const noexcept { return Part(&Parts::minute); }
    int GetSecond() const noexcept { return Part(&Parts::second); }
    // 1 for Sunday, as in MFC.
    int GetDayOfWeek() const noexcept { return Part(&Parts::dayOfWeek); }
    int GetDayOfYear() const noexcept { return Part(&Parts::dayOfYear); }

    CString Format(LPCTSTR format) const {
        if (m_status == null) {
            return CString();
        }
        Parts parts{};
        if (!Split(parts)) {
            return CString(_T("Invalid DateTime"));
        }
        std::tm tm{};
        tm.tm_year = parts.year - 1900;
        tm.tm_mon = parts.month - 1;
        tm.tm_mday = parts.day;
        tm.tm_hour = parts.hour;
        tm.tm_min = parts.minute;
        tm.tm_sec = parts.second;
        tm.tm_wday = parts.dayOfWeek - 1;
        tm.tm_yday = parts.dayOfYear - 1;
        tm.tm_isdst = -1;
        return CString(xsock::mfc::FormatTm(xsock::mfc::Narrow(format), tm).c_str());
    }

    bool operator==(const COleDateTime& other) const noexcept {
        return m_status == other.m_status && m_dt == other.m_dt;
    }
    bool operator<(const COleDateTime& other) const noexcept { return Linear() < other.Linear(); }
    bool operator>(const COleDateTime& other) const noexcept { return other < *this; }
    bool operator<=(const COleDateTime& other) const noexcept { return !(other < *this); }
    bool operator>=(const COleDateTime& other) const noexcept { return !(*this < other); }

    DATE m_dt = 0;
    DateTimeStatus m_status = valid;

  private:
    struct Parts {
        int year, month, day, hour, minute, second, dayOfWeek, dayOfYear;
    };

    static int DaysInMonth(int year, int month) noexcept {
        static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 && leap ? 29 : kDays[month - 1];
    }
    // MFC's limits: 100-01-01 and 9999-12-31 23:59:59.
    void CheckRange() noexcept {
        if (!(m_dt >= -657434.0 && m_dt < 2958466.0)) {
            m_status = invalid;
        }
    }
    // The DATE as a plain count of days, so negative dates compare in order.
    double Linear() const noexcept {
        const double whole = std::trunc(m_dt);
        return whole + std::fabs(m_dt - whole);
    }
    bool Split(Parts& parts) const noexcept {
        if (m_status != valid || !(m_dt >= -657434.0 && m_dt < 2958466.0)) {
            return false;
        }
        // To the nearest second, away from zero as MFC rounds.
        const double rounded = m_dt + (m_dt > 0 ? 0.5 : -0.5) / 86400.0;
        const auto days = static_cast<long long>(rounded);
        const double fraction = std::fabs(rounded) - std::floor(std::fabs(rounded));
        const auto seconds = static_cast<int>(fraction * 86400.0);
        const xsock::mfc::CivilDate date = xsock::mfc::CivilFromDays(days + xsock::mfc::kOleEpoch);
        const long long absolute = days + xsock::mfc::kOleEpoch;
        parts.year = static_cast<int>(date.year);
        parts.month = static_cast<int>(date.month);
        parts.day = static_cast<int>(date.day);
        parts.hour = seconds / 3600;
        parts.minute = seconds / 60 % 60;
        parts.second = seconds % 60;
        // 1970-01-01 was a Thursday (5 in MFC's count from Sunday = 1).
        parts.dayOfWeek = static_cast<int>(((absolute + 4) % 7 + 7) % 7) + 1;
        parts.dayOfYear =
            static_cast<int>(absolute - xsock::mfc::DaysFromCivil(date.year, 1, 1) + 1);
        return true;
    }
    int Part(int Parts::*member) const noexcept {
        Parts parts{};
        return Split(parts) ? parts.*member : AFX_OLE_DATETIME_ERROR;
    }
};

inline CArchive& operator<<(CArchive& ar, COleDateTime date) {
    return ar << static_cast<LONG>(date.m_status) << date.m_dt;
}
inline CArchive& operator>>(CArchive& ar, COleDateTime& date) {
    LONG status = 0;
    ar >> status >> date.m_dt;
    date.m_status = static_cast<COleDateTime::DateTimeStatus>(status);
    return ar;
}
