#include "Sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace xsock::demo {

struct Sha256::Context {
    struct Free {
        void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> digest{EVP_MD_CTX_new()};

    void Start() {
        if (!digest || EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr) != 1) {
            throw std::runtime_error("libcrypto could not start a SHA-256 digest");
        }
    }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
    context_->Start();
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(const void* data, std::size_t length) {
    if (length > 0 && EVP_DigestUpdate(context_->digest.get(), data, length) != 1) {
        throw std::runtime_error("libcrypto refused SHA-256 input");
    }
}

Sha256::Digest Sha256::Finish() {
    Digest digest{};
    unsigned length = 0;
    if (EVP_DigestFinal_ex(context_->digest.get(), digest.data(), &length) != 1 ||
        length != digest.size()) {
        throw std::runtime_error("libcrypto could not finish a SHA-256 digest");
    }
    context_->Start();
    return digest;
}

Sha256::Digest Sha256::OfFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::system_error(errno, std::generic_category(), path);
    }
    Sha256 sha;
    std::vector<char> block(1 << 16);
    while (in) {
        in.read(block.data(), static_cast<std::streamsize>(block.size()));
        sha.Update(block.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
        throw std::system_error(EIO, std::generic_category(), path);
    }
    return sha.Finish();
}

std::string Sha256::Hex(const Digest& digest) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    text.reserve(digest.size() * 2);
    for (std::uint8_t byte : digest) {
        text += kDigits[byte >> 4];
        text += kDigits[byte & 0x0F];
    }
    return text;
}

}  // namespace xsock::demo
