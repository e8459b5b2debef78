// CTime and CTimeSpan: MFC's calendar members in local time, strftime
// formatting, arithmetic, and the archive forms of MFC's timecore.cpp, byte
// for byte. Worked by hand: 1700000000 s = 0x6553F100 = 2023-11-14 22:13:20
// UTC, a Tuesday; CTime goes out as the DWORD 0x8000000A (0A 00 00 80) then
// the time as 8 bytes; CTimeSpan(1, 2, 3, 4) = 86400 + 7200 + 180 + 4 =
// 93784 s = 0x00016E58, which goes out as a DWORD.
#include <afx.h>

#include "ArchiveTestSupport.h"
#include "EnvironmentGuard.h"
#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

#include <ctime>
#include <string>

namespace {

using xsock::test::Bytes;
using xsock::test::Hex;
using xsock::test::Loaded;
using xsock::test::Stored;
using xsock::test::ToHex;

// Runs with TZ set to `zone` (POSIX form) and puts the old zone back.
class TimeZone {
  public:
    explicit TimeZone(const char* zone) {
        guard_.Set(zone);
        tzset();
    }

  private:
    // Destroyed last, so the C library rereads TZ once the guard restored it.
    struct Reread {
        Reread() = default;
        Reread(const Reread&) = delete;
        Reread& operator=(const Reread&) = delete;
        ~Reread() { tzset(); }
    } reread_;
    xsock::test::EnvironmentGuard guard_{"TZ"};
};

template <class Action>
bool ThrowsInvalidArg(Action&& action) {
    try {
        action();
    } catch (CInvalidArgException* e) {
        e->Delete();
        return true;
    }
    return false;
}

constexpr __time64_t kSample = 1700000000;

}  // namespace

BOOST_AUTO_TEST_CASE(CalendarMembersAreLocalTime) {
    TimeZone utc("UTC0");
    const CTime time(kSample);
    BOOST_CHECK_EQUAL(time.GetYear(), 2023);
    BOOST_CHECK_EQUAL(time.GetMonth(), 11);
    BOOST_CHECK_EQUAL(time.GetDay(), 14);
    BOOST_CHECK_EQUAL(time.GetHour(), 22);
    BOOST_CHECK_EQUAL(time.GetMinute(), 13);
    BOOST_CHECK_EQUAL(time.GetSecond(), 20);
    BOOST_CHECK_EQUAL(time.GetDayOfWeek(), 3);  // Sunday is 1
    BOOST_CHECK_EQUAL(CTime(2023, 11, 14, 22, 13, 20).GetTime(), kSample);
    {
        TimeZone plusOne("XST-1");
        BOOST_CHECK_EQUAL(time.GetHour(), 23);
        BOOST_CHECK_EQUAL(CTime(2023, 11, 14, 23, 13, 20).GetTime(), kSample);
        std::tm parts{};
        BOOST_CHECK_EQUAL(time.GetGmtTm(&parts)->tm_hour, 22);
        BOOST_CHECK_EQUAL(time.GetLocalTm(&parts)->tm_hour, 23);
    }
    BOOST_CHECK(ThrowsInvalidArg([] { CTime(1899, 12, 31, 0, 0, 0); }));
    BOOST_CHECK(ThrowsInvalidArg([] { CTime(2023, 13, 1, 0, 0, 0); }));
}

BOOST_AUTO_TEST_CASE(GetCurrentTimeIsNow) {
    const std::time_t before = std::time(nullptr);
    const CTime now = CTime::GetCurrentTime();
    const std::time_t after = std::time(nullptr);
    BOOST_CHECK(now.GetTime() >= before && now.GetTime() <= after);
}

BOOST_AUTO_TEST_CASE(FormatTakesStrftimeCodesAndMsvcsHashFlag) {
    TimeZone plusOne("XST-1");
    const CTime time(kSample);
    BOOST_CHECK(time.Format(_T("%Y-%m-%d %H:%M:%S")) == _T("2023-11-14 23:13:20"));
    BOOST_CHECK(time.FormatGmt(_T("%H:%M")) == _T("22:13"));
    BOOST_CHECK(time.Format(_T("%A %B, 100%%")) == _T("Tuesday November, 100%"));
    const CTime march(2024, 3, 5, 7, 8, 9);
    BOOST_CHECK(march.Format(_T("%#d.%#m.%Y %#H:%M")) == _T("5.3.2024 7:08"));
    BOOST_CHECK(march.Format(_T("")).IsEmpty());
}

BOOST_AUTO_TEST_CASE(SpansSplitIntoDaysHoursMinutesSeconds) {
    const CTimeSpan span(1, 2, 3, 4);
    BOOST_CHECK_EQUAL(span.GetTimeSpan(), 93784);
    BOOST_CHECK_EQUAL(span.GetDays(), 1);
    BOOST_CHECK_EQUAL(span.GetHours(), 2);
    BOOST_CHECK_EQUAL(span.GetMinutes(), 3);
    BOOST_CHECK_EQUAL(span.GetSeconds(), 4);
    BOOST_CHECK_EQUAL(span.GetTotalHours(), 26);
    BOOST_CHECK_EQUAL(span.GetTotalMinutes(), 26 * 60 + 3);
    BOOST_CHECK_EQUAL(span.GetTotalSeconds(), 93784);
    BOOST_CHECK(span.Format(_T("%D days %H:%M:%S, 50%%")) == _T("1 days 02:03:04, 50%"));
}

BOOST_AUTO_TEST_CASE(TimesAndSpansAddSubtractAndCompare) {
    const CTime start(kSample);
    const CTime end = start + CTimeSpan(0, 1, 0, 0);
    BOOST_CHECK_EQUAL(end.GetTime(), kSample + 3600);
    BOOST_CHECK((end - start) == CTimeSpan(3600));
    BOOST_CHECK(end - CTimeSpan(3600) == start);
    BOOST_CHECK(start < end && end > start && start <= start && start != end);
    CTime moving = start;
    moving += CTimeSpan(10);
    moving -= CTimeSpan(4);
    BOOST_CHECK_EQUAL(moving.GetTime(), kSample + 6);
    CTimeSpan span(5);
    span += CTimeSpan(10);
    span -= CTimeSpan(1);
    BOOST_CHECK(span == CTimeSpan(14) && span > CTimeSpan(13) && span - span == CTimeSpan());
}

BOOST_AUTO_TEST_CASE(CTimeGoesOutAsTheMarkThenSixtyFourBits) {
    const Bytes bytes = Stored([](CArchive& ar) { ar << CTime(kSample) << CTime(-1); });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("0A 00 00 80  00 F1 53 65 00 00 00 00"
                                              "0A 00 00 80  FF FF FF FF FF FF FF FF")));
    Loaded(bytes, [](CArchive& ar) {
        CTime first, second;
        ar >> first >> second;
        BOOST_CHECK_EQUAL(first.GetTime(), kSample);
        BOOST_CHECK_EQUAL(second.GetTime(), -1);
    });
}

// An archive from MFC 7.1 or earlier holds a bare signed 32-bit time.
BOOST_AUTO_TEST_CASE(CTimeLoadsTheOldThirtyTwoBitForm) {
    Loaded(Hex("00 F1 53 65  FF FF FF FF"), [](CArchive& ar) {
        CTime first, second;
        ar >> first >> second;
        BOOST_CHECK_EQUAL(first.GetTime(), kSample);
        BOOST_CHECK_EQUAL(second.GetTime(), -1);
    });
}

BOOST_AUTO_TEST_CASE(CTimeSpanGoesOutAsThirtyTwoBits) {
    const Bytes bytes = Stored([](CArchive& ar) {
        ar << CTimeSpan(1, 2, 3, 4) << CTimeSpan(-2) << CTimeSpan(0xFFFFFFFFLL);
    });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("58 6E 01 00  FE FF FF FF  FF FF FF FF")));
    Loaded(bytes, [](CArchive& ar) {
        CTimeSpan a, b, c;
        ar >> a >> b >> c;
        BOOST_CHECK_EQUAL(a.GetTimeSpan(), 93784);
        BOOST_CHECK_EQUAL(b.GetTimeSpan(), -2);
        BOOST_CHECK_EQUAL(c.GetTimeSpan(), -1);  // read back signed, as MFC does
    });
    CMemFile file;
    CArchive ar(&file, CArchive::store);
    BOOST_CHECK(ThrowsInvalidArg([&] { ar << CTimeSpan(0x100000000LL); }));
    BOOST_CHECK(ThrowsInvalidArg([&] { ar << CTimeSpan(-0x80000001LL); }));
    ar.Abort();
}

BOOST_AUTO_TEST_CASE(Serialize64IsAPlainSixtyFourBitInteger) {
    CTime time(kSample);
    CTimeSpan span(-3);
    const Bytes bytes = Stored([&](CArchive& ar) {
        time.Serialize64(ar);
        span.Serialize64(ar);
    });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("00 F1 53 65 00 00 00 00  FD FF FF FF FF FF FF FF")));
    CTime loadedTime;
    CTimeSpan loadedSpan;
    Loaded(bytes, [&](CArchive& ar) {
        loadedTime.Serialize64(ar);
        loadedSpan.Serialize64(ar);
    });
    BOOST_CHECK(loadedTime == time);
    BOOST_CHECK(loadedSpan == span);
}
