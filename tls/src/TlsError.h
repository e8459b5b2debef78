// The codes of TlsCategory(): xsock's own reasons, X.509 verification results
// and OpenSSL's packed error codes, each with the message that says why.
#pragma once

#include <system_error>

namespace xsock::tls {

enum class Reason {
    HandshakeTimedOut = 1,
    PinMismatch = 2,
    ClosedDuringHandshake = 3,
    NoPeerCertificate = 4,
};

// X.509 verification results are kX509Base + X509_V_ERR_*.
inline constexpr int kX509Base = 1000;

std::error_code MakeError(Reason reason) noexcept;
std::error_code X509Error(long verifyResult) noexcept;
// The last error on OpenSSL's queue for this thread (clearing it), or
// `fallback` if the queue is empty.
std::error_code OpenSslError(Reason fallback) noexcept;

}  // namespace xsock::tls
