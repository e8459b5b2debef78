#include "Identity.h"

#include <xsock/Tls.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace demo {

namespace {

using FilePtr = std::unique_ptr<FILE, decltype(&std::fclose)>;

// Creates `path` exclusively with `mode`, so a key is never readable by others,
// not even for a moment.
FilePtr CreateExclusive(const std::string& path, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    return FilePtr(fd >= 0 ? ::fdopen(fd, "w") : nullptr, std::fclose);
}

bool MakeKeyPair(const Identity& identity, const std::string& profile, std::string& error) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
    if (!key || !certificate) {
        error = "cannot make a key pair";
        return false;
    }
    X509_set_version(certificate.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -86400);
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 20L * 365 * 86400);
    X509_set_pubkey(certificate.get(), key.get());
    std::string name = "xsock " + profile;
    X509_NAME* subject = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(certificate.get(), subject);
    if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0) {
        error = "cannot sign the certificate";
        return false;
    }
    FilePtr keyFile = CreateExclusive(identity.key, 0600);
    if (!keyFile || PEM_write_PrivateKey(keyFile.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        error = "cannot write " + identity.key + ": " + std::strerror(errno);
        return false;
    }
    ::unlink(identity.certificate.c_str());
    FilePtr certificateFile = CreateExclusive(identity.certificate, 0644);
    if (!certificateFile || PEM_write_X509(certificateFile.get(), certificate.get()) != 1) {
        error = "cannot write " + identity.certificate + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace

std::string ProfileFolder(const std::string& profile, std::string& error) {
    const char* config = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    std::string base;
    if (config != nullptr && *config == '/') {
        base = config;
    } else if (home != nullptr && *home == '/') {
        base = std::string(home) + "/.config";
    } else {
        error = "neither XDG_CONFIG_HOME nor HOME names a folder";
        return {};
    }
    std::string folder = base;
    for (const std::string& part : {std::string("xsock"), profile}) {
        ::mkdir(base.c_str(), 0700);
        folder += "/" + part;
        if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
            error = "cannot create " + folder + ": " + std::strerror(errno);
            return {};
        }
    }
    return folder;
}

std::optional<Identity> LoadIdentity(const std::string& profile, std::string& error) {
    Identity identity;
    identity.folder = ProfileFolder(profile, error);
    if (identity.folder.empty()) {
        return std::nullopt;
    }
    identity.key = identity.folder + "/key.pem";
    identity.certificate = identity.folder + "/cert.pem";
    struct stat info {};
    if (::stat(identity.key.c_str(), &info) != 0) {
        if (!MakeKeyPair(identity, profile, error)) {
            return std::nullopt;
        }
    } else if ((info.st_mode & 077) != 0) {
        error = identity.key + " may be read by others: 'chmod 600 " + identity.key + "' first";
        return std::nullopt;
    }
    identity.fingerprint = xsock::PublicKeyFingerprint(identity.certificate.c_str());
    if (identity.fingerprint.empty()) {
        error = "cannot read " + identity.certificate;
        return std::nullopt;
    }
    return identity;
}

std::vector<KnownPeers::Peer> KnownPeers::Load() const {
    std::vector<Peer> peers;
    std::ifstream in(file_);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        Peer peer;
        if (fields >> peer.fingerprint && peer.fingerprint.size() == 64) {
            std::getline(fields >> std::ws, peer.label);
            peers.push_back(peer);
        }
    }
    return peers;
}

bool KnownPeers::Contains(const std::string& fingerprint) const {
    for (const Peer& peer : Load()) {
        if (peer.fingerprint == fingerprint) {
            return true;
        }
    }
    return false;
}

std::optional<std::string> KnownPeers::Find(const std::string& label) const {
    for (const Peer& peer : Load()) {
        if (peer.label == label) {
            return peer.fingerprint;
        }
    }
    return std::nullopt;
}

bool KnownPeers::Add(const std::string& fingerprint, const std::string& label) {
    std::vector<Peer> peers;
    for (Peer& peer : Load()) {
        if (peer.fingerprint != fingerprint && (label.empty() || peer.label != label)) {
            peers.push_back(std::move(peer));
        }
    }
    peers.push_back({fingerprint, label});
    return Save(peers);
}

int KnownPeers::Remove(const std::string& prefix) {
    if (prefix.size() < 8) {
        return 0;
    }
    std::vector<Peer> kept;
    int removed = 0;
    for (Peer& peer : Load()) {
        if (peer.fingerprint.compare(0, prefix.size(), prefix) == 0) {
            ++removed;
        } else {
            kept.push_back(std::move(peer));
        }
    }
    return removed > 0 && Save(kept) ? removed : 0;
}

// Written beside the list and renamed over it, so a reader never sees half.
bool KnownPeers::Save(const std::vector<Peer>& peers) const {
    std::string temporary = file_ + ".new";
    ::unlink(temporary.c_str());
    FilePtr out = CreateExclusive(temporary, 0600);
    if (!out) {
        return false;
    }
    for (const Peer& peer : peers) {
        std::fprintf(out.get(), "%s %s\n", peer.fingerprint.c_str(), peer.label.c_str());
    }
    if (std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0) {
        return false;
    }
    out.reset();
    return ::rename(temporary.c_str(), file_.c_str()) == 0;
}

std::string ShortFingerprint(const std::string& fingerprint) {
    std::string shown;
    for (std::size_t i = 0; i < 16 && i < fingerprint.size(); ++i) {
        if (i != 0 && i % 4 == 0) {
            shown += ' ';
        }
        shown += fingerprint[i];
    }
    return shown;
}

}  // namespace demo
