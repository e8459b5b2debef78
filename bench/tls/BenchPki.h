// The TLS benchmark's certificates, made when it starts: a CA and a server
// certificate for localhost and 127.0.0.1 signed by it (ECDSA P-256, as the
// test suites use), written to a temporary folder that is removed at the end.
// Every competitor trusts the same CA and presents the same certificate.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace tlsbench {

class BenchPki {
  public:
    BenchPki() {
        char pattern[] = "/tmp/xsock-tlsbench-XXXXXX";
        if (::mkdtemp(pattern) == nullptr) {
            Die("mkdtemp");
        }
        dir_ = pattern;
        KeyPtr caKey = NewKey();
        Cert ca = Issue("xsock bench CA", caKey.get(), nullptr, caKey.get(), true, "");
        ca_ = Write("ca.pem", ca.get());
        KeyPtr key = NewKey();
        Cert server = Issue("localhost", key.get(), ca.get(), caKey.get(), false,
                            "DNS:localhost,IP:127.0.0.1");
        certificate_ = Write("server.pem", server.get());
        key_ = dir_ + "/server.key";
        std::unique_ptr<FILE, decltype(&std::fclose)> out(std::fopen(key_.c_str(), "w"),
                                                          std::fclose);
        if (!out || PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
            Die("writing the key");
        }
    }
    ~BenchPki() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    BenchPki(const BenchPki&) = delete;
    BenchPki& operator=(const BenchPki&) = delete;

    const std::string& Ca() const noexcept { return ca_; }
    const std::string& Certificate() const noexcept { return certificate_; }
    const std::string& Key() const noexcept { return key_; }

  private:
    using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
    using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

    [[noreturn]] static void Die(const char* what) {
        std::fprintf(stderr, "TlsBench: certificates: %s failed\n", what);
        std::exit(1);
    }

    static KeyPtr NewKey() {
        KeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
        if (!key) {
            Die("EVP_EC_gen");
        }
        return key;
    }

    static void Extend(X509* certificate, X509* issuer, int nid, const char* value) {
        X509V3_CTX context;
        X509V3_set_ctx_nodb(&context);
        X509V3_set_ctx(&context, issuer != nullptr ? issuer : certificate, certificate, nullptr,
                       nullptr, 0);
        X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
        if (extension == nullptr) {
            Die("X509V3_EXT_conf_nid");
        }
        X509_add_ext(certificate, extension, -1);
        X509_EXTENSION_free(extension);
    }

    // Valid from a minute ago for 30 days, signed by `issuerKey` (itself when
    // `issuer` is null).
    static Cert Issue(const char* commonName, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey,
                      bool authority, const char* altNames) {
        static long serial = 1;
        Cert certificate(X509_new(), X509_free);
        X509_set_version(certificate.get(), 2);
        ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), ++serial);
        X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -60);
        X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 30L * 86400);
        X509_set_pubkey(certificate.get(), key);
        X509_NAME* name = X509_get_subject_name(certificate.get());
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(commonName), -1, -1, 0);
        X509_set_issuer_name(certificate.get(),
                             issuer != nullptr ? X509_get_subject_name(issuer) : name);
        Extend(certificate.get(), issuer, NID_basic_constraints,
               authority ? "critical,CA:TRUE" : "CA:FALSE");
        if (authority) {
            Extend(certificate.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
        }
        if (*altNames != '\0') {
            Extend(certificate.get(), issuer, NID_subject_alt_name, altNames);
        }
        if (X509_sign(certificate.get(), issuerKey, EVP_sha256()) <= 0) {
            Die("X509_sign");
        }
        return certificate;
    }

    std::string Write(const char* file, X509* certificate) const {
        std::string path = dir_ + "/" + file;
        std::unique_ptr<FILE, decltype(&std::fclose)> out(std::fopen(path.c_str(), "w"),
                                                          std::fclose);
        if (!out || PEM_write_X509(out.get(), certificate) != 1) {
            Die("writing a certificate");
        }
        return path;
    }

    std::string dir_, ca_, certificate_, key_;
};

}  // namespace tlsbench
