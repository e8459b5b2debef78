// POINT, SIZE and RECT with MFC's CPoint, CSize and CRect over them.
//
// The structs have Windows' layout: LONG (32-bit) fields, so a struct of them
// in a CArray goes out as MFC's raw bytes. The classes keep MFC's members and
// Win32's rules for rectangles: a rectangle is empty when it has no area
// (right <= left or bottom <= top), PtInRect includes the left and top edges
// but not the right and bottom ones, IntersectRect gives an all-zero
// rectangle and FALSE when the two do not overlap, UnionRect ignores an empty
// rectangle. TopLeft and BottomRight return values, where MFC returns
// references into the rectangle (a CPoint& over two of its LONGs): assign the
// fields, or use SetRect, to change a corner.
//
// Archive layout, as MFC's afxwin1.inl writes it (ar.Write of the struct):
// POINT x, y; SIZE cx, cy; RECT left, top, right, bottom, each a 4-byte
// little-endian LONG. Errors: none. Thread safety: plain values.
#pragma once

#include "Archive.h"

#include <algorithm>

struct tagPOINT {
    LONG x;
    LONG y;
};
struct tagSIZE {
    LONG cx;
    LONG cy;
};
struct tagRECT {
    LONG left;
    LONG top;
    LONG right;
    LONG bottom;
};
using POINT = tagPOINT;
using SIZE = tagSIZE;
using RECT = tagRECT;
using LPPOINT = POINT*;
using LPSIZE = SIZE*;
using LPRECT = RECT*;
using LPCRECT = const RECT*;
static_assert(sizeof(POINT) == 8 && sizeof(SIZE) == 8 && sizeof(RECT) == 16);

class CSize : public tagSIZE {
  public:
    CSize() noexcept : tagSIZE{0, 0} {}
    CSize(int x, int y) noexcept : tagSIZE{x, y} {}
    CSize(SIZE size) noexcept : tagSIZE(size) {}
    explicit CSize(POINT point) noexcept : tagSIZE{point.x, point.y} {}
    explicit CSize(DWORD packed) noexcept
        : tagSIZE{static_cast<SHORT>(packed & 0xFFFF), static_cast<SHORT>(packed >> 16)} {}

    void SetSize(int x, int y) noexcept {
        cx = x;
        cy = y;
    }
    BOOL operator==(SIZE other) const noexcept { return cx == other.cx && cy == other.cy; }
    BOOL operator!=(SIZE other) const noexcept { return !(*this == other); }
    void operator+=(SIZE other) noexcept { SetSize(cx + other.cx, cy + other.cy); }
    void operator-=(SIZE other) noexcept { SetSize(cx - other.cx, cy - other.cy); }
    CSize operator+(SIZE other) const noexcept { return CSize(cx + other.cx, cy + other.cy); }
    CSize operator-(SIZE other) const noexcept { return CSize(cx - other.cx, cy - other.cy); }
    CSize operator-() const noexcept { return CSize(-cx, -cy); }
};

class CPoint : public tagPOINT {
  public:
    CPoint() noexcept : tagPOINT{0, 0} {}
    CPoint(int x, int y) noexcept : tagPOINT{x, y} {}
    CPoint(POINT point) noexcept : tagPOINT(point) {}
    explicit CPoint(SIZE size) noexcept : tagPOINT{size.cx, size.cy} {}
    explicit CPoint(DWORD packed) noexcept
        : tagPOINT{static_cast<SHORT>(packed & 0xFFFF), static_cast<SHORT>(packed >> 16)} {}

    void SetPoint(int newX, int newY) noexcept {
        x = newX;
        y = newY;
    }
    void Offset(int dx, int dy) noexcept { SetPoint(x + dx, y + dy); }
    void Offset(POINT point) noexcept { Offset(point.x, point.y); }
    void Offset(SIZE size) noexcept { Offset(size.cx, size.cy); }

    BOOL operator==(POINT other) const noexcept { return x == other.x && y == other.y; }
    BOOL operator!=(POINT other) const noexcept { return !(*this == other); }
    void operator+=(SIZE size) noexcept { Offset(size); }
    void operator-=(SIZE size) noexcept { Offset(-size.cx, -size.cy); }
    void operator+=(POINT point) noexcept { Offset(point); }
    void operator-=(POINT point) noexcept { Offset(-point.x, -point.y); }
    CPoint operator+(SIZE size) const noexcept { return CPoint(x + size.cx, y + size.cy); }
    CPoint operator-(SIZE size) const noexcept { return CPoint(x - size.cx, y - size.cy); }
    CPoint operator+(POINT point) const noexcept { return CPoint(x + point.x, y + point.y); }
    CSize operator-(POINT point) const noexcept { return CSize(x - point.x, y - point.y); }
    CPoint operator-() const noexcept { return CPoint(-x, -y); }
};

class CRect : public tagRECT {
  public:
    CRect() noexcept : tagRECT{0, 0, 0, 0} {}
    CRect(int l, int t, int r, int b) noexcept : tagRECT{l, t, r, b} {}
    CRect(const RECT& rect) noexcept : tagRECT(rect) {}
    CRect(LPCRECT rect) noexcept : tagRECT(*rect) {}
    CRect(POINT topLeft, SIZE size) noexcept
        : tagRECT{topLeft.x, topLeft.y, topLeft.x + size.cx, topLeft.y + size.cy} {}
    CRect(POINT topLeft, POINT bottomRight) noexcept
        : tagRECT{topLeft.x, topLeft.y, bottomRight.x, bottomRight.y} {}

    int Width() const noexcept { return right - left; }
    int Height() const noexcept { return bottom - top; }
    CSize Size() const noexcept { return CSize(Width(), Height()); }
    CPoint TopLeft() const noexcept { return CPoint(left, top); }
    CPoint BottomRight() const noexcept { return CPoint(right, bottom); }
    CPoint CenterPoint() const noexcept { return CPoint((left + right) / 2, (top + bottom) / 2); }
    operator LPRECT() noexcept { return this; }
    operator LPCRECT() const noexcept { return this; }

    BOOL IsRectEmpty() const noexcept { return right <= left || bottom <= top; }
    BOOL IsRectNull() const noexcept { return left == 0 && top == 0 && right == 0 && bottom == 0; }
    BOOL PtInRect(POINT point) const noexcept {
        return point.x >= left && point.x < right && point.y >= top && point.y < bottom;
    }
    BOOL EqualRect(LPCRECT rect) const noexcept {
        return left == rect->left && top == rect->top && right == rect->right &&
               bottom == rect->bottom;
    }

    void SetRect(int l, int t, int r, int b) noexcept { *this = CRect(l, t, r, b); }
    void SetRect(POINT topLeft, POINT bottomRight) noexcept { *this = CRect(topLeft, bottomRight); }
    void SetRectEmpty() noexcept { SetRect(0, 0, 0, 0); }
    void CopyRect(LPCRECT rect) noexcept { *this = CRect(rect); }

    void InflateRect(int x, int y) noexcept { InflateRect(x, y, x, y); }
    void InflateRect(SIZE size) noexcept { InflateRect(size.cx, size.cy); }
    void InflateRect(LPCRECT by) noexcept { InflateRect(by->left, by->top, by->right, by->bottom); }
    void InflateRect(int l, int t, int r, int b) noexcept {
        left -= l;
        top -= t;
        right += r;
        bottom += b;
    }
    void DeflateRect(int x, int y) noexcept { InflateRect(-x, -y); }
    void DeflateRect(SIZE size) noexcept { InflateRect(-size.cx, -size.cy); }
    void DeflateRect(LPCRECT by) noexcept {
        InflateRect(-by->left, -by->top, -by->right, -by->bottom);
    }
    void DeflateRect(int l, int t, int r, int b) noexcept { InflateRect(-l, -t, -r, -b); }

    void OffsetRect(int dx, int dy) noexcept {
        SetRect(left + dx, top + dy, right + dx, bottom + dy);
    }
    void OffsetRect(POINT point) noexcept { OffsetRect(point.x, point.y); }
    void OffsetRect(SIZE size) noexcept { OffsetRect(size.cx, size.cy); }
    void MoveToXY(int x, int y) noexcept { OffsetRect(x - left, y - top); }
    void MoveToXY(POINT point) noexcept { MoveToXY(point.x, point.y); }

    void NormalizeRect() noexcept {
        if (left > right) {
            std::swap(left, right);
        }
        if (top > bottom) {
            std::swap(top, bottom);
        }
    }

    BOOL IntersectRect(LPCRECT a, LPCRECT b) noexcept {
        const CRect first(a), second(b);
        if (first.IsRectEmpty() || second.IsRectEmpty() || first.left >= second.right ||
            second.left >= first.right || first.top >= second.bottom ||
            second.top >= first.bottom) {
            SetRectEmpty();
            return FALSE;
        }
        SetRect(std::max(first.left, second.left), std::max(first.top, second.top),
                std::min(first.right, second.right), std::min(first.bottom, second.bottom));
        return TRUE;
    }
    BOOL UnionRect(LPCRECT a, LPCRECT b) noexcept {
        const CRect first(a), second(b);
        if (first.IsRectEmpty() && second.IsRectEmpty()) {
            SetRectEmpty();
            return FALSE;
        }
        if (first.IsRectEmpty() || second.IsRectEmpty()) {
            *this = first.IsRectEmpty() ? second : first;
            return TRUE;
        }
        SetRect(std::min(first.left, second.left), std::min(first.top, second.top),
                std::max(first.right, second.right), std::max(first.bottom, second.bottom));
        return TRUE;
    }

    BOOL operator==(const RECT& other) const noexcept { return EqualRect(&other); }
    BOOL operator!=(const RECT& other) const noexcept { return !EqualRect(&other); }
    void operator+=(POINT point) noexcept { OffsetRect(point); }
    void operator+=(SIZE size) noexcept { OffsetRect(size); }
    void operator-=(POINT point) noexcept { OffsetRect(-point.x, -point.y); }
    void operator-=(SIZE size) noexcept { OffsetRect(-size.cx, -size.cy); }
    void operator&=(const RECT& other) noexcept { IntersectRect(this, &other); }
    void operator|=(const RECT& other) noexcept { UnionRect(this, &other); }
    CRect operator+(POINT point) const noexcept { return Moved(point.x, point.y); }
    CRect operator+(SIZE size) const noexcept { return Moved(size.cx, size.cy); }
    CRect operator-(POINT point) const noexcept { return Moved(-point.x, -point.y); }
    CRect operator-(SIZE size) const noexcept { return Moved(-size.cx, -size.cy); }
    CRect operator&(const RECT& other) const noexcept {
        CRect out;
        out.IntersectRect(this, &other);
        return out;
    }
    CRect operator|(const RECT& other) const noexcept {
        CRect out;
        out.UnionRect(this, &other);
        return out;
    }

  private:
    CRect Moved(int dx, int dy) const noexcept {
        CRect out(*this);
        out.OffsetRect(dx, dy);
        return out;
    }
};

// Each LONG in turn: the struct's raw little-endian bytes, as MFC writes them.
inline CArchive& operator<<(CArchive& ar, const POINT& point) {
    return ar << point.x << point.y;
}
inline CArchive& operator<<(CArchive& ar, const SIZE& size) {
    return ar << size.cx << size.cy;
}
inline CArchive& operator<<(CArchive& ar, const RECT& rect) {
    return ar << rect.left << rect.top << rect.right << rect.bottom;
}
inline CArchive& operator>>(CArchive& ar, POINT& point) {
    return ar >> point.x >> point.y;
}
inline CArchive& operator>>(CArchive& ar, SIZE& size) {
    return ar >> size.cx >> size.cy;
}
inline CArchive& operator>>(CArchive& ar, RECT& rect) {
    return ar >> rect.left >> rect.top >> rect.right >> rect.bottom;
}
// The classes by name too, or CArchive's catch-all template would be closer.
inline CArchive& operator<<(CArchive& ar, const CPoint& point) {
    return ar << static_cast<const POINT&>(point);
}
inline CArchive& operator<<(CArchive& ar, const CSize& size) {
    return ar << static_cast<const SIZE&>(size);
}
inline CArchive& operator<<(CArchive& ar, const CRect& rect) {
    return ar << static_cast<const RECT&>(rect);
}
inline CArchive& operator>>(CArchive& ar, CPoint& point) {
    return ar >> static_cast<POINT&>(point);
}
inline CArchive& operator>>(CArchive& ar, CSize& size) {
    return ar >> static_cast<SIZE&>(size);
}
inline CArchive& operator>>(CArchive& ar, CRect& rect) {
    return ar >> static_cast<RECT&>(rect);
}
