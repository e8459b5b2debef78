// CString: MFC's string class (CStringA narrow, CStringW wide, CString the one
// _UNICODE picks), over std::basic_string.
//
// The members real programs use keep MFC's names and meaning: GetLength,
// IsEmpty, Empty, GetAt/SetAt, Left/Mid/Right, Find/ReverseFind/FindOneOf,
// Trim/TrimLeft/TrimRight, MakeUpper/MakeLower/MakeReverse, Replace, Remove,
// Insert, Delete, Format/AppendFormat, GetBuffer/ReleaseBuffer, Compare,
// CompareNoCase, the comparison operators, +, += and the implicit conversion
// to const TCHAR*. Narrow text is UTF-8 in memory; CStringA and CStringW
// convert into each other as UTF-8 <-> UTF-32 (wchar_t is 4 bytes on Linux).
// MakeUpper/MakeLower change ASCII letters only. Format is printf's: pass a
// CString argument as (LPCTSTR)str or str.GetString(), since the object itself
// cannot travel through `...` as MFC's single-pointer CString does. LoadString
// has no string resources to read: it empties the string and returns FALSE.
// Archives write CStringA as MFC's narrow string and CStringW as its wide one
// (FF FE FF, UTF-16LE); see afx/Archive.h.
//
// Errors: positions out of range are clamped as MFC's release build does.
// Thread safety: a plain value.
#pragma once

#include "Win32.h"

#include <algorithm>
#include <compare>
#include <cstring>
#include <cwctype>
#include <string>
#include <string_view>

namespace xsock::mfc {

template <class C>
class CStringT {
  public:
    using XCHAR = C;
    using PXSTR = C*;
    using PCXSTR = const C*;
    using Std = std::basic_string<C>;

    CStringT() = default;
    CStringT(const C* text) : s_(text != nullptr ? text : Empty_()) {}
    CStringT(const C* text, int length) : s_(text, static_cast<std::size_t>(std::max(length, 0))) {}
    CStringT(C ch, int repeat = 1) : s_(static_cast<std::size_t>(std::max(repeat, 0)), ch) {}
    CStringT(const Std& text) : s_(text) {}
    CStringT(std::basic_string_view<C> text) : s_(text) {}
    // The other width, converted (UTF-8 <-> wchar_t).
    template <class O>
    requires(!std::is_same_v<O, C> && (std::is_same_v<O, char> || std::is_same_v<O, wchar_t>))
        CStringT(const O* text)
        : s_(Convert(text)) {}
    template <class O>
    requires(!std::is_same_v<O, C>) CStringT(const CStringT<O>& other)
        : s_(Convert(other.GetString())) {}

    CStringT& operator=(const C* text) {
        s_ = text != nullptr ? text : Empty_();
        return *this;
    }
    CStringT& operator=(C ch) {
        s_.assign(1, ch);
        return *this;
    }
    CStringT& operator=(const Std& text) {
        s_ = text;
        return *this;
    }

    int GetLength() const noexcept { return static_cast<int>(s_.size()); }
    BOOL IsEmpty() const noexcept { return s_.empty(); }
    void Empty() noexcept { s_.clear(); }
    C GetAt(int i) const { return s_.at(static_cast<std::size_t>(i)); }
    void SetAt(int i, C ch) { s_.at(static_cast<std::size_t>(i)) = ch; }
    C operator[](int i) const { return GetAt(i); }
    const C* GetString() const noexcept { return s_.c_str(); }
    operator const C*() const noexcept { return s_.c_str(); }
    // Beyond MFC: the std::basic_string underneath.
    const Std& Str() const noexcept { return s_; }
    Std& Str() noexcept { return s_; }

    CStringT& operator+=(const CStringT& other) {
        s_ += other.s_;
        return *this;
    }
    CStringT& operator+=(const C* text) {
        s_ += text != nullptr ? text : Empty_();
        return *this;
    }
    CStringT& operator+=(C ch) {
        s_ += ch;
        return *this;
    }
    CStringT& Append(const C* text) { return *this += text; }
    CStringT& AppendChar(C ch) { return *this += ch; }

    int Compare(const C* text) const { return Sign(s_.compare(text != nullptr ? text : Empty_())); }
    int CompareNoCase(const C* text) const {
        const Std a = Lower(s_), b = Lower(text != nullptr ? Std(text) : Std());
        return Sign(a.compare(b));
    }
    int Collate(const C* text) const { return Compare(text); }

    CStringT Left(int count) const { return Std(s_.substr(0, Clamp(count))); }
    CStringT Right(int count) const {
        const std::size_t n = Clamp(count);
        return Std(s_.substr(s_.size() - n));
    }
    CStringT Mid(int first) const { return Std(s_.substr(Clamp(first))); }
    CStringT Mid(int first, int count) const {
        const std::size_t start = Clamp(first);
        return Std(s_.substr(start, std::min(Clamp(count), s_.size() - start)));
    }
    CStringT SpanIncluding(const C* set) const {
        return Left(static_cast<int>(std::min(s_.find_first_not_of(set), s_.size())));
    }
    CStringT SpanExcluding(const C* set) const {
        return Left(static_cast<int>(std::min(s_.find_first_of(set), s_.size())));
    }

    int Find(C ch, int start = 0) const { return Pos(s_.find(ch, Clamp(start))); }
    int Find(const C* text, int start = 0) const { return Pos(s_.find(text, Clamp(start))); }
    int ReverseFind(C ch) const { return Pos(s_.rfind(ch)); }
    int FindOneOf(const C* set) const { return Pos(s_.find_first_of(set)); }

    CStringT& TrimLeft() { return TrimLeft(Spaces()); }
    CStringT& TrimLeft(C ch) { return TrimLeft(Std(1, ch).c_str()); }
    CStringT& TrimLeft(const C* set) {
        s_.erase(0, std::min(s_.find_first_not_of(set), s_.size()));
        return *this;
    }
    CStringT& TrimRight() { return TrimRight(Spaces()); }
    CStringT& TrimRight(C ch) { return TrimRight(Std(1, ch).c_str()); }
    CStringT& TrimRight(const C* set) {
        const std::size_t last = s_.find_last_not_of(set);
        s_.erase(last == Std::npos ? 0 : last + 1);
        return *this;
    }
    CStringT& Trim() { return TrimRight().TrimLeft(); }
    CStringT& Trim(C ch) { return TrimRight(ch).TrimLeft(ch); }
    CStringT& Trim(const C* set) { return TrimRight(set).TrimLeft(set); }

    CStringT& MakeUpper() {
        for (C& ch : s_) {
            if (ch >= 'a' && ch <= 'z') {
                ch = static_cast<C>(ch - 'a' + 'A');
            }
        }
        return *this;
    }
    CStringT& MakeLower() {
        s_ = Lower(s_);
        return *this;
    }
    CStringT& MakeReverse() {
        std::reverse(s_.begin(), s_.end());
        return *this;
    }

    int Replace(C from, C to) {
        int n = 0;
        for (C& ch : s_) {
            if (ch == from) {
                ch = to;
                ++n;
            }
        }
        return n;
    }
    int Replace(const C* from, const C* to) {
        const Std old(from != nullptr ? from : Empty_()), now(to != nullptr ? to : Empty_());
        if (old.empty()) {
            return 0;
        }
        int n = 0;
        for (std::size_t at = s_.find(old); at != Std::npos; at = s_.find(old, at + now.size())) {
            s_.replace(at, old.size(), now);
            ++n;
        }
        return n;
    }
    int Remove(C ch) {
        const auto before = s_.size();
        std::erase(s_, ch);
        return static_cast<int>(before - s_.size());
    }
    int Insert(int index, C ch) { return Insert(index, Std(1, ch).c_str()); }
    int Insert(int index, const C* text) {
        s_.insert(Clamp(index), text != nullptr ? text : Empty_());
        return GetLength();
    }
    int Delete(int index, int count = 1) {
        const std::size_t start = Clamp(index);
        s_.erase(start, std::min(Clamp(count), s_.size() - start));
        return GetLength();
    }
    CStringT Tokenize(const C* set, int& start) const {
        if (start < 0 || static_cast<std::size_t>(start) >= s_.size()) {
            start = -1;
            return {};
        }
        const std::size_t first = s_.find_first_not_of(set, static_cast<std::size_t>(start));
        if (first == Std::npos) {
            start = -1;
            return {};
        }
        const std::size_t end = std::min(s_.find_first_of(set, first), s_.size());
        start = static_cast<int>(std::min(end + 1, s_.size()));
        return Std(s_.substr(first, end - first));
    }

    void Format(const C* format, ...) {
        va_list args;
        va_start(args, format);
        s_.clear();
        AppendV(format, args);
        va_end(args);
    }
    void AppendFormat(const C* format, ...) {
        va_list args;
        va_start(args, format);
        AppendV(format, args);
        va_end(args);
    }
    void FormatV(const C* format, va_list args) {
        s_.clear();
        AppendV(format, args);
    }

    // The characters, writable, with room for at least minLength of them and a
    // terminator; ReleaseBuffer(-1) then takes the length up to the first NUL.
    C* GetBuffer(int minLength = 0) {
        const std::size_t length = s_.size();
        s_.resize(std::max(length, AtLeastZero(minLength)));
        return s_.data();
    }
    C* GetBufferSetLength(int length) {
        s_.resize(AtLeastZero(length));
        return s_.data();
    }
    void ReleaseBuffer(int newLength = -1) {
        if (newLength < 0) {
            s_.resize(std::char_traits<C>::length(s_.c_str()));
        } else {
            s_.resize(std::min(Clamp(newLength), s_.size()));
        }
    }
    void ReleaseBufferSetLength(int newLength) { ReleaseBuffer(newLength); }
    void FreeExtra() { s_.shrink_to_fit(); }
    int GetAllocLength() const noexcept { return static_cast<int>(s_.capacity()); }
    void Preallocate(int length) { s_.reserve(AtLeastZero(length)); }

    // No string resources outside Windows: the string is emptied, FALSE returned.
    BOOL LoadString(UINT /*id*/) {
        s_.clear();
        return FALSE;
    }

    friend CStringT operator+(const CStringT& a, const CStringT& b) { return Std(a.s_ + b.s_); }
    friend CStringT operator+(const CStringT& a, const C* b) { return CStringT(a) += b; }
    friend CStringT operator+(const C* a, const CStringT& b) { return CStringT(a) += b; }
    friend CStringT operator+(const CStringT& a, C b) { return CStringT(a) += b; }
    friend CStringT operator+(C a, const CStringT& b) { return CStringT(a) += b; }
    friend bool operator==(const CStringT& a, const CStringT& b) { return a.s_ == b.s_; }
    friend bool operator==(const CStringT& a, const C* b) { return a.Compare(b) == 0; }
    friend std::strong_ordering operator<=>(const CStringT& a, const CStringT& b) {
        return a.s_ <=> b.s_;
    }
    friend std::strong_ordering operator<=>(const CStringT& a, const C* b) {
        return a.Compare(b) <=> 0;
    }

  private:
    static const C* Empty_() {
        static constexpr C kEmpty[1] = {};
        return kEmpty;
    }
    static const C* Spaces() {
        static constexpr C kSpaces[] = {' ', '\t', '\n', '\r', '\v', '\f', 0};
        return kSpaces;
    }
    static int Sign(int n) { return n < 0 ? -1 : n > 0 ? 1 : 0; }
    static int Pos(std::size_t at) { return at == Std::npos ? -1 : static_cast<int>(at); }
    // A position or count limited to the string, as MFC's release build does.
    std::size_t Clamp(int n) const {
        return n <= 0 ? 0 : std::min(static_cast<std::size_t>(n), s_.size());
    }
    static std::size_t AtLeastZero(int n) { return n <= 0 ? 0 : static_cast<std::size_t>(n); }
    static Std Lower(Std text) {
        for (C& ch : text) {
            if (ch >= 'A' && ch <= 'Z') {
                ch = static_cast<C>(ch - 'A' + 'a');
            }
        }
        return text;
    }
    template <class O>
    static Std Convert(const O* text) {
        if constexpr (std::is_same_v<C, char>) {
            return Narrow(text);
        } else {
            return Widen(text);
        }
    }
    void AppendV(const C* format, va_list args) {
        const std::size_t at = s_.size();
        for (std::size_t room = 256;; room *= 2) {
            va_list copy;
            va_copy(copy, args);
            s_.resize(at + room);
            int n;
            if constexpr (std::is_same_v<C, char>) {
                n = std::vsnprintf(s_.data() + at, room, format, copy);
            } else {
                n = std::vswprintf(s_.data() + at, room, format, copy);
            }
            va_end(copy);
            if (n >= 0 && static_cast<std::size_t>(n) < room) {
                s_.resize(at + static_cast<std::size_t>(n));
                return;
            }
            if (n < 0 && room > (std::size_t{1} << 26)) {
                s_.resize(at);  // a wide conversion that can never fit
                return;
            }
            if (n > 0) {
                room = static_cast<std::size_t>(n);
            }
        }
    }

    Std s_;
};

}  // namespace xsock::mfc

using CStringA = xsock::mfc::CStringT<char>;
using CStringW = xsock::mfc::CStringT<wchar_t>;
#ifdef _UNICODE
using CString = CStringW;
#else
using CString = CStringA;
#endif
