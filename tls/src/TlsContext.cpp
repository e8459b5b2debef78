// TlsContext (OpenSSL's SSL_CTX with xsock's defaults and callbacks) and
// StartTls.
#include <xsock/Tls.h>

#include "TlsContextImpl.h"
#include "TlsError.h"
#include "TlsFilter.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace xsock {

struct TlsContext::Impl : tls::ContextState {};

namespace tls {

int FilterIndex() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}
}  // namespace tls

namespace {

using tls::ContextState;
using tls::Fingerprint;
using tls::TlsFilter;

[[noreturn]] void Throw(const char* what) {
    throw std::system_error(tls::OpenSslError(tls::Reason::NoPeerCertificate), what);
}

bool Fail(std::error_code error) {
    AsyncSocket::SetLastError(error);
    return false;
}

// With pins, the pin decides: the chain and the name do not matter, and a key
// that does not match is refused whatever vouches for it.
int Verify(int ok, X509_STORE_CTX* store) {
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* filter = static_cast<TlsFilter*>(SSL_get_ex_data(ssl, tls::FilterIndex()));
    if (filter == nullptr) {
        return ok;
    }
    if (filter->Context().pins.empty()) {
        return filter->Context().anyCertificate ? 1 : ok;
    }
    if (X509_STORE_CTX_get_error_depth(store) > 0) {
        return 1;
    }
    Fingerprint key{};
    if (tls::KeyFingerprint(X509_STORE_CTX_get_current_cert(store), key)) {
        for (const Fingerprint& pin : filter->Context().pins) {
            if (pin == key) {
                filter->SetPinMatched();
                X509_STORE_CTX_set_error(store, X509_V_OK);
                return 1;
            }
        }
    }
    filter->SetPinMismatch();
    return 0;
}

int NewSession(SSL* ssl, SSL_SESSION* session) {
    auto* filter = static_cast<TlsFilter*>(SSL_get_ex_data(ssl, tls::FilterIndex()));
    if (filter == nullptr || filter->PeerName().empty()) {
        return 0;
    }
    const ContextState& state = filter->Context();
    if (!state.resumption) {
        return 0;  // nothing keeps it: OpenSSL frees it
    }
    std::lock_guard<std::mutex> lock(state.sessionsMutex);
    state.sessions[filter->PeerName()].reset(session);
    return 1;  // the cache keeps the reference
}

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outLength, const unsigned char* in,
               unsigned inLength, void* arg) {
    const auto* state = static_cast<const ContextState*>(arg);
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, outLength, state->alpn.data(),
                              static_cast<unsigned>(state->alpn.size()), in,
                              inLength) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

bool NameMatches(const std::string& pattern, const char* name) {
    if (pattern.rfind("*.", 0) == 0) {
        const char* dot = std::strchr(name, '.');
        return dot != nullptr && dot != name && ::strcasecmp(dot + 1, pattern.c_str() + 2) == 0;
    }
    return ::strcasecmp(pattern.c_str(), name) == 0;
}

int ChooseCertificate(SSL* ssl, int*, void* arg) {
    const auto* state = static_cast<const ContextState*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) {
        return SSL_TLSEXT_ERR_OK;
    }
    for (const auto& [pattern, ctx] : state->serverNames) {
        if (NameMatches(pattern, name)) {
            SSL_set_SSL_CTX(ssl, ctx.get());
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

tls::CtxPtr NewCtx(const SSL_METHOD* method) {
    tls::CtxPtr ctx(SSL_CTX_new(method));
    if (!ctx) {
        Throw("TlsContext: cannot create an OpenSSL context");
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_read_ahead(ctx.get(), 1);
    return ctx;
}

// A server that knows its clients by key (pins, AcceptAnyCertificate) takes a
// Certificate message of at most this, not OpenSSL's 100 KiB: OpenSSL parses
// every certificate in it, decoding each one's key (some 0.15 ms apiece, 40
// ms for 100 KiB of small ones), and any stranger can make the server do that
// at every connect. Only the first certificate's key counts here.
constexpr long kMaxKeyedCertificateList = 16384;

bool LoadChain(SSL_CTX* ctx, const char* certificateFile, const char* keyFile) {
    ERR_clear_error();
    return SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1 &&
           SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
}

bool IsAddress(const char* name) {
    unsigned char buffer[16];
    return ::inet_pton(AF_INET, name, buffer) == 1 || ::inet_pton(AF_INET6, name, buffer) == 1;
}

}  // namespace

TlsContext::TlsContext(std::shared_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
TlsContext::TlsContext(TlsContext&&) noexcept = default;
TlsContext& TlsContext::operator=(TlsContext&&) noexcept = default;
TlsContext::~TlsContext() = default;

TlsContext TlsContext::Client() {
    auto impl = std::make_shared<Impl>();
    impl->ctx = NewCtx(TLS_client_method());
    SSL_CTX* ctx = impl->ctx.get();
    SSL_CTX_set_default_verify_paths(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, Verify);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, NewSession);
    return TlsContext(std::move(impl));
}

TlsContext TlsContext::Server(const char* certificateFile, const char* keyFile) {
    auto impl = std::make_shared<Impl>();
    impl->server = true;
    impl->ctx = NewCtx(TLS_server_method());
    SSL_CTX* ctx = impl->ctx.get();
    if (!LoadChain(ctx, certificateFile, keyFile)) {
        Throw("TlsContext::Server: cannot load the certificate or key");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, Verify);
    static const unsigned char kSessionContext[] = "xsock";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_tlsext_servername_callback(ctx, ChooseCertificate);
    SSL_CTX_set_tlsext_servername_arg(ctx, impl.get());
    return TlsContext(std::move(impl));
}

bool TlsContext::IsServer() const noexcept {
    return impl_ && impl_->server;
}

bool TlsContext::AddCertificateAuthority(const char* pemFile) {
    ERR_clear_error();
    if (!impl_ || SSL_CTX_load_verify_locations(impl_->ctx.get(), pemFile, nullptr) != 1) {
        return Fail(tls::OpenSslError(tls::Reason::NoPeerCertificate));
    }
    if (impl_->server) {
        SSL_CTX_set_client_CA_list(impl_->ctx.get(), SSL_load_client_CA_file(pemFile));
    }
    return true;
}

void TlsContext::PinPeer(std::string sha256OfPublicKeyHex) {
    Fingerprint pin{};  // all zeros, which no key hashes to, if the text is not a pin
    const std::string text = std::move(sha256OfPublicKeyHex);
    std::string digits;
    for (char c : text) {
        if (std::isxdigit(static_cast<unsigned char>(c))) {
            digits += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (c != ':') {
            digits.clear();
            break;
        }
    }
    if (digits.size() == pin.size() * 2) {
        for (std::size_t i = 0; i < pin.size(); ++i) {
            pin[i] = static_cast<unsigned char>(std::stoi(digits.substr(i * 2, 2), nullptr, 16));
        }
    }
    impl_->pins.push_back(pin);
    if (impl_->server) {
        SSL_CTX_set_verify(impl_->ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           Verify);
        SSL_CTX_set_max_cert_list(impl_->ctx.get(), kMaxKeyedCertificateList);
    }
}

void TlsContext::AcceptAnyCertificate() {
    impl_->anyCertificate = true;
    if (impl_->server) {
        SSL_CTX_set_verify(impl_->ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           Verify);
        SSL_CTX_set_max_cert_list(impl_->ctx.get(), kMaxKeyedCertificateList);
    }
}

void TlsContext::SetHandshakeTimeout(std::chrono::milliseconds timeout) noexcept {
    impl_->handshakeTimeout = timeout;
}

void TlsContext::SetReadBufferSize(std::size_t bytes) noexcept {
    // OpenSSL keeps its default for anything below a record.
    SSL_CTX_set_default_read_buffer_len(impl_->ctx.get(), bytes);
}

bool TlsContext::UseCertificate(const char* certificateFile, const char* keyFile) {
    if (!impl_ || !LoadChain(impl_->ctx.get(), certificateFile, keyFile)) {
        return Fail(tls::OpenSslError(tls::Reason::NoPeerCertificate));
    }
    return true;
}

void TlsContext::RequestPeerCertificate(bool require) {
    int mode = SSL_VERIFY_PEER | (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(impl_->ctx.get(), mode, Verify);
}

void TlsContext::SetAlpn(const std::vector<std::string>& protocols) {
    impl_->alpn.clear();
    for (const std::string& name : protocols) {
        if (!name.empty() && name.size() < 256) {
            impl_->alpn.push_back(static_cast<unsigned char>(name.size()));
            impl_->alpn.insert(impl_->alpn.end(), name.begin(), name.end());
        }
    }
    if (impl_->server) {
        SSL_CTX_set_alpn_select_cb(impl_->ctx.get(), SelectAlpn, impl_.get());
    } else {
        SSL_CTX_set_alpn_protos(impl_->ctx.get(), impl_->alpn.data(),
                                static_cast<unsigned>(impl_->alpn.size()));
    }
}

bool TlsContext::AddServerName(const char* hostName, const char* certificateFile,
                               const char* keyFile) {
    tls::CtxPtr ctx = NewCtx(TLS_server_method());
    if (!LoadChain(ctx.get(), certificateFile, keyFile)) {
        return Fail(tls::OpenSslError(tls::Reason::NoPeerCertificate));
    }
    impl_->serverNames.emplace_back(hostName, std::move(ctx));
    return true;
}

void TlsContext::SetSessionResumption(bool on) noexcept {
    impl_->resumption = on;
}

bool StartTls(AsyncSocket& socket, TlsContext& context, const char* peerName) {
    ContextState* state = context.impl_.get();
    bool named = peerName != nullptr && *peerName != '\0';
    if (state == nullptr ||
        (!state->server && !named && state->pins.empty() && !state->anyCertificate)) {
        return Fail(std::make_error_code(std::errc::invalid_argument));
    }
    SSL* ssl = SSL_new(state->ctx.get());
    if (ssl == nullptr) {
        return Fail(std::make_error_code(std::errc::not_enough_memory));
    }
    auto filter = std::make_unique<TlsFilter>(context.impl_, ssl, named ? peerName : "");
    SSL_set_ex_data(ssl, tls::FilterIndex(), filter.get());
    BIO* bio = tls::NewSocketBio(*filter);
    if (bio == nullptr) {
        return Fail(std::make_error_code(std::errc::not_enough_memory));
    }
    SSL_set_bio(ssl, bio, bio);
    if (state->server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        if (named && IsAddress(peerName)) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), peerName);
        } else if (named) {
            SSL_set_tlsext_host_name(ssl, peerName);
            SSL_set1_host(ssl, peerName);
        }
        if (named && state->resumption) {
            std::lock_guard<std::mutex> lock(state->sessionsMutex);
            if (auto found = state->sessions.find(peerName); found != state->sessions.end()) {
                SSL_set_session(ssl, found->second.get());
            }
        }
    }
    return socket.SetFilter(std::move(filter));
}

}  // namespace xsock
