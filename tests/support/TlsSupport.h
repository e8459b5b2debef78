// TLS test support: a throw-away PKI generated when a suite starts (a CA, a
// server certificate for localhost, 127.0.0.1 and ::1, an expired one, one for
// another name, a client certificate, and a second CA nobody trusts, with a
// server certificate of its own), written to a temporary folder removed at
// the end; and a connected TLS pair of Probes.
#pragma once

#include "TestSupport.h"

#include <xsock/Tls.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace xsock::test {

class TestPki {
  public:
    struct Pair {
        std::string certificate, key;
    };

    TestPki() {
        char pattern[] = "/tmp/xsock-pki-XXXXXX";
        BOOST_REQUIRE(::mkdtemp(pattern) != nullptr);
        dir_ = pattern;
        Key caKey = NewKey();
        Cert ca = Issue("xsock test CA", caKey.get(), nullptr, caKey.get(), true, 0, 1, "");
        caCertificate = Write("ca.pem", ca.get(), nullptr).certificate;
        const char* names = "DNS:localhost,IP:127.0.0.1,IP:::1";
        server = Leaf("server", "localhost", ca.get(), caKey.get(), 0, 30, names);
        expired = Leaf("expired", "localhost", ca.get(), caKey.get(), -30, -1, names);
        wrongName =
            Leaf("wrongname", "other.example", ca.get(), caKey.get(), 0, 30, "DNS:other.example");
        client = Leaf("client", "xsock test client", ca.get(), caKey.get(), 0, 30, "");
        alternate =
            Leaf("alternate", "alt.example", ca.get(), caKey.get(), 0, 30, "DNS:alt.example");
        Key otherKey = NewKey();
        Cert other = Issue("untrusted CA", otherKey.get(), nullptr, otherKey.get(), true, 0, 1, "");
        stranger = Leaf("stranger", "localhost", other.get(), otherKey.get(), 0, 30, names);
    }
    ~TestPki() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;

    std::string caCertificate;
    Pair server, expired, wrongName, client, alternate, stranger;

    const std::string& Dir() const noexcept { return dir_; }

  private:
    using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
    using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

    static Key NewKey() {
        Key key(EVP_EC_gen("P-256"), EVP_PKEY_free);
        BOOST_REQUIRE(key);
        return key;
    }

    static void Extend(X509* certificate, X509* issuer, int nid, const char* value) {
        X509V3_CTX context;
        X509V3_set_ctx_nodb(&context);
        X509V3_set_ctx(&context, issuer != nullptr ? issuer : certificate, certificate, nullptr,
                       nullptr, 0);
        X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
        BOOST_REQUIRE(extension != nullptr);
        X509_add_ext(certificate, extension, -1);
        X509_EXTENSION_free(extension);
    }

    // A certificate for `key`, valid from `fromDays` to `toDays` from now,
    // signed by `issuerKey` (itself when `issuer` is null).
    static Cert Issue(const char* commonName, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey,
                      bool authority, long fromDays, long toDays, const char* altNames) {
        Cert certificate(X509_new(), X509_free);
        static long serial = 1;
        X509_set_version(certificate.get(), 2);
        ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), ++serial);
        X509_gmtime_adj(X509_getm_notBefore(certificate.get()), fromDays * 86400 - 60);
        X509_gmtime_adj(X509_getm_notAfter(certificate.get()), toDays * 86400);
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
        BOOST_REQUIRE(X509_sign(certificate.get(), issuerKey, EVP_sha256()) > 0);
        return certificate;
    }

    Pair Leaf(const char* file, const char* commonName, X509* ca, EVP_PKEY* caKey, long fromDays,
              long toDays, const char* altNames) {
        Key key = NewKey();
        Cert certificate =
            Issue(commonName, key.get(), ca, caKey, false, fromDays, toDays, altNames);
        return Write(file, certificate.get(), key.get());
    }

    Pair Write(const std::string& stem, X509* certificate, EVP_PKEY* key) {
        Pair pair{dir_ + "/" + stem + ".pem", dir_ + "/" + stem + ".key"};
        std::unique_ptr<FILE, decltype(&std::fclose)> out(std::fopen(pair.certificate.c_str(), "w"),
                                                          std::fclose);
        BOOST_REQUIRE(out && PEM_write_X509(out.get(), certificate) == 1);
        if (key != nullptr) {
            std::unique_ptr<FILE, decltype(&std::fclose)> keyOut(std::fopen(pair.key.c_str(), "w"),
                                                                 std::fclose);
            BOOST_REQUIRE(keyOut && PEM_write_PrivateKey(keyOut.get(), key, nullptr, nullptr, 0,
                                                         nullptr, nullptr) == 1);
        }
        return pair;
    }

    std::string dir_;
};

// One PKI per test program.
inline const TestPki& Pki() {
    static const TestPki pki;
    return pki;
}

inline TlsContext TestServerContext(const TestPki::Pair& identity = Pki().server) {
    return TlsContext::Server(identity.certificate.c_str(), identity.key.c_str());
}

inline TlsContext TestClientContext() {
    TlsContext context = TlsContext::Client();
    BOOST_REQUIRE(context.AddCertificateAuthority(Pki().caCertificate.c_str()));
    return context;
}

// `client` connects over TLS to `listener`; `server` is accepted and starts
// TLS; returns once the client's OnConnect came and the server's OnSend.
inline void TlsPair(SocketLoop& loop, Probe& listener, Probe& client, Probe& server,
                    TlsContext& clientContext, TlsContext& serverContext,
                    const char* name = "localhost") {
    unsigned port = Listen(listener);
    BOOST_REQUIRE(client.Create(0, SOCK_STREAM, FD_ALL, "127.0.0.1"));
    BOOST_REQUIRE(StartTls(client, clientContext, name));
    bool started = client.Connect("127.0.0.1", port);
    BOOST_REQUIRE(started || AsyncSocket::GetLastError() == EWOULDBLOCK);
    AcceptNext(loop, listener, server);
    BOOST_REQUIRE(StartTls(server, serverContext));
    BOOST_REQUIRE(
        RunUntil(loop, [&] { return client.counts.connect > 0 && server.counts.send > 0; }));
    BOOST_REQUIRE_MESSAGE(client.connectError == 0,
                          "handshake: " << AsyncSocket::GetLastErrorCode().message());
}

}  // namespace xsock::test
