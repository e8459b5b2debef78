// Sha256: an incremental SHA-256 digest over OpenSSL's libcrypto, shared by
// the demos that check files on arrival.
//
// Thread safety: distinct objects are safe, a shared object is not.
// Errors: throws std::runtime_error if libcrypto cannot set up the digest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace xsock::demo {

class Sha256 {
  public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void Update(const void* data, std::size_t length);
    // Ends this digest and starts a new one.
    Digest Finish();

    // The digest of a whole file; throws std::system_error if it cannot be read.
    static Digest OfFile(const std::string& path);
    static std::string Hex(const Digest& digest);

  private:
    struct Context;
    std::unique_ptr<Context> context_;
};

}  // namespace xsock::demo
