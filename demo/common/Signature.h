// Signatures by a demo identity's key (demo/common/Identity.h), so that a
// message speaks for its author wherever it travels: a messenger chat line
// that reaches a peer through others carries its author's public key and
// signature, and the receiver checks both against the author's id (the key's
// fingerprint) before it shows or forwards the line.
//
// Keys are P-256, signatures ECDSA over SHA-256 in DER form. Verify takes the
// public key from the message itself (so no key needs to be known in
// advance) and accepts it only when it is a P-256 key whose fingerprint is the
// claimed id; a key of any other kind or size is refused before any
// arithmetic, so a hostile sender cannot make verification expensive.
//
// Thread safety: a Signer may be used by one thread at a time; Verify from
// any thread.
#pragma once

#include "Identity.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace demo {

// Upper bounds of what Verify accepts (a P-256 SubjectPublicKeyInfo is 91
// bytes, an ECDSA P-256 signature at most 72).
inline constexpr std::size_t kMaxPublicKeyBytes = 128;
inline constexpr std::size_t kMaxSignatureBytes = 80;

class Signer {
  public:
    // Throws std::runtime_error if the identity's private key cannot be read.
    explicit Signer(const Identity& identity);
    ~Signer();
    Signer(Signer&&) noexcept;
    Signer& operator=(Signer&&) noexcept;

    // The public key as DER SubjectPublicKeyInfo; its SHA-256 is the
    // identity's fingerprint.
    const std::string& PublicKey() const noexcept { return publicKey_; }
    // Throws std::runtime_error if OpenSSL fails.
    std::string Sign(std::string_view message) const;

  private:
    struct Key;
    std::unique_ptr<Key> key_;
    std::string publicKey_;
};

// A public key checked once (its kind, size and fingerprint), so that a
// receiver that keeps it verifies each further message with one signature
// check and no key parse.
class PublicKey {
  public:
    // The key when `der` is a P-256 key (at most kMaxPublicKeyBytes) whose
    // fingerprint is `fingerprint`; nullopt otherwise.
    static std::optional<PublicKey> Parse(std::string_view der, std::string_view fingerprint);
    ~PublicKey();
    PublicKey(PublicKey&&) noexcept;
    PublicKey& operator=(PublicKey&&) noexcept;

    const std::string& Der() const noexcept { return der_; }
    // True when `signature` (at most kMaxSignatureBytes) is this key's over `message`.
    bool Verify(std::string_view message, std::string_view signature) const;

  private:
    PublicKey();
    struct Key;
    std::unique_ptr<Key> key_;
    std::string der_;
};

// The fingerprint (SHA-256, lowercase hex) of a DER public key.
std::string FingerprintOf(std::string_view publicKey);

// True when `publicKey` is a P-256 key whose fingerprint is `fingerprint` and
// `signature` is its signature over `message`.
bool Verify(std::string_view publicKey, std::string_view fingerprint, std::string_view message,
            std::string_view signature);

}  // namespace demo
