#include <xsock/ArchiveException.h>

namespace xsock {

namespace {

std::string Describe(ArchiveException::Cause cause, const std::string& detail) {
    std::string text = "archive: ";
    text += ArchiveException::CauseName(cause);
    if (!detail.empty()) {
        text += ": ";
        text += detail;
    }
    return text;
}

}  // namespace

ArchiveException::ArchiveException(Cause cause, const std::string& detail)
    : std::runtime_error(Describe(cause, detail)), m_cause(cause) {}

const char* ArchiveException::CauseName(Cause cause) noexcept {
    switch (cause) {
        case none:
            return "no error";
        case genericException:
            return "unspecified error";
        case readOnly:
            return "store into an archive opened for loading";
        case endOfFile:
            return "unexpected end of file";
        case writeOnly:
            return "load from an archive opened for storing";
        case badIndex:
            return "invalid object or class index";
        case badClass:
            return "unknown class or wrong derivation";
        case badSchema:
            return "unsupported schema";
        case limitExceeded:
            return "limit exceeded";
    }
    return "unknown cause";
}

}  // namespace xsock
