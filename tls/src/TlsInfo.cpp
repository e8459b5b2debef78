// What a TLS connection established (GetTlsInfo, ExportKeyingMaterial) and
// keys by fingerprint (PublicKeyFingerprint).
#include <xsock/Tls.h>

#include "TlsContextImpl.h"
#include "TlsFilter.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>

namespace xsock {

namespace tls {

bool KeyFingerprint(X509* certificate, Fingerprint& out) {
    EVP_PKEY* key = certificate != nullptr ? X509_get0_pubkey(certificate) : nullptr;
    unsigned char* der = nullptr;
    int length = key != nullptr ? i2d_PUBKEY(key, &der) : -1;
    if (length <= 0) {
        return false;
    }
    unsigned int size = 0;
    bool ok = EVP_Digest(der, static_cast<std::size_t>(length), out.data(), &size, EVP_sha256(),
                         nullptr) == 1;
    OPENSSL_free(der);
    return ok && size == out.size();
}

}  // namespace tls

namespace {

using tls::Fingerprint;
using tls::TlsFilter;

std::string Hex(const Fingerprint& fingerprint) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (unsigned char byte : fingerprint) {
        text += digits[byte >> 4];
        text += digits[byte & 15];
    }
    return text;
}

}  // namespace

std::optional<TlsInfo> GetTlsInfo(const AsyncSocket& socket) {
    const auto* filter = dynamic_cast<const TlsFilter*>(socket.Filter());
    if (filter == nullptr) {
        return std::nullopt;
    }
    SSL* ssl = filter->Ssl();
    TlsInfo info;
    info.established = filter->Established();
    if (!info.established) {
        return info;
    }
    info.version = SSL_get_version(ssl);
    info.cipher = SSL_get_cipher_name(ssl);
    const unsigned char* alpn = nullptr;
    unsigned alpnLength = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpnLength);
    info.alpn.assign(reinterpret_cast<const char*>(alpn), alpnLength);
    if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
        info.serverName = name;
    }
    long verified = SSL_get_verify_result(ssl);
    info.verifyMessage = X509_verify_cert_error_string(verified);
    info.resumed = SSL_session_reused(ssl) == 1;
    std::unique_ptr<X509, decltype(&X509_free)> peer(SSL_get1_peer_certificate(ssl), X509_free);
    if (peer) {
        char subject[512];
        X509_NAME_oneline(X509_get_subject_name(peer.get()), subject, sizeof subject);
        info.peerSubject = subject;
        std::unique_ptr<BIO, decltype(&BIO_free)> pem(BIO_new(BIO_s_mem()), BIO_free);
        if (pem && PEM_write_bio_X509(pem.get(), peer.get()) == 1) {
            char* data = nullptr;
            long size = BIO_get_mem_data(pem.get(), &data);
            info.peerCertificate.assign(data, static_cast<std::size_t>(size));
        }
        Fingerprint key{};
        if (tls::KeyFingerprint(peer.get(), key)) {
            info.peerFingerprint = Hex(key);
        }
        info.peerVerified =
            filter->PinMatched() || (verified == X509_V_OK && !filter->Context().anyCertificate &&
                                     (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER));
    }
    return info;
}

bool ExportKeyingMaterial(const AsyncSocket& socket, const std::string& label, std::size_t length,
                          std::string& out) {
    const auto* filter = dynamic_cast<const TlsFilter*>(socket.Filter());
    if (filter == nullptr || !filter->Established()) {
        return false;
    }
    std::string material(length, '\0');
    if (SSL_export_keying_material(filter->Ssl(), reinterpret_cast<unsigned char*>(material.data()),
                                   length, label.data(), label.size(), nullptr, 0, 0) != 1) {
        return false;
    }
    out = std::move(material);
    return true;
}

std::string PublicKeyFingerprint(const char* certificateFile) {
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(certificateFile, "r"),
                                                       std::fclose);
    if (!file) {
        return {};
    }
    std::unique_ptr<X509, decltype(&X509_free)> certificate(
        PEM_read_X509(file.get(), nullptr, nullptr, nullptr), X509_free);
    Fingerprint key{};
    return certificate && tls::KeyFingerprint(certificate.get(), key) ? Hex(key) : std::string();
}

}  // namespace xsock
