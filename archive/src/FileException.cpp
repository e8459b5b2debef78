#include <xsock/FileException.h>

#include <cerrno>

namespace xsock {

namespace {

std::string Describe(const std::string& fileName, const std::string& detail) {
    std::string text = "file";
    if (!fileName.empty()) {
        text += " '" + fileName + "'";
    }
    if (!detail.empty()) {
        text += ": " + detail;
    }
    return text;
}

}  // namespace

FileException::FileException(Cause cause, int osError, const std::string& fileName,
                             const std::string& detail)
    : std::system_error(osError, std::generic_category(), Describe(fileName, detail)),
      m_cause(cause),
      m_lOsError(osError),
      m_strFileName(fileName) {}

FileException::Cause FileException::CauseFromErrno(int osError) noexcept {
    switch (osError) {
        case 0:
            return none;
        case ENOENT:
            return fileNotFound;
        case ENOTDIR:
        case ENAMETOOLONG:
        case ELOOP:
            return badPath;
        case EMFILE:
        case ENFILE:
            return tooManyOpenFiles;
        case EACCES:
        case EPERM:
        case EROFS:
        case EISDIR:
            return accessDenied;
        case EBADF:
            return invalidFile;
        case EBUSY:
            return sharingViolation;
        case EDEADLK:
            return lockViolation;
        case ESPIPE:
        case EOVERFLOW:
            return badSeek;
        case EIO:
            return hardIO;
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
            return diskFull;
        default:
            return genericException;
    }
}

void FileException::ThrowErrno(int osError, const std::string& fileName,
                               const std::string& detail) {
    throw FileException(CauseFromErrno(osError), osError, fileName, detail);
}

}  // namespace xsock
