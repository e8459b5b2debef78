// A demo program's identity and the peers it knows, kept under
// $XDG_CONFIG_HOME/xsock/PROFILE/ (~/.config/xsock/PROFILE when the variable is
// unset), as OpenSSH keeps ~/.ssh:
//
//   key.pem   the private key (P-256), mode 0600; a key others may read is
//             refused, as ssh refuses one
//   cert.pem  a self-signed certificate for it, which TLS presents
//   *.list    peers known by key, one per line: FINGERPRINT LABEL
//
// The folder is created with mode 0700. A peer's identity is its key's
// fingerprint (xsock::PublicKeyFingerprint: SHA-256 of the public key, hex).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace demo {

struct Identity {
    std::string folder;
    std::string certificate;  // cert.pem
    std::string key;          // key.pem
    std::string fingerprint;
};

// The profile's folder, created (0700) if missing; empty with `error` set if
// it cannot be.
std::string ProfileFolder(const std::string& profile, std::string& error);

// Loads the profile's identity, creating a key pair on first use.
std::optional<Identity> LoadIdentity(const std::string& profile, std::string& error);

// A list of peers known by key (authorized senders, pinned servers).
class KnownPeers {
  public:
    struct Peer {
        std::string fingerprint;
        std::string label;
    };

    explicit KnownPeers(std::string file) : file_(std::move(file)) {}

    const std::string& File() const noexcept { return file_; }
    std::vector<Peer> Load() const;
    bool Contains(const std::string& fingerprint) const;
    // The fingerprint recorded for `label`, if any.
    std::optional<std::string> Find(const std::string& label) const;
    // Adds or replaces the entry for `fingerprint` (and, if `label` is not
    // empty, any other entry with that label). False if the file cannot be
    // written.
    bool Add(const std::string& fingerprint, const std::string& label);
    // Removes the entries whose fingerprint starts with `prefix` (at least 8
    // characters); returns how many.
    int Remove(const std::string& prefix);

  private:
    bool Save(const std::vector<Peer>& peers) const;
    std::string file_;
};

// The first 16 hex digits, grouped for reading aloud: "3f2a 9c1d 77e0 b4a5".
std::string ShortFingerprint(const std::string& fingerprint);

}  // namespace demo
