// Ui: how the mesh talks to the person (or script) using it, whatever the
// front end: `print` adds a line of output, `status` shows a transient state
// such as a transfer's progress ("" clears it). A front end with buttons
// (Accept/Reject, a progress bar) also gets the structured callbacks: `offer`
// for a file waiting for /accept N or /reject N, `offerGone` once it is no
// longer waiting, and `progress` for each transfer; left empty, the offer is
// printed as a line with the commands to answer it.
#pragma once

#include <SafeText.h>

#include <cstdint>
#include <functional>
#include <string>

namespace messenger {

// A file a peer offers. Every text is already safe to show.
struct OfferShown {
    int number = 0;           // what /accept and /reject take
    std::string sender;       // the peer's name
    std::string fingerprint;  // its key, short (demo::ShortFingerprint)
    std::string name;         // the file's base name
    std::uint64_t size = 0;
    std::string sha256;  // hex, in full
};

struct TransferShown {
    int number = 0;  // the offer's number when receiving, 0 when sending
    bool incoming = false;
    std::string peer;
    std::string name;
    std::uint64_t done = 0;
    std::uint64_t size = 0;
};

// A greeted peer, for a front end's list of peers (Mesh::Peers).
struct PeerShown {
    std::string name;
    std::string id;       // its key's fingerprint, in full
    std::string address;  // where it listens, or where it came from
    bool trusted = false;
    bool waiting = false;  // for /trust NAME (not trusted, and not pairing by a code)
};

struct Ui {
    std::function<void(const std::string&)> print;
    std::function<void(const std::string&)> status;
    bool terminal = false;
    std::function<void(const OfferShown&)> offer;
    // The offer is answered, expired or withdrawn; `why` says which.
    std::function<void(int number, const std::string& why)> offerGone;
    std::function<void(const TransferShown&)> progress;
};

// Everything a peer sends (names, lines, file names, error texts) goes through
// SafeName or SafeText before it reaches `print` (see SafeText.h).
using xsock::demo::IsPlainName;
using xsock::demo::SafeName;
using xsock::demo::SafeText;

}  // namespace messenger
