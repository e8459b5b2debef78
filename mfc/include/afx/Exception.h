// CException, CArchiveException, CFileException and CInvalidArgException, thrown as pointers the
// catcher deletes with Delete(), and MFC's TRY/CATCH macros.
//
// The core throws xsock::ArchiveException and xsock::FileException by value;
// the layer's CArchive and CFile classes turn them into `new CArchiveException`
// and `new CFileException` with the same cause, so `catch (CException* e)` and
// CATCH(CArchiveException, e) see what MFC code expects. The causes keep MFC's
// names and values; CArchiveException also has limitExceeded, the core's
// refusal of hostile input. TRY/CATCH delete the exception at the end of the
// CATCH block unless THROW_LAST rethrew it; calling e->Delete() inside the
// block as well is safe. Thread safety: exceptions are plain objects.
#pragma once

#include "Object.h"
#include "String.h"

#include <xsock/ArchiveException.h>
#include <xsock/FileException.h>

#include <cstring>

class CException : public CObject {
    DECLARE_DYNAMIC(CException)
  public:
    explicit CException(BOOL autoDelete = TRUE) : m_bAutoDelete(autoDelete) {}
    ~CException() override = default;

    // Frees an exception thrown with new (what the layer throws).
    void Delete();
    virtual BOOL GetErrorMessage(LPTSTR error, UINT maxError, PUINT helpContext = nullptr) const {
        if (helpContext != nullptr) {
            *helpContext = 0;
        }
        return Copy(Describe(), error, maxError);
    }
    // MFC shows a message box; here the message goes to stderr.
    virtual int ReportError(UINT type = MB_OK, UINT /*messageId*/ = 0) const {
        return AfxMessageBox(Describe().GetString(), type);
    }

    BOOL m_bAutoDelete;

  protected:
    virtual CString Describe() const { return _T("an exception occurred"); }
    static BOOL Copy(const CString& text, LPTSTR error, UINT maxError) {
        if (error == nullptr || maxError == 0) {
            return FALSE;
        }
        const auto n =
            std::min<std::size_t>(static_cast<std::size_t>(text.GetLength()), maxError - 1);
        std::char_traits<TCHAR>::copy(error, text.GetString(), n);
        error[n] = 0;
        return TRUE;
    }
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CException, CObject)

class CArchiveException : public CException {
    DECLARE_DYNAMIC(CArchiveException)
  public:
    enum {
        none = xsock::ArchiveException::none,
        genericException = xsock::ArchiveException::genericException,
        readOnly = xsock::ArchiveException::readOnly,
        endOfFile = xsock::ArchiveException::endOfFile,
        writeOnly = xsock::ArchiveException::writeOnly,
        badIndex = xsock::ArchiveException::badIndex,
        badClass = xsock::ArchiveException::badClass,
        badSchema = xsock::ArchiveException::badSchema,
        limitExceeded = xsock::ArchiveException::limitExceeded,
    };

    explicit CArchiveException(int cause = none, LPCTSTR archiveName = nullptr)
        : m_cause(cause), m_strFileName(archiveName) {}

    int m_cause;
    CString m_strFileName;

  protected:
    CString Describe() const override {
        return CString(xsock::ArchiveException::CauseName(
            static_cast<xsock::ArchiveException::Cause>(m_cause)));
    }
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CArchiveException, CException)

// MFC's CInvalidArgException: a member refused its argument (CTime of a
// date it cannot hold, a CTimeSpan too long for its archive form).
class CInvalidArgException : public CException {
    DECLARE_DYNAMIC(CInvalidArgException)
  protected:
    CString Describe() const override { return _T("an invalid argument was given"); }
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CInvalidArgException, CException)

class CFileException : public CException {
    DECLARE_DYNAMIC(CFileException)
  public:
    enum {
        none,
        genericException,
        fileNotFound,
        badPath,
        tooManyOpenFiles,
        accessDenied,
        invalidFile,
        removeCurrentDir,
        directoryFull,
        badSeek,
        hardIO,
        sharingViolation,
        lockViolation,
        diskFull,
        endOfFile,
    };

    // lOsError is an errno value here (Windows has its own error numbers).
    explicit CFileException(int cause = none, LONG osError = -1, LPCTSTR fileName = nullptr)
        : m_cause(cause), m_lOsError(osError), m_strFileName(fileName) {}

    static int ErrnoToException(int error) { return xsock::FileException::CauseFromErrno(error); }
    static int OsErrorToException(LONG error) { return ErrnoToException(error); }

    int m_cause;
    LONG m_lOsError;
    CString m_strFileName;

  protected:
    CString Describe() const override {
        CString text(std::strerror(m_lOsError > 0 ? m_lOsError : 0));
        if (!m_strFileName.IsEmpty()) {
            text += _T(": ");
            text += m_strFileName;
        }
        return text;
    }
};
AFX_IMPLEMENT_DYNAMIC_INLINE(CFileException, CException)

namespace xsock::mfc {

// The innermost TRY block of this thread, so Delete() inside a CATCH block
// keeps the block from deleting the exception a second time.
class ExceptionLink {
  public:
    ExceptionLink() noexcept : outer_(Top()) { Top() = this; }
    ~ExceptionLink() {
        Top() = outer_;
        if (m_pException != nullptr) {
            CException* pending = m_pException;
            m_pException = nullptr;
            pending->Delete();
        }
    }
    ExceptionLink(const ExceptionLink&) = delete;
    ExceptionLink& operator=(const ExceptionLink&) = delete;

    static void Forget(const CException* exception) noexcept {
        for (ExceptionLink* link = Top(); link != nullptr; link = link->outer_) {
            if (link->m_pException == exception) {
                link->m_pException = nullptr;
            }
        }
    }
    static ExceptionLink*& Top() noexcept {
        thread_local ExceptionLink* top = nullptr;
        return top;
    }

    CException* m_pException = nullptr;

  private:
    ExceptionLink* outer_;
};

}  // namespace xsock::mfc

inline void CException::Delete() {
    xsock::mfc::ExceptionLink::Forget(this);
    if (m_bAutoDelete) {
        delete this;
    }
}

[[noreturn]] inline void AfxThrowArchiveException(int cause, LPCTSTR archiveName = nullptr) {
    throw std::make_unique<CArchiveException>(cause, archiveName).release();
}
[[noreturn]] inline void AfxThrowFileException(int cause, LONG osError = -1,
                                               LPCTSTR fileName = nullptr) {
    throw std::make_unique<CFileException>(cause, osError, fileName).release();
}

[[noreturn]] inline void AfxThrowInvalidArgException() {
    throw std::make_unique<CInvalidArgException>().release();
}

#define TRY                                            \
    {                                                  \
        ::xsock::mfc::ExceptionLink _afxExceptionLink; \
        try {
#define CATCH(class_name, e) \
    }                        \
    catch (class_name * e) { \
        _afxExceptionLink.m_pException = e;
#define AND_CATCH(class_name, e) \
    }                            \
    catch (class_name * e) {     \
        _afxExceptionLink.m_pException = e;
#define END_CATCH \
    }             \
    }
#define CATCH_ALL(e) CATCH(CException, e)
#define AND_CATCH_ALL(e) AND_CATCH(CException, e)
#define END_CATCH_ALL END_CATCH
#define THROW(e) throw e
#define THROW_LAST() (_afxExceptionLink.m_pException = nullptr, throw)
