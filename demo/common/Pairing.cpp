#include "Pairing.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace demo {

namespace {

// 31 letters and digits, without 0/O and 1/I/L: log2(31), about 4.95 bits each.
constexpr char kAlphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
constexpr std::size_t kAlphabetSize = sizeof kAlphabet - 1;
constexpr std::size_t kCodeLength = 12;

std::int64_t Now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::string NewPairingCode() {
    std::string code;
    while (code.size() < kCodeLength + 2) {
        unsigned char byte = 0;
        if (RAND_bytes(&byte, 1) != 1) {
            return {};
        }
        // Rejection sampling keeps every character equally likely.
        if (byte >= 256 - 256 % kAlphabetSize) {
            continue;
        }
        if (code.size() == 4 || code.size() == 9) {
            code += '-';
        }
        code += kAlphabet[byte % kAlphabetSize];
    }
    return code;
}

std::string NormalizeCode(const std::string& typed) {
    std::string code;
    for (char c : typed) {
        if (c == '-' || c == ' ') {
            continue;
        }
        char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (std::string_view(kAlphabet).find(upper) == std::string_view::npos) {
            return {};
        }
        code += upper;
    }
    return code.size() == kCodeLength ? code : std::string();
}

std::string PairingProof(const std::string& code, const std::string& role,
                         const std::string& sessionKey, const std::string& serverFingerprint,
                         const std::string& clientFingerprint) {
    std::string message = "xsock pairing\n" + role + "\n" + serverFingerprint + "\n" +
                          clientFingerprint + "\n" + sessionKey;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    std::string key = NormalizeCode(code);
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
    return std::string(reinterpret_cast<const char*>(digest), length);
}

bool SameProof(const std::string& a, const std::string& b) {
    return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string OpenCode::Open(std::chrono::seconds lifetime) {
    std::string code = NewPairingCode();
    std::string temporary = file_ + ".new";
    ::unlink(temporary.c_str());
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (code.empty() || fd < 0) {
        return {};
    }
    std::string content =
        NormalizeCode(code) + " " + std::to_string(Now() + lifetime.count()) + "\n";
    bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), file_.c_str()) != 0) {
        return {};
    }
    return code;
}

std::optional<std::string> OpenCode::Take() {
    // Renaming is atomic: of two connections that try at once, one gets it.
    std::string taken = file_ + ".taken." + std::to_string(::getpid()) + "." +
                        std::to_string(reinterpret_cast<std::uintptr_t>(&taken));
    if (::rename(file_.c_str(), taken.c_str()) != 0) {
        return std::nullopt;
    }
    std::ifstream in(taken);
    std::string code;
    std::int64_t expires = 0;
    in >> code >> expires;
    ::unlink(taken.c_str());
    if (NormalizeCode(code).empty() || expires < Now()) {
        return std::nullopt;
    }
    return code;
}

}  // namespace demo
