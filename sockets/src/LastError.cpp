#include "LastError.h"

#include <xsock/AsyncSocket.h>

#include <netdb.h>

#include <cerrno>
#include <string>

namespace xsock::detail {

namespace {

thread_local std::error_code t_lastError;

class ResolverErrorCategory final : public std::error_category {
  public:
    const char* name() const noexcept override { return "resolver"; }
    std::string message(int code) const override { return ::gai_strerror(code); }
    std::error_condition default_error_condition(int code) const noexcept override {
        return std::generic_category().default_error_condition(ResolverErrno(code));
    }
};

}  // namespace

void SetLastError(int posixError) noexcept {
    t_lastError = std::error_code(posixError, std::generic_category());
}

void SetLastError(std::error_code code) noexcept {
    t_lastError = code;
}

std::error_code LastError() noexcept {
    return t_lastError;
}

const std::error_category& ResolverCategory() noexcept {
    static const ResolverErrorCategory category;
    return category;
}

std::error_code MakeResolverError(int eaiCode) noexcept {
    if (eaiCode == EAI_SYSTEM) {
        return {errno, std::generic_category()};
    }
    return {eaiCode, ResolverCategory()};
}

int ResolverErrno(int eaiCode) noexcept {
    switch (eaiCode) {
        case EAI_AGAIN:
            return EAGAIN;
        case EAI_MEMORY:
            return ENOMEM;
        case EAI_FAMILY:
        case EAI_ADDRFAMILY:
            return EAFNOSUPPORT;
        case EAI_SOCKTYPE:
            return ESOCKTNOSUPPORT;
        case EAI_SERVICE:
        case EAI_BADFLAGS:
            return EINVAL;
        default:
            return EHOSTUNREACH;  // EAI_NONAME, EAI_NODATA, EAI_FAIL: no such host
    }
}

}  // namespace xsock::detail

namespace xsock {

int AsyncSocket::GetLastError() noexcept {
    std::error_code code = detail::LastError();
    if (code.category() == detail::ResolverCategory()) {
        return detail::ResolverErrno(code.value());
    }
    if (code.category() != std::generic_category() && code.category() != std::system_category()) {
        // Another library's reason (a TLS failure): the errno it stands for.
        std::error_condition condition = code.default_error_condition();
        return condition.category() == std::generic_category() ? condition.value() : EPROTO;
    }
    return code.value();
}

std::error_code AsyncSocket::GetLastErrorCode() noexcept {
    return detail::LastError();
}

void AsyncSocket::SetLastError(std::error_code code) noexcept {
    detail::SetLastError(code);
}

}  // namespace xsock
