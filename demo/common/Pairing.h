// One-time pairing codes, read aloud from one screen and typed on another, and
// the proofs that show both ends of a TLS session know the same code.
//
// A code is 12 characters from an alphabet without look-alikes (59 bits),
// shown as XXXX-XXXX-XXXX; case, spaces and dashes do not matter when typed.
// A proof is HMAC-SHA256 keyed with the code over a role, keying material
// exported from the TLS session and both ends' key fingerprints: it cannot be
// replayed on another session, and someone in the middle, who holds two
// sessions, cannot pass one end's proof on to the other. The side that holds
// the code open (the server) proves first and takes the code out of use before
// it does, so a guess costs the guesser the code, and the proof it sees cannot
// be turned into a second attempt.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace demo {

std::string NewPairingCode();
// The code's 12 characters in upper case, or empty if `typed` is not a code.
std::string NormalizeCode(const std::string& typed);

std::string PairingProof(const std::string& code, const std::string& role,
                         const std::string& sessionKey, const std::string& serverFingerprint,
                         const std::string& clientFingerprint);
// Compares in constant time.
bool SameProof(const std::string& a, const std::string& b);

// The code a server holds open, in a file of its profile (mode 0600) so that
// `serve --pair` in another process can open a new one.
class OpenCode {
  public:
    explicit OpenCode(std::string file) : file_(std::move(file)) {}

    // Writes a fresh code valid for `lifetime`; returns it, or empty.
    std::string Open(std::chrono::seconds lifetime);
    // Takes the code out of use (exactly one caller gets it) and returns it if
    // it had not expired.
    std::optional<std::string> Take();

  private:
    std::string file_;
};

}  // namespace demo
