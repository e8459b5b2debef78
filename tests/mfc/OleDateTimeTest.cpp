// COleDateTime: a DATE of days since 1899-12-30 with a status, MFC's
// calendar members, and the archive form of MFC's olevar.cpp (the status as
// a LONG, then the double). Worked by hand: 2000-01-01 is 36526 days after
// 1899-12-30 (70 years of 365 days plus 17 leap days from 1904 to 1968, and
// 1899-12-30 to 1900-01-01 is 2 days: 25550 + 17 + 2 = 25569 to 1970-01-01,
// plus 10957 days to 2000-01-01), so noon is 36526.5 = 0x40E1D5D000000000;
// -1.25 (1899-12-29 06:00) is 0xBFF4000000000000.
#include <afx.h>

#include "ArchiveTestSupport.h"
#include "EnvironmentGuard.h"
#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

#include <ctime>

namespace {

using xsock::test::Bytes;
using xsock::test::Hex;
using xsock::test::Stored;
using xsock::test::ToHex;

}  // namespace

BOOST_AUTO_TEST_CASE(SetDateTimeCountsDaysFromTheOleEpoch) {
    COleDateTime noon;
    BOOST_CHECK_EQUAL(noon.SetDateTime(2000, 1, 1, 12, 0, 0), 0);
    BOOST_CHECK_EQUAL(noon.m_dt, 36526.5);
    BOOST_CHECK_EQUAL(noon.GetStatus(), COleDateTime::valid);
    BOOST_CHECK_EQUAL(COleDateTime(1899, 12, 30, 0, 0, 0).m_dt, 0.0);
    BOOST_CHECK_EQUAL(COleDateTime(1970, 1, 1, 0, 0, 0).m_dt, 25569.0);
    // Before the epoch the time of day still counts forward from midnight.
    const COleDateTime before(1899, 12, 29, 6, 0, 0);
    BOOST_CHECK_EQUAL(before.m_dt, -1.25);
    BOOST_CHECK_EQUAL(before.GetDay(), 29);
    BOOST_CHECK_EQUAL(before.GetHour(), 6);
    BOOST_CHECK(before < COleDateTime(1899, 12, 29, 18, 0, 0));
    BOOST_CHECK(COleDateTime(1899, 12, 29, 18, 0, 0) < COleDateTime(0.0));
}

BOOST_AUTO_TEST_CASE(CalendarMembersReadTheDate) {
    const COleDateTime date(2000, 3, 1, 23, 59, 58);
    BOOST_CHECK_EQUAL(date.GetYear(), 2000);
    BOOST_CHECK_EQUAL(date.GetMonth(), 3);
    BOOST_CHECK_EQUAL(date.GetDay(), 1);
    BOOST_CHECK_EQUAL(date.GetHour(), 23);
    BOOST_CHECK_EQUAL(date.GetMinute(), 59);
    BOOST_CHECK_EQUAL(date.GetSecond(), 58);
    BOOST_CHECK_EQUAL(date.GetDayOfWeek(), 4);  // a Wednesday; Sunday is 1
    BOOST_CHECK_EQUAL(date.GetDayOfYear(), 61);
    BOOST_CHECK_EQUAL(COleDateTime(2000, 1, 1, 0, 0, 0).GetDayOfWeek(), 7);
    // A DATE is read to the nearest second.
    BOOST_CHECK_EQUAL(COleDateTime(36526.5 + 0.4 / 86400).GetSecond(), 0);
    BOOST_CHECK_EQUAL(COleDateTime(36526.5 + 0.6 / 86400).GetSecond(), 1);
}

BOOST_AUTO_TEST_CASE(OutOfRangeMakesTheStatusInvalid) {
    COleDateTime date(2000, 1, 1, 0, 0, 0);
    BOOST_CHECK_EQUAL(date.SetDateTime(2023, 2, 29, 0, 0, 0), 1);
    BOOST_CHECK_EQUAL(date.GetStatus(), COleDateTime::invalid);
    BOOST_CHECK_EQUAL(date.GetYear(), AFX_OLE_DATETIME_ERROR);
    BOOST_CHECK_EQUAL(date.SetDateTime(2024, 2, 29, 24, 0, 0), 1);
    BOOST_CHECK_EQUAL(date.SetDate(99, 12, 31), 1);
    BOOST_CHECK_EQUAL(date.SetDate(2024, 2, 29), 0);
    BOOST_CHECK_EQUAL(date.GetStatus(), COleDateTime::valid);
    BOOST_CHECK_EQUAL(COleDateTime(3e6).GetStatus(), COleDateTime::invalid);
    BOOST_CHECK(date.Format(_T("%Y")) == _T("2024"));
    date.SetStatus(COleDateTime::invalid);
    BOOST_CHECK(date.Format(_T("%Y")) == _T("Invalid DateTime"));
    date.SetStatus(COleDateTime::null);
    BOOST_CHECK(date.Format(_T("%Y")).IsEmpty());
}

BOOST_AUTO_TEST_CASE(TimeValuesAndNowAreLocalTime) {
    xsock::test::EnvironmentGuard zone("TZ");
    zone.Set("XST-1");
    tzset();
    // 946728000 s = 2000-01-01 12:00 UTC, 13:00 an hour east.
    const COleDateTime fromTime(__time64_t{946728000});
    const std::time_t before = std::time(nullptr);
    const COleDateTime now = COleDateTime::GetCurrentTime();
    zone.Unset();
    tzset();
    BOOST_CHECK_EQUAL(fromTime.GetHour(), 13);
    BOOST_CHECK_EQUAL(fromTime.m_dt, 36526.0 + 13.0 / 24);
    BOOST_CHECK_EQUAL(now.GetStatus(), COleDateTime::valid);
    const double sinceBefore =
        (now.m_dt - 25569.0) * 86400.0 - 3600.0 - static_cast<double>(before);
    BOOST_CHECK(sinceBefore > -1.0 && sinceBefore < 60.0);
}

BOOST_AUTO_TEST_CASE(FormatTakesStrftimeCodes) {
    const COleDateTime date(2000, 1, 1, 12, 0, 0);
    BOOST_CHECK(date.Format(_T("%Y-%m-%d %H:%M:%S %A %j")) ==
                _T("2000-01-01 12:00:00 Saturday 001"));
}

BOOST_AUTO_TEST_CASE(GoesOutAsAStatusLongThenTheDouble) {
    COleDateTime invalid;
    invalid.SetStatus(COleDateTime::invalid);
    const Bytes bytes = Stored([&](CArchive& ar) {
        ar << COleDateTime(2000, 1, 1, 12, 0, 0) << COleDateTime(-1.25) << invalid;
    });
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("00 00 00 00  00 00 00 00 D0 D5 E1 40"
                                              "00 00 00 00  00 00 00 00 00 00 F4 BF"
                                              "01 00 00 00  00 00 00 00 00 00 00 00")));
    Bytes copy = bytes;
    CMemFile file(copy.data(), static_cast<UINT>(copy.size()));
    CArchive ar(&file, CArchive::load);
    COleDateTime a, b, c;
    ar >> a >> b >> c;
    BOOST_CHECK(a == COleDateTime(36526.5));
    BOOST_CHECK_EQUAL(b.m_dt, -1.25);
    BOOST_CHECK_EQUAL(c.GetStatus(), COleDateTime::invalid);
}
