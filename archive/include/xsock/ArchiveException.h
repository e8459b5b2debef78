// ArchiveException: the error an Archive throws, MFC's CArchiveException.
//
// Archives report every failure by throwing: a truncated or corrupt stream, a
// hostile length, an unknown class, a schema the reader does not know. The
// public m_cause keeps MFC's name and values so ported catch blocks read the
// same. Thread safety: an exception object is a plain value.
#pragma once

#include <stdexcept>
#include <string>

#include <xsock/ArchiveExport.h>

namespace xsock {

class XSOCK_ARCHIVE_EXPORT ArchiveException : public std::runtime_error {
  public:
    enum Cause {
        none,
        genericException,
        readOnly,
        endOfFile,
        writeOnly,
        badIndex,
        badClass,
        badSchema,
        limitExceeded,  // beyond MFC: a per-archive limit refused hostile input
    };

    explicit ArchiveException(Cause cause, const std::string& detail = {});

    static const char* CauseName(Cause cause) noexcept;

    Cause m_cause;
};

}  // namespace xsock
