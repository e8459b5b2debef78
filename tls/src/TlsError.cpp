#include "TlsError.h"

#include <xsock/Tls.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <string>

namespace xsock {

namespace {

class TlsErrorCategory final : public std::error_category {
  public:
    const char* name() const noexcept override { return "tls"; }
    std::string message(int code) const override {
        switch (static_cast<tls::Reason>(code)) {
            case tls::Reason::HandshakeTimedOut:
                return "TLS handshake did not finish in time";
            case tls::Reason::PinMismatch:
                return "TLS peer's public key does not match the pinned key";
            case tls::Reason::ClosedDuringHandshake:
                return "TLS peer closed the connection during the handshake";
            case tls::Reason::NoPeerCertificate:
                return "TLS peer sent no certificate";
        }
        if (code >= tls::kX509Base && code < tls::kX509Base + 1000) {
            return std::string("TLS certificate verification failed: ") +
                   X509_verify_cert_error_string(code - tls::kX509Base);
        }
        char text[256];
        ERR_error_string_n(static_cast<unsigned long>(code), text, sizeof text);
        return std::string("TLS: ") + text;
    }
    std::error_condition default_error_condition(int) const noexcept override {
        return {EPROTO, std::generic_category()};
    }
};

}  // namespace

const std::error_category& TlsCategory() noexcept {
    static const TlsErrorCategory category;
    return category;
}

namespace tls {

std::error_code MakeError(Reason reason) noexcept {
    return {static_cast<int>(reason), TlsCategory()};
}

std::error_code X509Error(long verifyResult) noexcept {
    return {kX509Base + static_cast<int>(verifyResult), TlsCategory()};
}

std::error_code OpenSslError(Reason fallback) noexcept {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0 || code > 0x7fffffffUL) {
        return MakeError(fallback);
    }
    return {static_cast<int>(code), TlsCategory()};
}

}  // namespace tls
}  // namespace xsock
