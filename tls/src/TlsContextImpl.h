// What a TlsContext holds, shared with every connection made from it so the
// context may go away before its connections do.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace xsock::tls {

struct CtxDeleter {
    void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

struct SessionDeleter {
    void operator()(SSL_SESSION* session) const noexcept { SSL_SESSION_free(session); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionDeleter>;

using Fingerprint = std::array<unsigned char, 32>;

struct ContextState {
    CtxPtr ctx;
    bool server = false;
    std::vector<Fingerprint> pins;
    std::chrono::milliseconds handshakeTimeout{10000};
    std::vector<unsigned char> alpn;  // the wire form: length-prefixed names
    std::vector<std::pair<std::string, CtxPtr>> serverNames;
    bool resumption = true;
    bool anyCertificate = false;  // AcceptAnyCertificate: the application decides
    // Client sessions by peer name, for resumption. Connections on any thread
    // store and take them.
    mutable std::mutex sessionsMutex;
    mutable std::map<std::string, SessionPtr> sessions;
};

// The SSL ex_data slot that leads from an SSL to its TlsFilter.
int FilterIndex();

// SHA-256 of a certificate's SubjectPublicKeyInfo.
bool KeyFingerprint(X509* certificate, Fingerprint& out);

}  // namespace xsock::tls
