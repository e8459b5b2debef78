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
// Close, Abort and ReadString/WriteString (narrow text lines) keep MFC's
// meaning.
//
// Errors: every failure is thrown as MFC does, a CArchiveException* (format,
// end of data, limits) or a CFileException* (the file), allocated with new and
// freed by the catcher with Delete(). Thread safety: an archive and its file
// belong to one thread at a time.
#pragma once

#include "File.h"

#include <xsock/Archive.h>

#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_set>

namespace xsock::mfc {

// CStrings travel as the core's narrow or wide strings.
template <class C>
xsock::Archive& operator<<(xsock::Archive& ar, const CStringT<C>& text) {
    return ar << text.Str();
}
template <class C>
xsock::Archive& operator>>(xsock::Archive& ar, CStringT<C>& text) {
    return ar >> text.Str();
}

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

    template <class T>
    CArchive& operator<<(const T& value) {
        Guard([&] { Core() << value; });
        return *this;
    }
    template <class T>
    CArchive& operator>>(T& value) {
        Guard([&] { Core() >> value; });
        return *this;
    }
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

    // A line without its "\n" (and a "\r" before it); FALSE at the end.
    BOOL ReadString(CStringA& line) {
        return Guard([&] { return Core().ReadString(line.Str()); });
    }
    LPSTR ReadString(LPSTR buffer, UINT max) {
        return Guard([&] { return Core().ReadString(buffer, max); });
    }
    void WriteString(LPCSTR text) {
        Guard([&] { Core().WriteString(text != nullptr ? text : ""); });
    }

    CFile* m_pFile;

  private:
    xsock::Archive& Core() noexcept { return *this; }

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
