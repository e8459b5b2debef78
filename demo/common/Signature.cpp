#include "Signature.h"

#include "Sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <stdexcept>

namespace demo {

namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdContextPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

const auto* Bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

bool IsP256(EVP_PKEY* key) {
    char group[32] = {};
    std::size_t length = 0;
    return EVP_PKEY_is_a(key, "EC") == 1 &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                          &length) == 1 &&
           std::string_view(group, length) == "prime256v1";
}

}  // namespace

struct Signer::Key {
    PkeyPtr pkey{nullptr, EVP_PKEY_free};
};

Signer::Signer(const Identity& identity) : key_(std::make_unique<Key>()) {
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(identity.key.c_str(), "r"),
                                                       std::fclose);
    if (file) {
        key_->pkey.reset(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
    }
    unsigned char* der = nullptr;
    int length = key_->pkey ? i2d_PUBKEY(key_->pkey.get(), &der) : -1;
    if (length <= 0) {
        throw std::runtime_error("cannot read the private key " + identity.key);
    }
    publicKey_.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
}

Signer::~Signer() = default;
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;

std::string Signer::Sign(std::string_view message) const {
    MdContextPtr context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t length = 0;
    if (!context ||
        EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length, Bytes(message), message.size()) != 1) {
        throw std::runtime_error("cannot sign");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       Bytes(message), message.size()) != 1) {
        throw std::runtime_error("cannot sign");
    }
    signature.resize(length);
    return signature;
}

std::string FingerprintOf(std::string_view publicKey) {
    xsock::demo::Sha256 hash;
    hash.Update(publicKey.data(), publicKey.size());
    return xsock::demo::Sha256::Hex(hash.Finish());
}

struct PublicKey::Key {
    PkeyPtr pkey{nullptr, EVP_PKEY_free};
};

PublicKey::PublicKey() : key_(std::make_unique<Key>()) {}
PublicKey::~PublicKey() = default;
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;

std::optional<PublicKey> PublicKey::Parse(std::string_view der, std::string_view fingerprint) {
    if (der.empty() || der.size() > kMaxPublicKeyBytes || FingerprintOf(der) != fingerprint) {
        return std::nullopt;
    }
    const unsigned char* next = Bytes(der);
    PublicKey parsed;
    parsed.key_->pkey.reset(d2i_PUBKEY(nullptr, &next, static_cast<long>(der.size())));
    if (!parsed.key_->pkey || next != Bytes(der) + der.size() || !IsP256(parsed.key_->pkey.get())) {
        return std::nullopt;
    }
    parsed.der_ = der;
    return parsed;
}

bool PublicKey::Verify(std::string_view message, std::string_view signature) const {
    if (signature.empty() || signature.size() > kMaxSignatureBytes) {
        return false;
    }
    MdContextPtr context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    return context &&
           EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) ==
               1 &&
           EVP_DigestVerify(context.get(), Bytes(signature), signature.size(), Bytes(message),
                            message.size()) == 1;
}

bool Verify(std::string_view publicKey, std::string_view fingerprint, std::string_view message,
            std::string_view signature) {
    // The cheap size checks first: a hostile signature costs no key parse.
    if (signature.empty() || signature.size() > kMaxSignatureBytes) {
        return false;
    }
    std::optional<PublicKey> key = PublicKey::Parse(publicKey, fingerprint);
    return key && key->Verify(message, signature);
}

}  // namespace demo
