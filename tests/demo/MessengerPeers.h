// The messenger suites' peers: xsock-messenger processes in line mode with
// their own keys (XDG_CONFIG_HOME in a temporary folder), a mesh of three
// joined through invites, and protocol messages written as a messenger
// writes them, also by a raw TLS client that signs them as a messenger
// would. The binary's path and tmux's come from the build
// (XSOCK_MESSENGER, XSOCK_TMUX).
#pragma once

#include "Messages.h"
#include "MessengerHarness.h"

#include <Sha256.h>
#include <Signature.h>

#include <xsock/Archive.h>
#include <xsock/File.h>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace messenger::test {

inline const std::string kMessenger = XSOCK_MESSENGER;
inline const std::string kTmux = XSOCK_TMUX;

// Where a test's peers keep their keys and the peers they know
// (XDG_CONFIG_HOME): one profile per name inside.
inline std::filesystem::path Config(const TempDir& dir) {
    return dir.Path() / "config";
}

// A name's key, as its messenger made it (or will find it).
inline std::string KeyOf(const TempDir& dir, const std::string& name) {
    ::setenv("XDG_CONFIG_HOME", Config(dir).c_str(), 1);
    std::string error;
    std::optional<demo::Identity> identity = demo::LoadIdentity("messenger-" + name, error);
    BOOST_TEST_REQUIRE(identity.has_value(), error);
    return identity->fingerprint;
}

// One messenger in line mode, listening on a port of its choice.
struct Peer {
    // `launcher` runs the messenger (its arguments follow), if given.
    Peer(const std::string& name, const TempDir& dir, std::vector<std::string> extra = {},
         std::vector<std::string> launcher = {})
        : downloads(dir.Path() / (name + "-downloads")), child([&] {
              std::vector<std::string> args = std::move(launcher);
              args.push_back("/usr/bin/env");
              args.push_back("XDG_CONFIG_HOME=" + Config(dir).string());
              for (const std::string& arg :
                   {kMessenger, std::string("--name"), name, std::string("--line-mode"),
                    std::string("--listen"), std::string("127.0.0.1:0"), std::string("--downloads"),
                    downloads.string()}) {
                  args.push_back(arg);
              }
              args.insert(args.end(), extra.begin(), extra.end());
              return args;
          }()) {
        std::string line = child.WaitFor(R"(^\* listening on 127\.0\.0\.1:[0-9]+ as )");
        std::size_t start = line.find("127.0.0.1:");
        address = line.substr(start, line.find(' ', start) - start);
        port = static_cast<unsigned>(std::stoul(address.substr(address.find(':') + 1)));
        line = child.WaitFor(R"(^\* invite code: [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4} )");
        code = line.substr(line.find("code: ") + 6, 14);
    }

    // A peer still running ends with /quit, so that a sanitizer build also
    // checks it for leaks and errors on the way out.
    ~Peer() {
        if (child.Running()) {
            int status = child.Finish("/quit");
            BOOST_CHECK_MESSAGE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                                "a peer did not quit cleanly:\n"
                                    << child.Transcript());
        }
    }
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    std::filesystem::path downloads;
    Child child;
    std::string address;
    unsigned port = 0;
    std::string code;  // the invite it printed on start
};

inline std::string Joined(const std::string& name, const Peer& peer) {
    return "^\\* " + name + " joined \\(" + Escape(peer.address) + "\\)$";
}

// Three peers: bob joins through alice's invite code, then carol through
// bob's, and meets alice because bob vouches for each to the other.
struct ThreePeers {
    ThreePeers()
        : alice("alice", dir),
          bob("bob", dir, {"--connect", alice.address, "--code", alice.code}),
          carol("carol", dir, BobJoined()) {
        alice.child.WaitFor(Joined("carol", carol));
        bob.child.WaitFor(Joined("carol", carol));
        carol.child.WaitFor(Joined("alice", alice));
        carol.child.WaitFor(Joined("bob", bob));
    }

    std::vector<std::string> BobJoined() {
        alice.child.WaitFor(Joined("bob", bob));
        bob.child.WaitFor(Joined("alice", alice));
        return {"--connect", bob.address, "--code", bob.code};
    }

    TempDir dir;
    Peer alice, bob, carol;
};

// Messages as a messenger writes them on a new connection.
inline std::string Wire(std::vector<xsock::Object*> messages) {
    xsock::MemFile file;
    xsock::Archive out(file, xsock::Archive::store);
    for (xsock::Object* message : messages) {
        messenger::WriteMessage(out, *message);
    }
    out.Flush();
    auto bytes = file.Contents();
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline std::string ReadAll(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline demo::Signer SignerOf(const TempDir& dir, const std::string& profile) {
    ::setenv("XDG_CONFIG_HOME", Config(dir).c_str(), 1);
    std::string error;
    std::optional<demo::Identity> identity = demo::LoadIdentity(profile, error);
    BOOST_TEST_REQUIRE(identity.has_value(), error);
    return demo::Signer(*identity);
}

// A raw TLS client that `peer` trusts (/trust the first time, its key pinned
// after), which writes offers and chunks by hand, signed with its own key.
struct Stranger {
    Stranger(Peer& peer, const TempDir& dir, const std::string& profile = "mallory")
        : client(peer.port, Config(dir), profile), signer(SignerOf(dir, profile)) {
        messenger::Hello hello;
        hello.id = client.fingerprint;
        hello.name = profile;  // its name is its profile's
        std::size_t seen = peer.child.LineCount();
        Send({&hello});
        std::string line = peer.child.WaitFor(
            "^\\* " + profile + R"( (\(127\.0\.0\.1:[0-9]+\) is not trusted|joined))", seen);
        if (line.find("not trusted") != std::string::npos) {
            peer.child.Send("/trust " + profile);
            peer.child.WaitFor("^\\* " + profile + " joined ", seen);
        }
    }

    // An offer of `content` to the peer, signed as a messenger signs it.
    messenger::FileOffer Offer(std::uint32_t transfer, const std::string& name,
                               const std::string& content) {
        messenger::FileOffer offer;
        offer.transfer = transfer;
        offer.name = name;
        offer.size = content.size();
        xsock::demo::Sha256 sha;
        sha.Update(content.data(), content.size());
        offer.sha256 = xsock::demo::Sha256::Hex(sha.Finish());
        offer.publicKey = signer.PublicKey();
        offer.signature =
            signer.Sign(messenger::OfferSignedBytes(offer, client.fingerprint, client.peerKey));
        return offer;
    }

    // Through one storing archive for the whole link, as a messenger writes:
    // a class crosses once and is referred to after.
    void Send(const std::vector<xsock::Object*>& messages) {
        for (xsock::Object* message : messages) {
            messenger::WriteMessage(out, *message);
        }
        out.Flush();
        auto bytes = file.Contents();
        client.Write(std::string(reinterpret_cast<const char*>(bytes.data()) + written,
                                 bytes.size() - written));
        written = bytes.size();
    }

    TlsClient client;
    demo::Signer signer;
    xsock::MemFile file;
    xsock::Archive out{file, xsock::Archive::store};
    std::size_t written = 0;
};

}  // namespace messenger::test
