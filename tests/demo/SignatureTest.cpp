// demo::Signer and demo::Verify, attacked: a signature moved to another
// message, a message signed by another key under the victim's id, a key that
// is not the id's, a truncated or oversized signature, a key of the wrong kind
// or with trailing bytes. Each must be refused; the genuine one accepted.
#include "ChildProcess.h"

#include <Identity.h>
#include <Signature.h>

#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

using messenger::test::TempDir;

namespace {

demo::Identity Load(const TempDir& dir, const std::string& profile) {
    ::setenv("XDG_CONFIG_HOME", dir.Path().c_str(), 1);
    std::string error;
    auto identity = demo::LoadIdentity(profile, error);
    BOOST_TEST_REQUIRE(identity.has_value(), error);
    return *identity;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string Der(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    int length = i2d_PUBKEY(key, &der);
    BOOST_TEST_REQUIRE(length > 0);
    std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return bytes;
}

// A valid signature by `key` (SHA-256 unless the algorithm hashes itself).
std::string SignWith(EVP_PKEY* key, const EVP_MD* digest, const std::string& message) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    std::string signature(1024, '\0');
    std::size_t length = signature.size();
    BOOST_TEST_REQUIRE(EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key) == 1);
    BOOST_TEST_REQUIRE(EVP_DigestSign(context.get(),
                                      reinterpret_cast<unsigned char*>(signature.data()), &length,
                                      reinterpret_cast<const unsigned char*>(message.data()),
                                      message.size()) == 1);
    signature.resize(length);
    return signature;
}

}  // namespace

BOOST_AUTO_TEST_CASE(TheAuthorsSignatureIsAcceptedUnderItsId) {
    TempDir dir;
    demo::Identity alice = Load(dir, "alice");
    demo::Signer signer(alice);
    BOOST_TEST(demo::FingerprintOf(signer.PublicKey()) == alice.fingerprint);
    std::string signature = signer.Sign("chat 1 hello");
    BOOST_TEST(signature.size() <= demo::kMaxSignatureBytes);
    BOOST_TEST(demo::Verify(signer.PublicKey(), alice.fingerprint, "chat 1 hello", signature));
}

BOOST_AUTO_TEST_CASE(ASignatureDoesNotCoverAnotherMessage) {
    TempDir dir;
    demo::Identity alice = Load(dir, "alice");
    demo::Signer signer(alice);
    std::string signature = signer.Sign("chat 1 hello");
    BOOST_TEST(!demo::Verify(signer.PublicKey(), alice.fingerprint, "chat 2 hello", signature));
    BOOST_TEST(!demo::Verify(signer.PublicKey(), alice.fingerprint, "chat 1 hellO", signature));
}

BOOST_AUTO_TEST_CASE(AnotherKeyCannotSpeakUnderTheVictimsId) {
    TempDir dir;
    demo::Identity alice = Load(dir, "alice");
    demo::Identity mallory = Load(dir, "mallory");
    demo::Signer forger(mallory);
    std::string signature = forger.Sign("chat 1 pay mallory");
    // Mallory's own key and signature, claimed to be alice's line.
    BOOST_TEST(
        !demo::Verify(forger.PublicKey(), alice.fingerprint, "chat 1 pay mallory", signature));
    // Alice's key with mallory's signature.
    demo::Signer genuine(alice);
    BOOST_TEST(
        !demo::Verify(genuine.PublicKey(), alice.fingerprint, "chat 1 pay mallory", signature));
}

BOOST_AUTO_TEST_CASE(MangledSignaturesAndKeysAreRefused) {
    TempDir dir;
    demo::Identity alice = Load(dir, "alice");
    demo::Signer signer(alice);
    const std::string message = "chat 7 text";
    std::string signature = signer.Sign(message);
    BOOST_TEST(!demo::Verify(signer.PublicKey(), alice.fingerprint, message, ""));
    BOOST_TEST(!demo::Verify(signer.PublicKey(), alice.fingerprint, message,
                             signature.substr(0, signature.size() - 1)));
    BOOST_TEST(!demo::Verify(signer.PublicKey(), alice.fingerprint, message,
                             signature + std::string(demo::kMaxSignatureBytes, '\0')));
    std::string flipped = signature;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 1);
    BOOST_TEST(!demo::Verify(signer.PublicKey(), alice.fingerprint, message, flipped));
    // Trailing bytes after the key change its fingerprint, and so its id.
    std::string padded = signer.PublicKey() + "x";
    BOOST_TEST(!demo::Verify(padded, demo::FingerprintOf(padded), message, signature));
    BOOST_TEST(!demo::Verify("", alice.fingerprint, message, signature));
}

BOOST_AUTO_TEST_CASE(KeysOfOtherKindsAreRefusedEvenUnderTheirOwnId) {
    // A signer chooses its own key, so a key of another kind must be refused
    // even with a signature that is valid for it: only P-256.
    const std::string message = "chat 1 hello";
    PkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free);
    PkeyPtr k256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"), EVP_PKEY_free);
    PkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}), EVP_PKEY_free);
    BOOST_TEST_REQUIRE((ed25519 && k256 && rsa));
    struct Case {
        const char* what;
        EVP_PKEY* key;
        const EVP_MD* digest;
    };
    for (const Case& c :
         {Case{"ED25519", ed25519.get(), nullptr}, Case{"secp256k1", k256.get(), EVP_sha256()},
          Case{"RSA", rsa.get(), EVP_sha256()}}) {
        std::string key = Der(c.key);
        std::string signature = SignWith(c.key, c.digest, message);
        BOOST_TEST(!demo::Verify(key, demo::FingerprintOf(key), message, signature), c.what);
    }
}

// A key kept for its author (PublicKey) judges like Verify: parsed only under
// its own id, and then only that key's signatures over the very message.
BOOST_AUTO_TEST_CASE(AKeptKeyVerifiesOnlyItsOwnSignatures) {
    TempDir dir;
    demo::Identity alice = Load(dir, "alice");
    demo::Identity mallory = Load(dir, "mallory");
    demo::Signer signer(alice);
    demo::Signer forger(mallory);
    BOOST_TEST(!demo::PublicKey::Parse(signer.PublicKey(), mallory.fingerprint).has_value());
    BOOST_TEST(!demo::PublicKey::Parse(forger.PublicKey(), alice.fingerprint).has_value());
    std::optional<demo::PublicKey> key =
        demo::PublicKey::Parse(signer.PublicKey(), alice.fingerprint);
    BOOST_TEST_REQUIRE(key.has_value());
    BOOST_TEST(key->Der() == signer.PublicKey());
    const std::string message = "chat 3 hello";
    BOOST_TEST(key->Verify(message, signer.Sign(message)));
    BOOST_TEST(!key->Verify(message, forger.Sign(message)));
    BOOST_TEST(!key->Verify("chat 4 hello", signer.Sign(message)));
    BOOST_TEST(!key->Verify(message, ""));
    BOOST_TEST(!key->Verify(message, std::string(demo::kMaxSignatureBytes + 1, '0')));
}
