// FileException: the error a File throws, MFC's CFileException.
//
// Every File reports failures by throwing one: the operating system's errno is
// kept as the std::system_error code (code().value() == m_lOsError), and the
// public m_cause, m_lOsError and m_strFileName keep MFC's names so ported catch
// blocks read the same. Files never report end of file by exception: Read
// returns fewer bytes instead, as CFile::Read does. Thread safety: an exception
// object is a plain value.
#pragma once

#include <string>
#include <system_error>

#include <xsock/ArchiveExport.h>

namespace xsock {

class XSOCK_ARCHIVE_EXPORT FileException : public std::system_error {
  public:
    enum Cause {
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

    // osError is an errno value (0 when the failure has no system cause).
    FileException(Cause cause, int osError, const std::string& fileName = {},
                  const std::string& detail = {});

    // The cause MFC would report for an errno value (ENOENT -> fileNotFound, ...).
    static Cause CauseFromErrno(int osError) noexcept;

    // Throws the FileException that errno value calls for.
    [[noreturn]] static void ThrowErrno(int osError, const std::string& fileName = {},
                                        const std::string& detail = {});

    Cause m_cause;
    int m_lOsError;
    std::string m_strFileName;
};

}  // namespace xsock
