// CFile and CMemFile: MFC's file classes over xsock::DiskFile and
// xsock::MemFile.
//
// The members keep MFC's signatures (UINT counts, Seek(LONGLONG, UINT),
// Open(LPCTSTR, UINT, CFileException*)) and are virtual as in MFC, so a port's
// own CFile subclass keeps its overrides. Errors are thrown as CFileException*
// (the core's FileException with its cause, errno and name); Read returns
// fewer bytes than asked only at the end of the file. Beyond MFC: CanSeek()
// tells an archive whether unread bytes can be given back (false for
// CSocketFile). CFile(LPCTSTR, UINT) throws when the file cannot be opened.
// Thread safety: one object belongs to one thread at a time.
#pragma once

#include "Exception.h"

#include <xsock/File.h>

#include <cstdio>
#include <limits>
#include <memory>
#include <utility>

class CFile : public CObject {
    DECLARE_DYNAMIC(CFile)
  public:
    enum OpenFlags : UINT {
        modeRead = xsock::File::modeRead,
        modeWrite = xsock::File::modeWrite,
        modeReadWrite = xsock::File::modeReadWrite,
        shareCompat = xsock::File::shareCompat,
        shareExclusive = xsock::File::shareExclusive,
        shareDenyWrite = xsock::File::shareDenyWrite,
        shareDenyRead = xsock::File::shareDenyRead,
        shareDenyNone = xsock::File::shareDenyNone,
        modeNoInherit = xsock::File::modeNoInherit,
        modeCreate = xsock::File::modeCreate,
        modeNoTruncate = xsock::File::modeNoTruncate,
        typeText = xsock::File::typeText,
        typeBinary = xsock::File::typeBinary,
    };
    enum SeekPosition : UINT { begin = 0x0, current = 0x1, end = 0x2 };

    CFile() = default;
    CFile(LPCTSTR fileName, UINT openFlags) {
        CFileException error;
        if (!Open(fileName, openFlags, &error)) {
            AfxThrowFileException(error.m_cause, error.m_lOsError, error.m_strFileName);
        }
    }
    ~CFile() override = default;

    virtual BOOL Open(LPCTSTR fileName, UINT openFlags, CFileException* error = nullptr) {
        xsock::FileException failure(xsock::FileException::none, 0);
        if (disk_.Open(xsock::mfc::Narrow(fileName).c_str(), openFlags, &failure)) {
            return TRUE;
        }
        if (error != nullptr) {
            error->m_cause = failure.m_cause;
            error->m_lOsError = failure.m_lOsError;
            error->m_strFileName = fileName;
        }
        return FALSE;
    }

    virtual UINT Read(void* buffer, UINT count) {
        return static_cast<UINT>(Translate([&] { return disk_.Read(buffer, count); }));
    }
    virtual void Write(const void* buffer, UINT count) {
        Translate([&] { disk_.Write(buffer, count); });
    }
    virtual ULONGLONG Seek(LONGLONG offset, UINT from) {
        return Translate(
            [&] { return disk_.Seek(offset, static_cast<xsock::File::SeekPosition>(from)); });
    }
    void SeekToBegin() { Seek(0, begin); }
    ULONGLONG SeekToEnd() { return Seek(0, end); }
    virtual ULONGLONG GetPosition() const {
        return Translate([&] { return disk_.GetPosition(); });
    }
    virtual ULONGLONG GetLength() const {
        return Translate([&] { return disk_.GetLength(); });
    }
    virtual void SetLength(ULONGLONG length) {
        Translate([&] { disk_.SetLength(length); });
    }
    virtual void Flush() {
        Translate([&] { disk_.Flush(); });
    }
    virtual void Close() {
        Translate([&] { disk_.Close(); });
    }
    virtual void Abort() { disk_.Abort(); }
    virtual CString GetFilePath() const { return CString(disk_.GetFilePath().c_str()); }
    virtual CString GetFileName() const {
        const CString path = GetFilePath();
        return path.Mid(path.ReverseFind(_T('/')) + 1);
    }
    // Beyond MFC: whether the file can position itself.
    virtual bool CanSeek() const { return true; }

    static void Remove(LPCTSTR fileName) {
        if (std::remove(xsock::mfc::Narrow(fileName).c_str()) != 0) {
            AfxThrowFileException(CFileException::ErrnoToException(errno), errno, fileName);
        }
    }
    static void Rename(LPCTSTR oldName, LPCTSTR newName) {
        if (std::rename(xsock::mfc::Narrow(oldName).c_str(), xsock::mfc::Narrow(newName).c_str()) !=
            0) {
            AfxThrowFileException(CFileException::ErrnoToException(errno), errno, oldName);
        }
    }

  protected:
    // Runs a call on the core and turns its FileException into MFC's pointer.
    template <class Call>
    static auto Translate(Call&& call) -> decltype(call()) {
        try {
            return std::forward<Call>(call)();
        } catch (const xsock::FileException& e) {
            AfxThrowFileException(e.m_cause, e.m_lOsError, CString(e.m_strFileName.c_str()));
        }
    }

  private:
    xsock::DiskFile disk_;
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CFile, CObject)

class CMemFile : public CFile {
    DECLARE_DYNAMIC(CMemFile)
  public:
    explicit CMemFile(UINT growBytes = 1024) : mem_(growBytes) {}
    // Over the caller's buffer: growBytes 0 is a fixed file holding the
    // buffer's bytes, otherwise it starts empty and grows into its own memory.
    CMemFile(BYTE* buffer, UINT bufferSize, UINT growBytes = 0)
        : mem_(buffer, bufferSize, growBytes) {}

    BOOL Open(LPCTSTR, UINT, CFileException* = nullptr) override { return FALSE; }
    UINT Read(void* buffer, UINT count) override {
        return static_cast<UINT>(Translate([&] { return mem_.Read(buffer, count); }));
    }
    void Write(const void* buffer, UINT count) override {
        Translate([&] { mem_.Write(buffer, count); });
    }
    ULONGLONG Seek(LONGLONG offset, UINT from) override {
        return Translate(
            [&] { return mem_.Seek(offset, static_cast<xsock::File::SeekPosition>(from)); });
    }
    ULONGLONG GetPosition() const override { return mem_.GetPosition(); }
    ULONGLONG GetLength() const override { return mem_.GetLength(); }
    void SetLength(ULONGLONG length) override {
        Translate([&] { mem_.SetLength(length); });
    }
    void Flush() override {}
    void Close() override { mem_.Close(); }
    void Abort() override { mem_.Close(); }
    CString GetFilePath() const override { return {}; }

    // Beyond MFC: the bytes, without detaching them.
    const BYTE* GetData() const noexcept {
        return reinterpret_cast<const BYTE*>(mem_.Contents().data());
    }

  private:
    xsock::MemFile mem_;
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CMemFile, CFile)

namespace xsock::mfc {

// The core's File interface over a CFile, for the archive underneath CArchive:
// the CFile's CFileException* becomes the core's FileException and back.
class FileBridge : public xsock::File {
  public:
    explicit FileBridge(CFile* file) noexcept : file_(file) {}

    std::size_t Read(void* buffer, std::size_t count) override {
        const auto n =
            static_cast<UINT>(std::min<std::size_t>(count, std::numeric_limits<UINT>::max()));
        return Call([&] { return file_->Read(buffer, n); });
    }
    void Write(const void* buffer, std::size_t count) override {
        const auto* bytes = static_cast<const BYTE*>(buffer);
        while (count != 0) {
            const auto n =
                static_cast<UINT>(std::min<std::size_t>(count, std::numeric_limits<UINT>::max()));
            Call([&] { file_->Write(bytes, n); });
            bytes += n;
            count -= n;
        }
    }
    void Flush() override {
        Call([&] { file_->Flush(); });
    }
    void Close() override {}
    void Abort() noexcept override {}
    bool CanSeek() const noexcept override { return file_->CanSeek(); }
    std::uint64_t Seek(std::int64_t offset, SeekPosition from) override {
        return Call([&] { return file_->Seek(offset, from); });
    }
    std::uint64_t GetPosition() const override {
        return Call([&] { return file_->GetPosition(); });
    }
    std::uint64_t GetLength() const override {
        return Call([&] { return file_->GetLength(); });
    }

  private:
    template <class Body>
    static auto Call(Body&& body) -> decltype(body()) {
        try {
            return std::forward<Body>(body)();
        } catch (CFileException* e) {
            const xsock::FileException copy(static_cast<xsock::FileException::Cause>(e->m_cause),
                                            e->m_lOsError > 0 ? e->m_lOsError : 0,
                                            Narrow(e->m_strFileName.GetString()));
            e->Delete();
            throw copy;
        }
    }

    CFile* file_;
};

}  // namespace xsock::mfc
