// CPoint, CSize and CRect: MFC's members with Win32's rectangle rules, and
// the archive form of MFC's afxwin1.inl (the struct's raw bytes: each field a
// 4-byte little-endian LONG), alone and in a CArray.
#include <afxtempl.h>

#include "MfcArchiveSupport.h"

#include <boost/test/unit_test.hpp>

namespace {

using xsock::test::Bytes;
using xsock::test::Hex;
using xsock::test::StoredCollection;
using xsock::test::ToHex;

}  // namespace

BOOST_AUTO_TEST_CASE(PointsAndSizesOffsetAndSubtract) {
    CPoint point(1, 2);
    point.Offset(10, 20);
    point += CSize(1, 1);
    BOOST_CHECK(point == CPoint(12, 23));
    const CSize between = point - CPoint(2, 3);
    BOOST_CHECK(between == CSize(10, 20));
    BOOST_CHECK(point - CSize(2, 3) == CPoint(10, 20));
    BOOST_CHECK(-point == CPoint(-12, -23));
    BOOST_CHECK(CSize(1, 2) + CSize(3, 4) == CSize(4, 6));
    BOOST_CHECK(CPoint(static_cast<DWORD>(0xFFFF0005)) == CPoint(5, -1));
}

BOOST_AUTO_TEST_CASE(RectanglesFollowWin32sRules) {
    CRect rect(10, 20, 30, 60);
    BOOST_CHECK_EQUAL(rect.Width(), 20);
    BOOST_CHECK_EQUAL(rect.Height(), 40);
    BOOST_CHECK(rect.Size() == CSize(20, 40));
    BOOST_CHECK(rect.CenterPoint() == CPoint(20, 40));
    BOOST_CHECK(rect.PtInRect(CPoint(10, 20)));
    BOOST_CHECK(!rect.PtInRect(CPoint(30, 20)));
    BOOST_CHECK(!rect.PtInRect(CPoint(10, 60)));
    BOOST_CHECK(!rect.IsRectEmpty() && !rect.IsRectNull());

    CRect flipped(30, 60, 10, 20);
    BOOST_CHECK(flipped.IsRectEmpty());
    flipped.NormalizeRect();
    BOOST_CHECK(flipped == rect);

    rect.InflateRect(1, 2);
    BOOST_CHECK(rect == CRect(9, 18, 31, 62));
    rect.DeflateRect(1, 2, 3, 4);
    BOOST_CHECK(rect == CRect(10, 20, 28, 58));
    rect.OffsetRect(-10, -20);
    BOOST_CHECK(rect.TopLeft() == CPoint(0, 0) && rect.BottomRight() == CPoint(18, 38));
    BOOST_CHECK(rect + CPoint(1, 1) == CRect(1, 1, 19, 39));
    rect.SetRectEmpty();
    BOOST_CHECK(rect.IsRectNull() && rect.IsRectEmpty());
}

BOOST_AUTO_TEST_CASE(IntersectAndUnionAsWin32Does) {
    const CRect a(0, 0, 10, 10), b(5, 5, 20, 20), apart(10, 0, 20, 10), empty(3, 3, 3, 9);
    CRect out;
    BOOST_CHECK(out.IntersectRect(&a, &b));
    BOOST_CHECK(out == CRect(5, 5, 10, 10));
    out = CRect(1, 2, 3, 4);
    BOOST_CHECK(!out.IntersectRect(&a, &apart));  // touching edges do not overlap
    BOOST_CHECK(out.IsRectNull());
    BOOST_CHECK(out.UnionRect(&a, &b));
    BOOST_CHECK(out == CRect(0, 0, 20, 20));
    BOOST_CHECK(out.UnionRect(&empty, &b));
    BOOST_CHECK(out == b);
    BOOST_CHECK(!out.UnionRect(&empty, &empty));
    BOOST_CHECK(out.IsRectNull());
    BOOST_CHECK((a & b) == CRect(5, 5, 10, 10));
    BOOST_CHECK((a | apart) == CRect(0, 0, 20, 10));
}

BOOST_AUTO_TEST_CASE(EachGoesOutAsItsLongs) {
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        ar << CPoint(1, -2) << CSize(3, 0x01020304) << CRect(-1, 2, 300, 4);
        const POINT raw = {7, 8};
        ar << raw;
        ar.Close();
    }
    const Bytes bytes(file.GetData(), file.GetData() + file.GetLength());
    BOOST_CHECK_EQUAL(ToHex(bytes), ToHex(Hex("01 00 00 00 FE FF FF FF"
                                              "03 00 00 00 04 03 02 01"
                                              "FF FF FF FF 02 00 00 00 2C 01 00 00 04 00 00 00"
                                              "07 00 00 00 08 00 00 00")));
    Bytes copy = bytes;
    CMemFile in(copy.data(), static_cast<UINT>(copy.size()));
    CArchive ar(&in, CArchive::load);
    CPoint point;
    CSize size;
    CRect rect;
    POINT raw{};
    ar >> point >> size >> rect >> raw;
    BOOST_CHECK(point == CPoint(1, -2));
    BOOST_CHECK(size == CSize(3, 0x01020304));
    BOOST_CHECK(rect == CRect(-1, 2, 300, 4));
    BOOST_CHECK(raw.x == 7 && raw.y == 8);
}

// SerializeElements' raw bytes of a CArray<CPoint> are the same LONGs.
BOOST_AUTO_TEST_CASE(ACArrayOfPointsIsACountThenRawLongs) {
    CArray<CPoint, CPoint> points;
    points.Add(CPoint(1, 2));
    points.Add(CPoint(-1, 0x100));
    BOOST_CHECK_EQUAL(ToHex(StoredCollection(points)),
                      ToHex(Hex("02 00  01 00 00 00 02 00 00 00  FF FF FF FF 00 01 00 00")));
}
