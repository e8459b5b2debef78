// CArchive: MFC's archive over a CFile*, built on xsock::Archive.
//
// CArchive(CFile*, UINT nMode, int nBufSize = 4096, void* lpBuf = NULL) as in
// MFC; lpBuf is not used (the archive keeps its own buffer of nBufSize). The
// bytes are the core's, which are MFC's: `<<` and `>>` take every type the
// core takes, CString (narrow, or wide FF FE FF + UTF-16LE for CStringW), and
// `long`/`unsigned long` as 4 bytes, since MFC's long is LONG (a stored value
// that does not fit in 32 bits is refused with CArchiveException
// genericException instead of being cut). BOOL is 4 bytes, bool one, as in
// MFC. ReadObject/WriteObject, ReadClass/WriteClass/SerializeClass, MapObject,
// GetObjectSchema, IsLoading/IsStoring, IsBufferEmpty, Read/Write, Flush,
// Close, Abort and ReadString/WriteString keep MFC's meaning.
//
// Narrow text (a CStringA, a char pointer, a narrow text line) is in the
// archive's code page on the wire, as an ANSI MFC build writes it, and UTF-8
// in memory: SetCodePage/GetCodePage choose it, Windows-1252 by default
// (afx/CodePage.h has the rules). SetCodePage is the layer's: MFC has no such
// member and always uses the system's ANSI code page. Wide text lines
// (ReadString(CStringW&), WriteString(LPCWSTR)) are UTF-16LE as a Unicode MFC
// build reads and writes them, with no terminator and no line end added.
//
// Errors: every failure is thrown as MFC does, a CArchiveException* (format,
// end of data, limits) or a CFileException* (the file), allocated with new and
// freed by the catcher with Delete(). Thread safety: an archive and its file
// belong to one thread at a time.
#pragma once

#include "CodePage.h"
#include "File.h"

#include <xsock/Archive.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_set>

namespace xsock::mfc {

// char and wchar_t pointers and arrays, which CArchive stores as CStrings.
template <class T, class Element = std::remove_cv_t<std::remove_pointer_t<std::decay_t<T>>>>
inline constexpr bool kIsCharText = std::is_pointer_v<std::decay_t<T>> &&
                                    (std::is_same_v<Element, char> ||
                                     std::is_same_v<Element, wchar_t>);

// CStrings in MFC's string forms, narrow ones in the CArchive's code page
// (UTF-8 under an archive of the core that is no CArchive); defined below.
template <class C>
xsock::Archive& operator<<(xsock::Archive& ar, const CStringT<C>& text);
template <class C>
xsock::Archive& operator>>(xsock::Archive& ar, CStringT<C>& text);

// The CArchives alive in the process, so the core's Serialize(Archive&) can
// find the CArchive a CObject's Serialize(CArchive&) needs.
class LiveArchives {
  public:
    static void Add(const xsock::Archive* ar) {
        std::lock_guard lock(Mutex());
        Set().insert(ar);
    }
    static void Remove(const xsock::Archive* ar) {
        std::lock_guard lock(Mutex());
        Set().erase(ar);
    }
    static bool Contains(const xsock::Archive* ar) {
        std::lock_guard lock(Mutex());
        return Set().contains(ar);
    }

  private:
    static std::mutex& Mutex() {
        static std::mutex mutex;
        return mutex;
    }
    static std::unordered_set<const xsock::Archive*>& Set() {
        static std::unordered_set<const xsock::Archive*> set;
        return set;
    }
};

// Holds the bridge so it is built before, and outlives, the core archive.
struct ArchiveFileHolder {
    explicit ArchiveFileHolder(CFile* file) : bridge(file) {}
    FileBridge bridge;
};

}  // namespace xsock::mfc

class CArchive : private xsock::mfc::ArchiveFileHolder, public xsock::Archive {
  public:
    enum Mode : UINT { store = 0, load = 1, bNoFlushOnDelete = 2, bNoByteSwap = 4 };

    CArchive(CFile* file, UINT mode, int bufferSize = 4096, void* /*buffer*/ = nullptr)
        : ArchiveFileHolder(file),
          xsock::Archive(bridge, mode & (load | bNoFlushOnDelete),
                         static_cast<std::size_t>(std::max(bufferSize, 16))),
          m_pFile(file) {
        xsock::mfc::LiveArchives::Add(this);
    }
    ~CArchive() { xsock::mfc::LiveArchives::Remove(this); }

    // The CArchive behind an archive the core hands to Serialize.
    static CArchive& From(xsock::Archive& ar) {
        if (!xsock::mfc::LiveArchives::Contains(&ar)) {
            throw std::logic_error("a CObject is serialized through a CArchive only");
        }
        return static_cast<CArchive&>(ar);
    }

    CFile* GetFile() const noexcept { return m_pFile; }

    // The code page of narrow text (afx/CodePage.h): CP_ACP (Windows-1252 in
    // the layer, the default), 1252, or CP_UTF8; others are
    // CInvalidArgException.
    void SetCodePage(UINT codePage) {
        if (!xsock::mfc::IsKnownCodePage(codePage)) {
            AfxThrowInvalidArgException();
        }
        codePage_ = codePage;
    }
    UINT GetCodePage() const noexcept { return codePage_; }

    // Character pointers and arrays are text: they take the overloads below.
    template <class T>
    requires(!xsock::mfc::kIsCharText<T>) CArchive& operator<<(const T& value) {
        Guard([&] { Core() << value; });
        return *this;
    }
    template <class T>
    CArchive& operator>>(T& value) {
        Guard([&] { Core() >> value; });
        return *this;
    }
    template <class C>
    CArchive& operator<<(const xsock::mfc::CStringT<C>& text) {
        Guard([&] { xsock::mfc::StoreText(Core(), text, codePage_); });
        return *this;
    }
    template <class C>
    CArchive& operator>>(xsock::mfc::CStringT<C>& text) {
        Guard([&] { xsock::mfc::LoadText(Core(), text, codePage_); });
        return *this;
    }
    // Text given as a pointer goes out as the CString it would make.
    CArchive& operator<<(const char* text) { return *this << CStringA(text); }
    CArchive& operator<<(const wchar_t* text) { return *this << CStringW(text); }
    // MFC's long is LONG: 4 bytes on the wire.
    CArchive& operator<<(long value) {
        if (value < std::numeric_limits<LONG>::min() || value > std::numeric_limits<LONG>::max()) {
            AfxThrowArchiveException(CArchiveException::genericException);
        }
        return *this << static_cast<LONG>(value);
    }
    CArchive& operator<<(unsigned long value) {
        if (value > std::numeric_limits<DWORD>::max()) {
            AfxThrowArchiveException(CArchiveException::genericException);
        }
        return *this << static_cast<DWORD>(value);
    }
    CArchive& operator>>(long& value) {
        LONG wire = 0;
        *this >> wire;
        value = wire;
        return *this;
    }
    CArchive& operator>>(unsigned long& value) {
        DWORD wire = 0;
        *this >> wire;
        value = wire;
        return *this;
    }

    UINT Read(void* buffer, UINT count) {
        return static_cast<UINT>(Guard([&] { return Core().Read(buffer, count); }));
    }
    void Write(const void* buffer, UINT count) {
        Guard([&] { Core().Write(buffer, count); });
    }
    void Flush() {
        Guard([&] { Core().Flush(); });
    }
    void Close() {
        Guard([&] { Core().Close(); });
    }

    CObject* ReadObject(const xsock::RuntimeClass* requested) {
        return Guard([&] { return dynamic_cast<CObject*>(Core().ReadObject(requested)); });
    }
    void WriteObject(const CObject* object) {
        Guard([&] { Core().WriteObject(object); });
    }
    const xsock::RuntimeClass* ReadClass(const xsock::RuntimeClass* requested = nullptr,
                                         UINT* schema = nullptr, DWORD* objectTag = nullptr) {
        return Guard([&] { return Core().ReadClass(requested, schema, objectTag); });
    }
    void WriteClass(const xsock::RuntimeClass* cls) {
        Guard([&] { Core().WriteClass(cls); });
    }
    void SerializeClass(const xsock::RuntimeClass* cls) {
        Guard([&] { Core().SerializeClass(cls); });
    }
    void MapObject(const CObject* object) {
        Guard([&] { Core().MapObject(object); });
    }
    DWORD_PTR ReadCount() {
        return static_cast<DWORD_PTR>(Guard([&] { return Core().ReadCount(); }));
    }
    void WriteCount(DWORD_PTR count) {
        Guard([&] { Core().WriteCount(count); });
    }

    // A line without its "\n" (and a "\r" before it); FALSE at the end. The
    // narrow forms read and write the archive's code page; the buffer form
    // hands over the bytes as they are.
    BOOL ReadString(CStringA& line) {
        return Guard([&] {
            std::string bytes;
            const bool any = Core().ReadString(bytes);
            line.Str() = xsock::mfc::FromCodePage(bytes, codePage_);
            return any;
        });
    }
    LPSTR ReadString(LPSTR buffer, UINT max) {
        return Guard([&] { return Core().ReadString(buffer, max); });
    }
    void WriteString(LPCSTR text) {
        Guard([&] {
            Core().WriteString(xsock::mfc::ToCodePage(xsock::mfc::Narrow(text), codePage_));
        });
    }
    // As a Unicode MFC build: UTF-16LE units. A line ends at "\n" or "\r";
    // after "\r" one more unit is read, and kept unless it is "\n" (MFC's
    // rule, so "\r\n" and "\n" both end a line).
    BOOL ReadString(CStringW& line);
    // At most max - 1 characters and a terminator, as MFC documents; NULL at
    // the end of the data. The rest of a longer line is left for the next call.
    LPWSTR ReadString(LPWSTR buffer, UINT max);
    void WriteString(LPCWSTR text);

    CFile* m_pFile;

  private:
    xsock::Archive& Core() noexcept { return *this; }
    bool ReadUnit(char16_t& unit);
    bool ReadLineUnits(std::u16string& units, std::size_t room);

    UINT codePage_ = CP_ACP;

    template <class Call>
    auto Guard(Call&& call) -> decltype(call()) {
        try {
            return std::forward<Call>(call)();
        } catch (const xsock::ArchiveException& e) {
            AfxThrowArchiveException(
                e.m_cause, m_pFile != nullptr ? m_pFile->GetFilePath().GetString() : nullptr);
        } catch (const xsock::FileException& e) {
            AfxThrowFileException(e.m_cause, e.m_lOsError, CString(e.m_strFileName.c_str()));
        }
    }
};

inline void CObject::Serialize(xsock::Archive& ar) {
    Serialize(CArchive::From(ar));
}

namespace xsock::mfc {

// The code page of the CArchive behind a core archive; UTF-8 for any other.
inline UINT CodePageOf(const xsock::Archive& ar) {
    return LiveArchives::Contains(&ar) ? static_cast<const CArchive&>(ar).GetCodePage() : CP_UTF8;
}

template <class C>
xsock::Archive& operator<<(xsock::Archive& ar, const CStringT<C>& text) {
    StoreText(ar, text, CodePageOf(ar));
    return ar;
}
template <class C>
xsock::Archive& operator>>(xsock::Archive& ar, CStringT<C>& text) {
    LoadText(ar, text, CodePageOf(ar));
    return ar;
}

}  // namespace xsock::mfc

inline bool CArchive::ReadUnit(char16_t& unit) {
    BYTE bytes[2];
    if (Core().Read(bytes, 2) != 2) {
        return false;  // an odd last byte is lost, as MFC's 2-byte read loses it
    }
    unit = static_cast<char16_t>(bytes[0] | (bytes[1] << 8));
    return true;
}

// One line's units by MFC's rule; false when nothing was left. It stops once
// `room` units are kept (finishing a surrogate pair), leaving the rest.
inline bool CArchive::ReadLineUnits(std::u16string& units, std::size_t room) {
    bool any = false;
    for (char16_t unit = 0; units.size() < room && ReadUnit(unit);) {
        any = true;
        if (unit == u'\r' || unit == u'\n') {
            if (unit == u'\r' && ReadUnit(unit) && unit != u'\n') {
                units += unit;
            }
            break;
        }
        units += unit;
        if (unit >= 0xD800 && unit < 0xDC00 && units.size() == room && ReadUnit(unit)) {
            units += unit;
        }
    }
    return any;
}

inline BOOL CArchive::ReadString(CStringW& line) {
    return Guard([&] {
        std::u16string units;
        const auto limit = static_cast<std::size_t>(
            std::min<std::uint64_t>(GetLimits().maxStringLength, SIZE_MAX - 1));
        const bool any = ReadLineUnits(units, limit + 1);
        if (units.size() > limit) {
            throw xsock::ArchiveException(xsock::ArchiveException::limitExceeded,
                                          "a text line is longer than maxStringLength");
        }
        line.Str() = xsock::detail::Utf16ToWide(units);
        return any;
    });
}

inline LPWSTR CArchive::ReadString(LPWSTR buffer, UINT max) {
    return Guard([&]() -> LPWSTR {
        std::u16string units;
        if (buffer == nullptr || max == 0 || !ReadLineUnits(units, max - 1)) {
            return nullptr;
        }
        // A malformed pair can make one unit more than fits; it is dropped.
        const std::wstring wide = xsock::detail::Utf16ToWide(units);
        const std::size_t length = std::min<std::size_t>(wide.size(), max - 1);
        std::char_traits<wchar_t>::copy(buffer, wide.data(), length);
        buffer[length] = L'\0';
        return buffer;
    });
}

inline void CArchive::WriteString(LPCWSTR text) {
    Guard([&] {
        const std::u16string units = xsock::detail::Utf8ToUtf16(xsock::mfc::Narrow(text));
        std::string bytes;
        bytes.reserve(units.size() * 2);
        for (const char16_t unit : units) {
            bytes += static_cast<char>(unit & 0xFF);
            bytes += static_cast<char>(unit >> 8);
        }
        Core().Write(bytes.data(), bytes.size());
    });
}
