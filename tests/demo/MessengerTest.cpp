// xsock-messenger end to end: real processes talking over loopback. Peers run
// in line mode with piped stdin/stdout; one test drives the interactive
// (readline) UI inside tmux and reads the screen. The binary's path and
// tmux's come from the build (XSOCK_MESSENGER, XSOCK_TMUX).
#include "MessengerPeers.h"

#include <Signature.h>

#include <xsock/Archive.h>
#include <xsock/File.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>
#include <xsock/Tls.h>

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace messenger::test;

namespace {

// The most a peer may hold at its peak while a non-reading peer is flooded:
// its baseline (some MiB) + 8 MiB queued + 2 MiB of input + copies in flight.
// The old 64 MiB queue alone would break it. Sanitizers double the heap.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kMemoryBoundKib = 160 << 10;
#else
constexpr long kMemoryBoundKib = 64 << 10;
#endif

// The screen's non-blank rows, without trailing blanks.
std::vector<std::string> Rows(const std::string& screen) {
    std::vector<std::string> rows;
    for (std::size_t start = 0, end; (end = screen.find('\n', start)) != std::string::npos;
         start = end + 1) {
        std::string row = screen.substr(start, end - start);
        if (row.find_first_not_of(' ') != std::string::npos) {
            rows.push_back(row.substr(0, row.find_last_not_of(' ') + 1));
        }
    }
    return rows;
}

// A chat signed by `signer`, whatever origin it claims.
messenger::Chat SignedChat(const demo::Signer& signer, const std::string& origin,
                           std::uint64_t sequence, const std::string& name,
                           const std::string& text) {
    messenger::Chat chat;
    chat.origin = origin;
    chat.sequence = sequence;
    chat.name = name;
    chat.text = text;
    chat.publicKey = signer.PublicKey();
    chat.signature = signer.Sign(messenger::ChatSignedBytes(chat));
    return chat;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Messenger)

BOOST_FIXTURE_TEST_CASE(NewcomersMeetEveryPeerThroughOneIntroducer, ThreePeers) {
    // The fixture waited for all six "joined" lines; /peers agrees.
    bob.child.Send("/peers");
    std::string peers = bob.child.WaitFor(R"(^\* 2 peers: )");
    BOOST_TEST(peers.find("alice (" + alice.address + ", key " +
                          demo::ShortFingerprint(KeyOf(dir, "alice")) + ")") != std::string::npos);
    BOOST_TEST(peers.find("carol (" + carol.address + ", key " +
                          demo::ShortFingerprint(KeyOf(dir, "carol")) + ")") != std::string::npos);
    // Each pair is linked once: nobody saw anyone join twice.
    for (Peer* peer : {&alice, &bob, &carol}) {
        BOOST_TEST(peer->child.Count(" joined ") == 2u);
    }
}

BOOST_FIXTURE_TEST_CASE(EveryMessageReachesEveryPeerExactlyOnce, ThreePeers) {
    std::vector<Peer*> peers = {&alice, &bob, &carol};
    std::vector<std::string> names = {"alice", "bob", "carol"};
    for (int round = 1; round <= 5; ++round) {
        for (std::size_t i = 0; i < peers.size(); ++i) {
            peers[i]->child.Send("message " + std::to_string(round) + " from " + names[i]);
        }
    }
    for (std::size_t i = 0; i < peers.size(); ++i) {
        for (std::size_t j = 0; j < peers.size(); ++j) {
            if (i != j) {
                peers[i]->child.WaitFor("^<" + names[j] + "> message 5 from " + names[j] + "$");
            }
        }
    }
    // Each peer has now forwarded every message it will ever forward, and a
    // link delivers in order: once every "end" arrives, any repeat would have.
    for (std::size_t i = 0; i < peers.size(); ++i) {
        peers[i]->child.Send("end from " + names[i]);
    }
    for (std::size_t i = 0; i < peers.size(); ++i) {
        for (std::size_t j = 0; j < peers.size(); ++j) {
            if (i != j) {
                peers[i]->child.WaitFor("^<" + names[j] + "> end from " + names[j] + "$");
            }
        }
    }
    for (std::size_t i = 0; i < peers.size(); ++i) {
        for (std::size_t j = 0; j < peers.size(); ++j) {
            for (int round = 1; round <= 5; ++round) {
                std::string line = "^<" + names[j] + "> message " + std::to_string(round) +
                                   " from " + names[j] + "$";
                BOOST_TEST(peers[i]->child.Count(line) == (i == j ? 0u : 1u),
                           names[i] << " saw '" << line << "' " << peers[i]->child.Count(line)
                                    << " times");
            }
        }
    }
}

BOOST_FIXTURE_TEST_CASE(PeerKilledWithSigkillIsReportedGone, ThreePeers) {
    bob.child.Kill(SIGKILL);
    bob.child.WaitExit();
    alice.child.WaitFor(R"(^\* bob left)");
    carol.child.WaitFor(R"(^\* bob left)");
    alice.child.Send("still talking");
    carol.child.WaitFor("^<alice> still talking$");
    carol.child.Send("/peers");
    carol.child.WaitFor(R"(^\* 1 peer: alice \()");
}

BOOST_FIXTURE_TEST_CASE(PeerThatQuitsSaysGoodbye, ThreePeers) {
    carol.child.Send("/quit");
    int status = carol.child.WaitExit();
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    alice.child.WaitFor(R"(^\* carol left$)");
    bob.child.WaitFor(R"(^\* carol left$)");
}

BOOST_FIXTURE_TEST_CASE(MalformedStreamIsDroppedAndOthersCarryOn, ThreePeers) {
    // Clear text where TLS belongs, and garbage inside a TLS session.
    RawClient raw(alice.port);
    raw.Write("GET / HTTP/1.0\r\n\r\n");
    alice.child.WaitFor(R"(^\* dropped 127\.0\.0\.1:[0-9]+: no TLS session \(.+\)$)");
    BOOST_TEST(raw.WaitClosed());
    TlsClient garbage(alice.port, Config(dir), "garbage");
    garbage.Write("GET / HTTP/1.0\r\n\r\n");
    alice.child.WaitFor(R"(^\* dropped 127\.0\.0\.1:[0-9]+: malformed message \(.+\)$)");
    BOOST_TEST(garbage.WaitClosed());
    bob.child.Send("after the garbage");
    alice.child.WaitFor("^<bob> after the garbage$");
    carol.child.WaitFor("^<bob> after the garbage$");
    alice.child.Send("alice is fine");
    bob.child.WaitFor("^<alice> alice is fine$");
    carol.child.WaitFor("^<alice> alice is fine$");
    BOOST_TEST(alice.child.Count(" left") == 0u);
}

BOOST_FIXTURE_TEST_CASE(ValidMessagesBreakingTheProtocolAreDroppedToo, ThreePeers) {
    TlsClient rude(alice.port, Config(dir), "mallory");
    messenger::Chat chat;
    chat.origin = rude.fingerprint;
    chat.sequence = 1;
    chat.name = "mallory";
    chat.text = "no hello first";
    rude.Write(Wire({&chat}));
    alice.child.WaitFor(
        R"(^\* dropped 127\.0\.0\.1:[0-9]+: malformed message \(no hello first\)$)");
    BOOST_TEST(rude.WaitClosed());

    // A file name that climbs out of the downloads folder is refused.
    TlsClient sly(bob.port, Config(dir), "mallory");
    messenger::Hello hello;
    hello.id = sly.fingerprint;
    hello.name = "mallory";
    messenger::FileOffer offer;
    offer.transfer = 1;
    offer.name = "../escaped.txt";
    offer.size = 1;
    sly.Write(Wire({&hello}));
    bob.child.WaitFor(R"(^\* mallory \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    bob.child.Send("/trust mallory");
    bob.child.WaitFor(R"(^\* mallory joined )");
    sly.Write(Wire({&offer}));
    bob.child.WaitFor(R"(^\* dropped mallory at 127\.0\.0\.1:[0-9]+: malformed message \(file )"
                      R"(name refused: '\.\./escaped\.txt'\)$)");
    BOOST_TEST(sly.WaitClosed());
    BOOST_TEST(!std::filesystem::exists(dir.Path() / "escaped.txt"));
    BOOST_TEST(bob.child.Count("^<mallory>") == 0u);
    BOOST_TEST(alice.child.Count("^<mallory>") == 0u);
    alice.child.Send("all well");
    bob.child.WaitFor("^<alice> all well$");
}

// The hijack: a stranger with a key of its own connects to bob and claims to
// be alice (her id is public: it travels in every PeerList and chat). Bob
// refuses the link and keeps the real alice.
BOOST_FIXTURE_TEST_CASE(HelloClaimingAnotherPeersIdIsRefused, ThreePeers) {
    const std::string aliceKey = KeyOf(dir, "alice");
    TlsClient mallory(bob.port, Config(dir), "mallory");
    BOOST_TEST(mallory.peerKey == KeyOf(dir, "bob"));
    messenger::Hello hello;
    hello.id = aliceKey;
    hello.name = "alice";
    hello.listenPort = static_cast<std::uint16_t>(alice.port);
    messenger::Chat chat;
    chat.origin = aliceKey;
    chat.sequence = 1000;
    chat.name = "alice";
    chat.text = "bob, what is the password?";
    mallory.Write(Wire({&hello, &chat}));
    bob.child.WaitFor("^\\* dropped 127\\.0\\.0\\.1:[0-9]+: refused: it claims the id " +
                      demo::ShortFingerprint(aliceKey) + " but its key is " +
                      demo::ShortFingerprint(mallory.fingerprint) + "$");
    BOOST_TEST(mallory.WaitClosed());
    // Bob's next line goes to the real alice, and nothing of mallory's is shown.
    bob.child.Send("the password is swordfish");
    alice.child.WaitFor("^<bob> the password is swordfish$");
    carol.child.WaitFor("^<bob> the password is swordfish$");
    BOOST_TEST(bob.child.Count("what is the password") == 0u);
    BOOST_TEST(bob.child.Count(" left") == 0u);
    bob.child.Send("/peers");
    bob.child.WaitFor(R"(^\* 2 peers: )");
}

// Without a code a first contact is held: no chat goes either way until each
// side's user types /trust, and the key is pinned from then on.
BOOST_AUTO_TEST_CASE(FirstContactWithoutCodeIsHeldUntilTrust) {
    TempDir dir;
    Peer alice("alice", dir);
    Peer bob("bob", dir, {"--connect", alice.address});
    alice.child.WaitFor("^\\* bob \\(127\\.0\\.0\\.1:[0-9]+\\) is not trusted yet, key " +
                        demo::ShortFingerprint(KeyOf(dir, "bob")) + ": /trust bob to chat$");
    bob.child.WaitFor("^\\* alice \\(127\\.0\\.0\\.1:[0-9]+\\) is not trusted yet, key " +
                      demo::ShortFingerprint(KeyOf(dir, "alice")) + ": /trust alice to chat$");
    bob.child.Send("held line");
    bob.child.WaitFor(R"(^\* nobody to tell yet)");
    alice.child.Send("/peers");
    alice.child.WaitFor(R"(^\* 1 peer: bob \(.*, not trusted\)$)");

    // Trusted one way only: alice's lines reach bob's link, which drops them.
    alice.child.Send("/trust bob");
    alice.child.WaitFor(Joined("bob", bob));
    alice.child.Send("one way");
    // The new name follows the line on the same link: once bob shows it, the
    // line has arrived (and was dropped).
    alice.child.Send("/nick alicia");
    bob.child.WaitFor(R"(^\* alice is now known as alicia$)");
    bob.child.Send("/trust alicia");
    bob.child.WaitFor(Joined("alicia", alice));
    bob.child.Send("both ways now");
    alice.child.WaitFor("^<bob> both ways now$");
    alice.child.Send("hello bob");
    bob.child.WaitFor("^<alicia> hello bob$");
    BOOST_TEST(alice.child.Count("held line") == 0u);
    BOOST_TEST(bob.child.Count("one way") == 0u);
    std::string pinned = ReadAll(Config(dir) / "xsock" / "messenger-alice" / "peers.list");
    BOOST_TEST(pinned.find(KeyOf(dir, "bob")) != std::string::npos, pinned);
}

// A key pinned under a name that shows up with another key is refused loudly
// (bob's profile removed: a new key, as an impostor would have).
BOOST_AUTO_TEST_CASE(ChangedPinnedKeyIsRefused) {
    TempDir dir;
    Peer alice("alice", dir);
    std::string oldKey;
    {
        Peer bob("bob", dir, {"--connect", alice.address, "--code", alice.code});
        alice.child.WaitFor(Joined("bob", bob));
        bob.child.WaitFor(Joined("alice", alice));
        oldKey = KeyOf(dir, "bob");
    }
    alice.child.WaitFor(R"(^\* bob left$)");
    std::filesystem::remove_all(Config(dir) / "xsock" / "messenger-bob");
    std::string newKey = KeyOf(dir, "bob");
    BOOST_TEST_REQUIRE(newKey != oldKey);
    Peer impostor("bob", dir, {"--connect", alice.address});
    alice.child.WaitFor("^\\* REFUSED bob at 127\\.0\\.0\\.1:[0-9]+: ITS KEY CHANGED \\(pinned " +
                        demo::ShortFingerprint(oldKey) + ", now " + demo::ShortFingerprint(newKey) +
                        "\\)\\. ");
    impostor.child.Send("/trust alice");
    impostor.child.Send("I am bob");
    alice.child.Send("/trust bob");
    alice.child.WaitFor(R"(^\* no peer named bob is waiting to be trusted )");
    BOOST_TEST(alice.child.Count("I am bob") == 0u);
    BOOST_TEST(alice.child.Count(" joined ") == 1u);
}

// A wrong code is refused by the inviter, which proves first: the joiner
// never sends a proof, and the code is used up.
BOOST_AUTO_TEST_CASE(WrongInviteCodeIsRefusedAndUsedUp) {
    TempDir dir;
    Peer alice("alice", dir);
    std::string wrong = alice.code == "AAAA-AAAA-AAAA" ? "BBBB-BBBB-BBBB" : "AAAA-AAAA-AAAA";
    Peer bob("bob", dir, {"--connect", alice.address, "--code", wrong});
    bob.child.WaitFor(R"(^\* pairing with alice at 127\.0\.0\.1:[0-9]+ failed: the code is wrong)");
    // The right code no longer works either: the guess used it up.
    Peer carol("carol", dir, {"--connect", alice.address, "--code", alice.code});
    alice.child.WaitFor(
        R"(^\* carol \(127\.0\.0\.1:[0-9]+\) came with an invite code, but none is open)");
    BOOST_TEST(alice.child.Count(" joined ") == 0u);
}

// A raw TLS client that alice trusts (/trust), for messages no messenger
// would send from a trusted peer.
struct TrustedStranger {
    TrustedStranger(Peer& peer, const TempDir& dir, const std::string& profile = "mallory")
        : name(profile), client(peer.port, Config(dir), profile) {
        messenger::Hello hello;
        hello.id = client.fingerprint;
        hello.name = name;
        client.Send(hello);
        peer.child.WaitFor("^\\* " + name + R"( \(127\.0\.0\.1:[0-9]+\) is not trusted yet)");
        peer.child.Send("/trust " + name);
        peer.child.WaitFor("^\\* " + name + " joined ");
    }
    void Say(std::uint64_t sequence, const std::string& text) {
        messenger::Chat chat = SignedChat(signer, client.fingerprint, sequence, name, text);
        client.Send(chat);
    }
    // The next chat the peer forwards to this client.
    messenger::Chat NextChat() {
        for (;;) {
            std::unique_ptr<xsock::Object> message = client.Read();
            BOOST_TEST_REQUIRE(message != nullptr, "the link closed before a chat came");
            if (auto* chat = dynamic_cast<messenger::Chat*>(message.get())) {
                return *chat;
            }
        }
    }
    std::string name;
    TlsClient client;
    demo::Signer signer{client.identity};
};

// One PeerList naming 100 peers makes a peer dial only kMaxDialsPerList (16).
BOOST_AUTO_TEST_CASE(PeerListDialsAreCapped) {
    TempDir dir;
    Peer alice("alice", dir);
    TrustedStranger mallory(alice, dir);
    ClosedPort closed;
    messenger::PeerList list;
    for (int i = 1; i <= 100; ++i) {
        std::string id = std::to_string(i);
        list.peers.push_back({std::string(64 - id.size(), '0') + id, "127.0.0.1",
                              static_cast<std::uint16_t>(closed.Port())});
    }
    mallory.client.Send(list);
    alice.child.WaitFor(R"(^\* mallory's peer list names 100 peers: dialled only 16 \(at most )"
                        R"(16 a list, 32 a minute, 16 at once\)$)");
    const std::string refused =
        "^\\* could not reach 127\\.0\\.0\\.1:" + std::to_string(closed.Port()) +
        ": Connection refused$";
    while (alice.child.Count(refused) < 16) {
        alice.child.WaitFor("", alice.child.LineCount());  // one more line, whatever it is
    }
    // Every refusal is immediate on loopback; a chat after them marks the end.
    mallory.Say(1, "after the list");
    alice.child.WaitFor("^<mallory> after the list$");
    BOOST_TEST(alice.child.Count(refused) == 16u);
}

// A trusted peer's list says some key listens at bob's address: alice dials
// it expecting that key, and refuses bob's, which is not the one vouched for.
BOOST_AUTO_TEST_CASE(PeerListEntryWithAnotherKeyIsRefused) {
    TempDir dir;
    Peer alice("alice", dir);
    Peer bob("bob", dir);
    TrustedStranger mallory(alice, dir);
    const std::string claimed(64, 'e');
    messenger::PeerList list;
    list.peers.push_back({claimed, "127.0.0.1", static_cast<std::uint16_t>(bob.port)});
    mallory.client.Send(list);
    alice.child.WaitFor("^\\* dropped " + Escape(bob.address) + ": refused: its key " +
                        demo::ShortFingerprint(KeyOf(dir, "bob")) + " is not the " +
                        demo::ShortFingerprint(claimed) + " it was introduced as$");
    alice.child.Send("/peers");
    alice.child.WaitFor(R"(^\* 1 peer: mallory )");
    BOOST_TEST(alice.child.Count(" bob joined") == 0u);
}

// Sequence numbers far ahead move the de-duplication window instead of
// growing it: what falls behind the window counts as seen.
BOOST_AUTO_TEST_CASE(DeduplicationWindowPerOriginIsBounded) {
    TempDir dir;
    Peer alice("alice", dir);
    TrustedStranger mallory(alice, dir);
    mallory.Say(1, "first");
    mallory.Say(3, "ahead of a gap");
    mallory.Say(2, "the gap filled");
    mallory.Say(1'000'000, "far ahead");
    mallory.Say(5, "behind the window");
    mallory.Say(1'000'000 - 10, "inside the window");
    mallory.Say(1'000'001, "next");
    alice.child.WaitFor("^<mallory> next$");
    for (const char* shown :
         {"first", "ahead of a gap", "the gap filled", "far ahead", "inside the window"}) {
        BOOST_TEST(alice.child.Count(std::string("^<mallory> ") + shown + "$") == 1u, shown);
    }
    BOOST_TEST(alice.child.Count("behind the window") == 0u);
}

// Authors are remembered up to kMaxOrigins (1,024), the least recently heard
// forgotten first: a trusted peer relaying lines of 1,025 other keys costs
// alice a bounded table, and what it costs is the first author's window (its
// replayed line shows again; the second author's, heard since, does not).
BOOST_AUTO_TEST_CASE(AuthorsRememberedAreBounded) {
    TempDir dir;
    Peer alice("alice", dir);
    TrustedStranger mallory(alice, dir);
    ::setenv("XDG_CONFIG_HOME", Config(dir).c_str(), 1);
    auto chatOf = [&](int author, const std::string& text) {
        std::string error;
        std::optional<demo::Identity> identity =
            demo::LoadIdentity("author" + std::to_string(author), error);
        BOOST_TEST_REQUIRE(identity.has_value(), error);
        return SignedChat(demo::Signer(*identity), identity->fingerprint, 1,
                          "author" + std::to_string(author), text);
    };
    messenger::Chat first = chatOf(0, "from the first author");
    messenger::Chat second = chatOf(1, "from the second author");
    mallory.client.Send(first);
    mallory.client.Send(second);
    alice.child.WaitFor("^<author1> from the second author$");
    for (int author = 2; author <= 1024; ++author) {
        messenger::Chat chat = chatOf(author, "line");
        mallory.client.Send(chat);
        if (author == 600) {
            mallory.client.Send(second);  // the second author is heard again
        }
    }
    alice.child.WaitFor("^<author1024> line$");
    mallory.client.Send(second);
    mallory.client.Send(first);
    mallory.Say(1, "marker");
    alice.child.WaitFor("^<mallory> marker$");
    BOOST_TEST(alice.child.Count("^<author0> from the first author$") == 2u);
    BOOST_TEST(alice.child.Count("^<author1> from the second author$") == 1u);
}

// Alice and bob paired, and mallory, a raw client bob trusts, which has seen
// alice's first line (forwarded to it by bob) with its signature.
struct SignedLines {
    SignedLines()
        : alice("alice", dir),
          bob("bob", dir, {"--connect", alice.address, "--code", alice.code}),
          mallory(bob, dir) {
        alice.child.WaitFor(Joined("bob", bob));
        bob.child.WaitFor(Joined("alice", alice));
        alice.child.Send("first");
        bob.child.WaitFor("^<alice> first$");
        first = mallory.NextChat();
        BOOST_TEST_REQUIRE(first.text == "first");
        BOOST_TEST_REQUIRE(first.origin == KeyOf(dir, "alice"));
    }
    // Alice's line `text` with her sequence number `sequence`, alice's key,
    // and a signature that is mallory's.
    messenger::Chat Forged(std::uint64_t sequence, const std::string& text) {
        messenger::Chat chat = SignedChat(mallory.signer, first.origin, sequence, "alice", text);
        chat.publicKey = first.publicKey;
        return chat;
    }
    std::string Refused() const {
        return "^\\* dropped a forged line from mallory: it claims to be by key " +
               demo::ShortFingerprint(first.origin) + ", which did not sign it$";
    }

    TempDir dir;
    Peer alice, bob;
    TrustedStranger mallory;
    messenger::Chat first;
};

// A line in alice's name with her next sequence number (her key, mallory's
// signature; then mallory's key under alice's id) is not shown or forwarded,
// and does not spend the number: alice's real next line is shown.
BOOST_FIXTURE_TEST_CASE(ForgedLineIsDroppedAndTheAuthorsNextLineIsShown, SignedLines) {
    messenger::Chat forged = Forged(first.sequence + 1, "send the password to mallory");
    mallory.client.Send(forged);
    bob.child.WaitFor(Refused());
    messenger::Chat ownKey =
        SignedChat(mallory.signer, first.origin, first.sequence + 1, "alice", "own key");
    mallory.client.Send(ownKey);
    bob.child.WaitFor(Refused(), bob.child.LineCount());
    alice.child.Send("second");
    bob.child.WaitFor("^<alice> second$");
    BOOST_TEST(bob.child.Count("password") == 0u);
    BOOST_TEST(bob.child.Count("own key") == 0u);
    BOOST_TEST(alice.child.Count("password") == 0u);
    BOOST_TEST(mallory.NextChat().text == "second");
}

// A forged line far ahead of alice's sequence numbers would move her
// de-duplication window past every line she has yet to send: it must not.
BOOST_FIXTURE_TEST_CASE(ForgedLineFarAheadDoesNotSilenceTheAuthor, SignedLines) {
    messenger::Chat forged = Forged(first.sequence + 1'000'000'000, "far ahead");
    mallory.client.Send(forged);
    bob.child.WaitFor(Refused());
    alice.child.Send("still heard");
    bob.child.WaitFor("^<alice> still heard$");
    alice.child.Send("and again");
    bob.child.WaitFor("^<alice> and again$");
    BOOST_TEST(bob.child.Count("far ahead") == 0u);
}

// Alice's genuine line sent back is shown once; under a new sequence number
// (her signature does not cover it) it is a forgery. A link that brings more
// than kMaxForgeries (3) forgeries is dropped.
BOOST_FIXTURE_TEST_CASE(ReplayedLineIsShownOnceAndForgersAreDropped, SignedLines) {
    mallory.client.Send(first);
    messenger::Chat renumbered = first;
    renumbered.sequence = first.sequence + 5;
    mallory.client.Send(renumbered);
    bob.child.WaitFor(Refused());
    alice.child.Send("after the replay");
    bob.child.WaitFor("^<alice> after the replay$");
    BOOST_TEST(bob.child.Count("^<alice> first$") == 1u);
    for (std::uint64_t more = 6; more <= 8; ++more) {
        renumbered.sequence = first.sequence + more;
        mallory.client.Send(renumbered);
    }
    bob.child.WaitFor(R"(^\* dropped mallory at 127\.0\.0\.1:[0-9]+: it brought 4 forged lines$)");
    BOOST_TEST(mallory.client.WaitClosed());
    BOOST_TEST(bob.child.Count(Refused()) == 3u);
    BOOST_TEST(bob.child.Count("^<alice> first$") == 1u);
    alice.child.Send("bye");
    bob.child.WaitFor("^<alice> bye$");
}

BOOST_FIXTURE_TEST_CASE(RenamedPeerIsKnownByItsNewName, ThreePeers) {
    bob.child.Send("/nick robert");
    alice.child.WaitFor(R"(^\* bob is now known as robert$)");
    carol.child.WaitFor(R"(^\* bob is now known as robert$)");
    bob.child.Send("hi");
    carol.child.WaitFor("^<robert> hi$");
}

BOOST_FIXTURE_TEST_CASE(SecondLinkToAPeerOrToItselfIsDropped, ThreePeers) {
    carol.child.Send("/connect " + alice.address);
    carol.child.WaitFor(R"(^\* already connected to alice$)");
    alice.child.Send("/connect " + alice.address);
    alice.child.WaitFor("^\\* " + Escape(alice.address) + " is this messenger$");
    // The surviving links still carry everything, once.
    carol.child.Send("one link");
    alice.child.WaitFor("^<carol> one link$");
    bob.child.WaitFor("^<carol> one link$");
    BOOST_TEST(alice.child.Count(" left") == 0u);
    BOOST_TEST(alice.child.Count("^<carol> one link$") == 1u);
}

// What a hostile peer sends to be printed (its name, a chat line, a file
// name) reaches the terminal escaped: no escape sequence, C1 control (raw or
// UTF-8), bidi override or newline gets through, forwarded lines included, and
// a name cannot make a line look like the program's own.
BOOST_FIXTURE_TEST_CASE(PeerTextIsShownEscaped, ThreePeers) {
    TlsClient mallory(alice.port, Config(dir), "mallory");
    messenger::Hello hello;
    hello.id = mallory.fingerprint;
    hello.name = "* bob left\x1b]0;pwned\x07";
    mallory.Write(Wire({&hello}));
    // The name is escaped where it is shown, and is what /trust takes.
    const std::string name = R"(\x2a\x20bob\x20left\x1b\x5d0\x3bpwned\x07)";
    alice.child.WaitFor("^\\* " + Escape(name) +
                        R"( \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    alice.child.Send("/trust " + name);
    alice.child.WaitFor("^\\* " + Escape(name) + R"( joined \()");
    messenger::Chat chat =
        SignedChat(demo::Signer(mallory.identity), mallory.fingerprint, 1, "<alice>",
                   "hi\x1b[2J\n* bob left \xc2\x9b"
                   "31m \x9b"
                   "1m \u202egnp.exe \xc0\xaf\x7f");
    mallory.Write(Wire({&chat}));
    const std::string line = R"(<\x3calice\x3e> hi\x1b[2J\x0a* bob left \u009b31m \x9b1m )"
                             R"(\u202egnp.exe \xc0\xaf\x7f)";
    for (Peer* peer : {&alice, &bob, &carol}) {
        peer->child.WaitFor("^" + Escape(line) + "$");
    }

    TlsClient sly(bob.port, Config(dir), "sly");
    messenger::Hello slyHello;
    slyHello.id = sly.fingerprint;
    slyHello.name = "mallory";
    sly.Write(Wire({&slyHello}));
    bob.child.WaitFor(R"(^\* mallory \(127\.0\.0\.1:[0-9]+\) is not trusted yet)");
    bob.child.Send("/trust mallory");
    bob.child.WaitFor(R"(^\* mallory joined )");
    messenger::FileOffer offer;
    offer.transfer = 1;
    offer.name = "report\u202etxt.exe";
    offer.size = 1;
    sly.Write(Wire({&offer}));
    bob.child.WaitFor(R"(^\* dropped mallory at 127\.0\.0\.1:[0-9]+: malformed message \(file )"
                      R"(name refused: 'report\\u202etxt\.exe'\)$)");
    BOOST_TEST(
        (!std::filesystem::exists(bob.downloads) || std::filesystem::is_empty(bob.downloads)));

    for (Peer* peer : {&alice, &bob, &carol}) {
        std::string text = peer->child.Text();
        for (char c : text) {
            auto byte = static_cast<unsigned char>(c);
            BOOST_TEST_REQUIRE((byte >= 0x20 || byte == '\n'), "a control byte was printed");
            BOOST_TEST_REQUIRE(byte != 0x7F);
            BOOST_TEST_REQUIRE(byte != 0x9B, "a raw C1 byte was printed");
        }
        BOOST_TEST(text.find("\xc2\x9b") == std::string::npos);
        BOOST_TEST(text.find("\u202e") == std::string::npos);
        BOOST_TEST(peer->child.Count(R"(^\* bob left)") == 0u);
        BOOST_TEST(peer->child.Count("^<alice>") == 0u);
    }
}

BOOST_AUTO_TEST_CASE(UnreachablePeerIsReported) {
    TempDir dir;
    Peer alice("alice", dir);
    ClosedPort closed;
    std::string where = "127.0.0.1:" + std::to_string(closed.Port());
    alice.child.Send("/connect " + where);
    alice.child.WaitFor("^\\* could not reach " + Escape(where) + ": Connection refused$");
    alice.child.Send("/connect no-port-here");
    alice.child.WaitFor(R"(^\* could not reach no-port-here: )");
}

// A name with two addresses, the first refusing: /connect goes on to the next
// (as on a host whose "localhost" is ::1 first, with the peer on 127.0.0.1).
// The name is the dialler's own, from a hosts file mounted over /etc/hosts in
// a user and mount namespace; the network is the machine's loopback.
BOOST_AUTO_TEST_CASE(ConnectTriesEveryAddressOfAName) {
    TempDir dir;
    const std::filesystem::path hosts = dir.Path() / "hosts";
    std::ofstream(hosts) << "::1 xsock-peer.test\n127.0.0.1 xsock-peer.test\n";
    const std::vector<std::string> launcher = {"/usr/bin/unshare",
                                               "--user",
                                               "--map-root-user",
                                               "--mount",
                                               "sh",
                                               "-c",
                                               "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
                                               hosts.string()};
    std::vector<std::string> probe = launcher;
    probe.insert(probe.end(), {"getent", "ahosts", "xsock-peer.test"});
    std::string resolved;
    int status = Run(probe, &resolved);
    BOOST_TEST_REQUIRE(status == 0, "no user and mount namespace for the hosts file:\n"
                                        << resolved);
    BOOST_TEST_REQUIRE(resolved.find("::1") < resolved.find("127.0.0.1"), resolved);

    Peer alice("alice", dir);
    Peer bob("bob", dir, {}, launcher);
    const std::string where = "xsock-peer.test:" + std::to_string(alice.port);
    bob.child.Send("/connect " + where + " " + alice.code);
    bob.child.WaitFor(Joined("alice", alice));
    alice.child.WaitFor(Joined("bob", bob));
    BOOST_TEST(bob.child.Count("could not reach") == 0u);

    // Every address refusing: the failure is reported once, for the last.
    ClosedPort closed;
    bob.child.Send("/connect xsock-peer.test:" + std::to_string(closed.Port()));
    bob.child.WaitFor("^\\* could not reach 127\\.0\\.0\\.1:" + std::to_string(closed.Port()) +
                      ": Connection refused$");
    bob.child.Send("/peers");
    bob.child.WaitFor(R"(^\* 1 peer: alice )");
    BOOST_TEST(bob.child.Count("could not reach") == 1u);
}

BOOST_AUTO_TEST_CASE(DiscoveryFindsPeersOnLoopbackByMulticast) {
    TempDir dir;
    std::vector<std::string> discover = {"--discover", "--discover-port",
                                         std::to_string(FreeUdpPort()), "--discover-interface",
                                         "127.0.0.1"};
    Peer one("one", dir, discover);
    Peer two("two", dir, discover);
    one.child.WaitFor(R"(^\* discovering peers by multicast 239\.255\.74\.74:)");
    // Discovery only offers a stranger (never dials it): the user connects,
    // and each side decides to trust the other.
    one.child.WaitFor("^\\* discovered two at " + Escape(two.address) + ", key " +
                      demo::ShortFingerprint(KeyOf(dir, "two")) + ": /connect " +
                      Escape(two.address) + " to meet$");
    two.child.WaitFor("^\\* discovered one at " + Escape(one.address) + ", key ");
    one.child.Send("/connect " + two.address);
    one.child.WaitFor(R"(^\* two \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    two.child.WaitFor(R"(^\* one \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    one.child.Send("/trust two");
    two.child.Send("/trust one");
    one.child.WaitFor(Joined("two", two));
    two.child.WaitFor(Joined("one", one));
    one.child.Send("found you");
    two.child.WaitFor("^<one> found you$");
}

// Once pinned, a discovered peer is dialled with no one asking: two restarts
// (on another port) and the pair links up again by itself.
BOOST_AUTO_TEST_CASE(DiscoveryDialsPinnedPeers) {
    TempDir dir;
    std::vector<std::string> discover = {"--discover", "--discover-port",
                                         std::to_string(FreeUdpPort()), "--discover-interface",
                                         "127.0.0.1"};
    Peer one("one", dir, discover);
    std::optional<Peer> two;
    two.emplace("two", dir, discover);
    one.child.WaitFor("^\\* discovered two at " + Escape(two->address) + ", key ");
    one.child.Send("/connect " + two->address);
    two->child.WaitFor(R"(^\* one \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    one.child.WaitFor(R"(^\* two \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    one.child.Send("/trust two");
    two->child.Send("/trust one");
    one.child.WaitFor(Joined("two", *two));
    two->child.WaitFor(Joined("one", one));
    two.reset();
    one.child.WaitFor(R"(^\* two left$)");
    two.emplace("two", dir, discover);
    one.child.WaitFor(Joined("two", *two), one.child.LineCount());
    two->child.WaitFor(Joined("one", one));
    two->child.Send("back again");
    one.child.WaitFor("^<two> back again$");
    BOOST_TEST(one.child.Count("^\\* discovered two ") == 1u);
}

// A TCP connection to 127.0.0.1:port from `source` (another loopback address,
// as a second host on the LAN would be); it says nothing.
xsock::Descriptor SilentConnection(const char* source, unsigned port) {
    xsock::Descriptor fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::bind(fd.Get(), reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
    BOOST_TEST_REQUIRE(::connect(fd.Get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    return fd;
}

// True once the other side has closed `fd` (end of stream or reset).
bool IsClosed(const xsock::Descriptor& fd) {
    pollfd ready{fd.Get(), POLLIN, 0};
    char byte;
    return ::poll(&ready, 1, 0) == 1 && ::recv(fd.Get(), &byte, 1, MSG_DONTWAIT) <= 0;
}

// Polls until `count` of `fds` are closed by the other side, or `limit` passes.
std::size_t WaitClosedCount(const std::vector<xsock::Descriptor>& fds, std::size_t count,
                            std::chrono::steady_clock::duration limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::size_t closed = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        closed = static_cast<std::size_t>(std::count_if(fds.begin(), fds.end(), IsClosed));
        if (closed >= count) {
            break;
        }
        ::poll(nullptr, 0, 20);  // paces the scans of a thousand descriptors
    }
    return closed;
}

// The sum of N over the peer's "* refused N connection(s)" lines.
std::size_t Refused(const Child& child) {
    std::size_t sum = 0;
    const std::string text = child.Text();
    const std::string mark = "\n* refused ";
    for (std::size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + 1)) {
        sum += std::stoul(text.substr(at + mark.size()));
    }
    return sum;
}

// 1,000 silent connections from one address (another host's): all but 8
// (--max-per-address) are closed as they are accepted, and those 8, and two
// that finish TLS and then say nothing, are closed at the handshake deadline
// (8 s here, to keep the test short). Meanwhile bob joins. The test process
// holds the 1,000 descriptors, hence the raised soft limit.
BOOST_AUTO_TEST_CASE(SilentConnectionsAreCappedAndReclaimedWhileAPeerJoins) {
    rlimit files{};
    BOOST_TEST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
    BOOST_TEST_REQUIRE(files.rlim_max >= 1200, "the hard descriptor limit is below 1,200");
    files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 4096));
    BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &files) == 0);

    TempDir dir;
    Peer alice("alice", dir, {"--handshake-timeout", "8"});
    const auto start = std::chrono::steady_clock::now();
    std::vector<xsock::Descriptor> silent;
    for (int i = 0; i < 1000; ++i) {
        silent.push_back(SilentConnection("127.0.0.2", alice.port));
    }
    TlsClient quiet(alice.port, Config(dir), "quiet");
    TlsClient quieter(alice.port, Config(dir), "quieter");
    // Those over the cap went at once: before the deadline could close them.
    BOOST_TEST(WaitClosedCount(silent, 992, std::chrono::seconds(7)) >= 992u);
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(8)));
    Peer bob("bob", dir, {"--connect", alice.address, "--code", alice.code});
    alice.child.WaitFor(Joined("bob", bob));
    bob.child.WaitFor(Joined("alice", alice));
    BOOST_TEST(WaitClosedCount(silent, 1000, kDeadline) == 1000u);
    // quieter's close arrives while quiet's Receive waits, and is held back.
    BOOST_TEST(quiet.WaitClosed());
    BOOST_TEST(quieter.WaitClosed());
    alice.child.WaitFor(R"(^\* dropped 127\.0\.0\.1:[0-9]+: no hello within 8 s$)");
    while (Refused(alice.child) < 992) {
        alice.child.WaitFor("", alice.child.LineCount());
    }
    BOOST_TEST(Refused(alice.child) == 992u);
    bob.child.Send("still joined");
    alice.child.WaitFor("^<bob> still joined$");
}

// --max-unauthenticated: with 16 strangers from two addresses waiting for
// their handshake (deadline 60 s), a 17th from a third address is closed at
// once, and the 16 are not.
BOOST_AUTO_TEST_CASE(UnauthenticatedConnectionsAreCappedInAll) {
    TempDir dir;
    Peer alice(
        "alice", dir,
        {"--max-unauthenticated", "16", "--max-per-address", "8", "--handshake-timeout", "60"});
    std::vector<xsock::Descriptor> waiting;
    for (const char* source : {"127.0.0.2", "127.0.0.3"}) {
        for (int i = 0; i < 8; ++i) {
            waiting.push_back(SilentConnection(source, alice.port));
        }
    }
    // The 16 are accepted before the 17th is (one listening queue, in order).
    std::vector<xsock::Descriptor> extra;
    extra.push_back(SilentConnection("127.0.0.4", alice.port));
    BOOST_TEST(WaitClosedCount(extra, 1, std::chrono::seconds(20)) == 1u);
    alice.child.WaitFor(R"(^\* refused 1 connection: too many strangers at once \(at most 16 )"
                        R"(unauthenticated, 8 from one address, 16 waiting for /trust\)$)");
    BOOST_TEST(WaitClosedCount(waiting, 1, std::chrono::milliseconds(0)) == 0u);
}

// A trusted peer opens more links under its own key: each new one is closed
// (one link per peer), and the first one keeps working.
BOOST_AUTO_TEST_CASE(SecondLinksUnderOneKeyAreClosed) {
    TempDir dir;
    Peer alice("alice", dir);
    TrustedStranger mallory(alice, dir);
    for (int i = 0; i < 3; ++i) {
        TlsClient again(alice.port, Config(dir), "mallory");
        messenger::Hello hello;
        hello.id = again.fingerprint;
        hello.name = "mallory";
        again.Write(Wire({&hello}));
        BOOST_TEST(again.WaitClosed());
    }
    mallory.Say(1, "first link still here");
    alice.child.WaitFor("^<mallory> first link still here$");
    alice.child.Send("/peers");
    alice.child.WaitFor(R"(^\* 1 peer: mallory )");
}

// Floods `victim` with 256 KiB lines from a trusted raw client until a line
// matching `dropped` shows (at most 80 MiB; a non-reading peer's socket
// buffers hold some MiB before the victim queues anything). Returns the
// victim's peak memory (VmHWM) in KiB.
long FloodUntilDropped(Peer& victim, const TempDir& dir, const std::string& dropped) {
    TrustedStranger flood(victim, dir, "flood");
    const std::string text(256 << 10, 'x');
    int sent = 0;
    for (; sent < 320 && victim.child.Count(dropped) == 0; ++sent) {
        flood.Say(static_cast<std::uint64_t>(sent + 1), std::to_string(sent) + " " + text);
        victim.child.WaitFor("^<flood> " + std::to_string(sent) + " ", victim.child.LineCount());
    }
    BOOST_TEST_REQUIRE(victim.child.Count(dropped) == 1u, "the sink was never dropped");
    BOOST_TEST(sent * (256 << 10) > (8 << 20));
    std::ifstream status("/proc/" + std::to_string(victim.child.Pid()) + "/status");
    long peakKib = -1;
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("VmHWM:")) {
            peakKib = std::stol(line.substr(6));
        }
    }
    BOOST_TEST_REQUIRE(peakKib > 0);
    BOOST_TEST_MESSAGE("peak " << peakKib << " KiB after " << sent << " lines");
    flood.Say(static_cast<std::uint64_t>(sent + 1), "after the sink");
    victim.child.WaitFor("^<flood> after the sink$");
    return peakKib;
}

// A sanitizer's quarantine holds freed memory back: kept small, so that the
// peak measures what the messenger keeps.
std::vector<std::string> SmallQuarantine() {
    const char* asan = std::getenv("ASAN_OPTIONS");
    return {"/usr/bin/env", "ASAN_OPTIONS=" + std::string(asan != nullptr ? asan : "") +
                                (asan != nullptr ? ":" : "") + "quarantine_size_mb=4"};
}

// A trusted peer that never reads while another floods: alice drops it once
// 8 MiB (--max-queued's default) wait for it, instead of buffering without
// end, and her peak memory stays below kMemoryBoundKib.
BOOST_AUTO_TEST_CASE(NonReadingPeerIsDroppedAndMemoryStaysBounded) {
    TempDir dir;
    Peer alice("alice", dir, {}, SmallQuarantine());
    TrustedStranger sink(alice, dir, "sink");
    long peakKib =
        FloodUntilDropped(alice, dir, R"(^\* sink left \(not reading \([0-9]+ bytes waiting\)\)$)");
    BOOST_TEST(peakKib < kMemoryBoundKib, "alice's peak memory " << peakKib << " KiB");
}

// --max-queued-total: two peers that never read, each under its own mark
// (64 MiB here), together over 8 MiB: the one with the most waiting goes.
BOOST_AUTO_TEST_CASE(QueuedBytesAreBoundedInAll) {
    TempDir dir;
    Peer alice("alice", dir, {"--max-queued", "64", "--max-queued-total", "8"}, SmallQuarantine());
    TrustedStranger sink(alice, dir, "sink");
    TrustedStranger other(alice, dir, "other");
    long peakKib = FloodUntilDropped(
        alice, dir,
        R"(^\* (sink|other) left \(not reading \([0-9]+ bytes waiting, [0-9]+ for all links\)\)$)");
    BOOST_TEST(peakKib < kMemoryBoundKib, "alice's peak memory " << peakKib << " KiB");
}

// Strangers (each its own key) that say hello and wait for /trust: 16 are
// held, the 17th is closed.
BOOST_AUTO_TEST_CASE(StrangersWaitingForTrustAreCapped) {
    TempDir dir;
    Peer alice("alice", dir);
    std::vector<std::unique_ptr<TlsClient>> strangers;
    for (int i = 1; i <= 17; ++i) {
        strangers.push_back(
            std::make_unique<TlsClient>(alice.port, Config(dir), "stranger" + std::to_string(i)));
        messenger::Hello hello;
        hello.id = strangers.back()->fingerprint;
        hello.name = "stranger" + std::to_string(i);
        strangers.back()->Write(Wire({&hello}));
        if (i <= 16) {
            alice.child.WaitFor("^\\* stranger" + std::to_string(i) +
                                R"( \(127\.0\.0\.1:[0-9]+\) is not trusted yet)");
        }
    }
    BOOST_TEST(strangers.back()->WaitClosed());
    alice.child.WaitFor(R"(^\* refused 1 connection: too many strangers at once )");
    BOOST_TEST(alice.child.Count("stranger17") == 0u);
    alice.child.Send("/trust stranger16");
    alice.child.WaitFor(R"(^\* stranger16 joined )");
}

// Two peer lists of 16 ids each are dialled (refused: nothing listens); a
// third right after them finds the minute's 32 dials spent.
BOOST_AUTO_TEST_CASE(PeerListDialsAreRateLimitedOverTime) {
    TempDir dir;
    Peer alice("alice", dir);
    TrustedStranger mallory(alice, dir);
    ClosedPort closed;
    const std::string refused =
        "^\\* could not reach 127\\.0\\.0\\.1:" + std::to_string(closed.Port()) +
        ": Connection refused$";
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 3; ++round) {
        messenger::PeerList list;
        for (int i = 1; i <= 16; ++i) {
            std::string id = std::to_string(round * 100 + i);
            list.peers.push_back({std::string(64 - id.size(), 'a') + id, "127.0.0.1",
                                  static_cast<std::uint16_t>(closed.Port())});
        }
        mallory.client.Send(list);
        if (round < 2) {
            while (alice.child.Count(refused) < 16u * (round + 1)) {
                alice.child.WaitFor("", alice.child.LineCount());
            }
        }
    }
    std::string line = alice.child.WaitFor(R"(^\* mallory's peer list names 16 peers: dialled )"
                                           R"(only [0-9]+ )");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // 32 a minute: what came back into the budget while the test ran.
    const auto allowed = static_cast<std::size_t>(seconds * 32 / 60) + 1;
    const std::size_t third = std::stoul(line.substr(line.find("only ") + 5));
    BOOST_TEST(third <= allowed, "the third list dialled " << third << " in " << seconds << " s");
    mallory.Say(1, "after the lists");
    alice.child.WaitFor("^<mallory> after the lists$");
    BOOST_TEST(alice.child.Count(refused) == 32u + third);
}

// 1,000 spoofed announcements (random ids, a port where nothing listens): no
// one is dialled, at most 16 a second are even read, and a real peer
// announcing itself afterwards is still offered to the user.
BOOST_AUTO_TEST_CASE(SpoofedDiscoveryFloodDialsNobody) {
    TempDir dir;
    const unsigned port = FreeUdpPort();
    std::vector<std::string> discover = {"--discover", "--discover-port", std::to_string(port),
                                         "--discover-interface", "127.0.0.1"};
    Peer alice("alice", dir, discover);
    alice.child.WaitFor(R"(^\* discovering peers by multicast )");
    ClosedPort closed;
    xsock::Descriptor udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::mt19937_64 random(11);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) {
        messenger::Hello spoof;
        char id[65];
        std::snprintf(
            id, sizeof id, "%016llx%016llx%016llx%016llx",
            static_cast<unsigned long long>(random()), static_cast<unsigned long long>(random()),
            static_cast<unsigned long long>(random()), static_cast<unsigned long long>(random()));
        spoof.id = id;
        spoof.name = "spoof";
        spoof.listenPort = static_cast<std::uint16_t>(closed.Port());
        std::string datagram = Wire({&spoof});
        ::sendto(udp.Get(), datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to);
    }
    Peer bob("bob", dir, discover);
    alice.child.WaitFor("^\\* discovered bob at " + Escape(bob.address) + ", key ");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST(alice.child.Count("could not reach") == 0u);
    BOOST_TEST(alice.child.Count("is not trusted yet") == 0u);
    const std::size_t offers = alice.child.Count(R"(^\* discovered spoof at )");
    BOOST_TEST(offers <= static_cast<std::size_t>(16 + 16 * seconds) + 1,
               offers << " offers in " << seconds << " s");
}

BOOST_AUTO_TEST_CASE(BlockingClientChatsThroughOnePeer) {
    TempDir dir;
    Peer alice("alice", dir);
    Peer bob("bob", dir, {"--connect", alice.address, "--code", alice.code});
    bob.child.WaitFor(Joined("alice", alice));
    Child client({"/usr/bin/env", "XDG_CONFIG_HOME=" + Config(dir).string(), kMessenger, "--name",
                  "blocky", "--blocking", alice.address});
    client.WaitFor("^\\* connected to alice, key " + demo::ShortFingerprint(KeyOf(dir, "alice")) +
                   "$");
    alice.child.WaitFor(R"(^\* blocky \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    alice.child.Send("/trust blocky");
    alice.child.WaitFor(R"(^\* blocky joined \(127\.0\.0\.1:[0-9]+\)$)");
    client.Send("from the blocking client");
    alice.child.WaitFor("^<blocky> from the blocking client$");
    bob.child.WaitFor("^<blocky> from the blocking client$");
    bob.child.Send("to the blocking client");
    client.WaitFor("^<bob> to the blocking client$");
    alice.child.Send("/quit");
    client.WaitFor(R"(^\* the peer left$)");
    int status = client.WaitExit();
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

// The --blocking client's one peer is hostile: it relays a line in alice's
// name that alice did not sign, replays her real one, and offers a file. The
// forged line is not shown and the real one is shown once, the offer is
// refused at once with an answer the peer receives, and a peer that relays a
// fourth forgery is left.
BOOST_AUTO_TEST_CASE(BlockingClientChecksRelayedLinesAndRefusesFiles) {
    TempDir dir;
    demo::Signer alice = SignerOf(dir, "messenger-alice");
    const std::string aliceId = KeyOf(dir, "alice");
    const std::string blockyId = KeyOf(dir, "blocky");  // made before its messenger runs
    demo::Signer mallory = SignerOf(dir, "mallory");
    std::string error;
    std::optional<demo::Identity> identity = demo::LoadIdentity("mallory", error);
    BOOST_TEST_REQUIRE(identity.has_value(), error);
    xsock::TlsContext tls =
        xsock::TlsContext::Server(identity->certificate.c_str(), identity->key.c_str());
    tls.AcceptAnyCertificate();

    xsock::Socket listener, link;  // on the thread's loop, made on first use
    listener.SetTimeout(kDeadline);
    link.SetTimeout(kDeadline);
    BOOST_TEST_REQUIRE(listener.Create(0, SOCK_STREAM, "127.0.0.1"));
    BOOST_TEST_REQUIRE(listener.Listen());
    std::string host;
    unsigned port = 0;
    BOOST_TEST_REQUIRE(listener.GetSockName(host, port));
    Child client({"/usr/bin/env", "XDG_CONFIG_HOME=" + Config(dir).string(), kMessenger, "--name",
                  "blocky", "--blocking", "127.0.0.1:" + std::to_string(port)});
    BOOST_TEST_REQUIRE(listener.Accept(link));
    BOOST_TEST_REQUIRE(xsock::StartTls(link, tls));
    xsock::SocketFile file(&link);
    xsock::Archive in(file, xsock::Archive::load);
    xsock::Archive out(file, xsock::Archive::store);
    auto* hello = dynamic_cast<messenger::Hello*>(messenger::ReadMessage(in).release());
    BOOST_TEST_REQUIRE(hello != nullptr);
    delete hello;

    messenger::Hello mine;
    mine.id = identity->fingerprint;
    mine.name = "mallory";
    messenger::Chat genuine = SignedChat(alice, aliceId, 1, "alice", "genuine");
    messenger::Chat forged = SignedChat(mallory, aliceId, 2, "alice", "forged");
    forged.publicKey = genuine.publicKey;
    messenger::FileOffer offer;
    offer.transfer = 7;
    offer.name = "notes.txt";
    offer.size = 5;
    offer.sha256 = std::string(64, '0');
    offer.publicKey = mallory.PublicKey();
    offer.signature =
        mallory.Sign(messenger::OfferSignedBytes(offer, identity->fingerprint, blockyId));
    // `genuine` twice: a replay of alice's line is not shown again.
    for (xsock::Object* message :
         std::vector<xsock::Object*>{&mine, &genuine, &genuine, &forged, &offer}) {
        messenger::WriteMessage(out, *message);
    }
    out.Flush();

    client.WaitFor("^<alice> genuine$");
    client.WaitFor("^\\* dropped a forged line: it claims to be by key " +
                   demo::ShortFingerprint(aliceId) + ", which did not sign it$");
    client.WaitFor("^\\* refused the file notes\\.txt: this client does not take files$");
    std::unique_ptr<xsock::Object> reply = messenger::ReadMessage(in);
    const auto* answer = dynamic_cast<const messenger::FileAnswer*>(reply.get());
    BOOST_TEST_REQUIRE(answer != nullptr);
    BOOST_TEST(answer->transfer == 7u);
    BOOST_TEST(!answer->accepted);

    for (int i = 0; i < 3; ++i) {
        messenger::WriteMessage(out, forged);
    }
    out.Flush();
    client.WaitFor("^\\* leaving: the peer relayed 4 forged lines$");
    int status = client.WaitExit();
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    BOOST_TEST(client.Count("forged$") == 0u);
    BOOST_TEST(client.Count("^<alice> genuine$") == 1u);
}

BOOST_AUTO_TEST_CASE(BadCommandLinesAreRefused) {
    std::string output;
    BOOST_TEST(Run({kMessenger, "--help"}, &output) == 0);
    BOOST_TEST(output.find("--connect") != std::string::npos);
    BOOST_TEST(Run({kMessenger, "--listen", "0"}, &output) == 2);
    BOOST_TEST(output.find("--name NAME is required") != std::string::npos);
    BOOST_TEST(Run({kMessenger, "--name", "x", "--listen", "nowhere"}, &output) == 2);
    BOOST_TEST(Run({kMessenger, "--name", "x", "--bogus"}, &output) == 2);
    for (const char* bound : {"--handshake-timeout", "--max-unauthenticated", "--max-per-address",
                              "--max-queued", "--max-queued-total"}) {
        for (const char* value : {"0", "-1", "ten", "5x"}) {
            BOOST_TEST(Run({kMessenger, "--name", "x", bound, value}, &output) == 2, bound);
            BOOST_TEST(output.find("takes a whole number from 1") != std::string::npos);
        }
    }
    BOOST_TEST(Run({kMessenger, "--name", "x", "--max-bogus", "3"}, &output) == 2);
    // A name that would be shown escaped (it could pass for a system line).
    for (const char* name : {"* bob", "<alice>", "bob\x1b[31m", "al\u202eice"}) {
        BOOST_TEST(Run({kMessenger, "--name", name, "--listen", "0"}, &output) == 2, name);
        BOOST_TEST(output.find("--name NAME is required") != std::string::npos);
    }
}

// The readline UI in a real terminal: an incoming chat is printed above the
// line being typed, which stays as it was; Up recalls earlier lines.
BOOST_AUTO_TEST_CASE(InteractiveLineSurvivesIncomingChatAndHasHistory) {
    TempDir dir;
    Peer alice("alice", dir);
    Tmux tmux(kTmux, dir.Path() / "tmux.sock",
              "XDG_CONFIG_HOME=" + Config(dir).string() + " " + kMessenger +
                  " --name tess --downloads " + (dir.Path() / "tess").string() + " --connect " +
                  alice.address + " --code " + alice.code);
    alice.child.WaitFor(R"(^\* tess joined \(127\.0\.0\.1:[0-9]+\)$)");
    auto contains = [](const std::string& text) {
        return [text](const std::string& screen) { return screen.find(text) != std::string::npos; };
    };
    tmux.WaitForScreen(contains("* alice joined (" + alice.address + ")"), "alice joining");

    tmux.Type("first line");
    tmux.Press("Enter");
    alice.child.WaitFor("^<tess> first line$");

    tmux.Type("partial text");
    tmux.WaitForScreen(contains("tess> partial text"), "the partial line");
    alice.child.Send("incoming message");
    // The chat appears above the prompt, and the prompt line still holds the
    // partial input with the cursor at its end.
    tmux.WaitForScreen(
        [](const std::string& screen) {
            std::vector<std::string> rows = Rows(screen);
            return rows.size() >= 2 && rows[rows.size() - 2] == "<alice> incoming message" &&
                   rows.back() == "tess> partial text";
        },
        "the chat above the intact partial line");
    tmux.WaitForDisplay("#{cursor_x}", std::to_string(std::strlen("tess> partial text")) + "\n");

    // The partial line goes out whole, then Up Up brings back "first line".
    tmux.Press("Enter");
    alice.child.WaitFor("^<tess> partial text$");
    tmux.Press("Up");
    tmux.Press("Up");
    tmux.WaitForScreen(
        [](const std::string& s) {
            return s.rfind("tess> first line") != std::string::npos &&
                   s.rfind("tess> first line") > s.rfind("<alice> incoming message");
        },
        "the recalled line");
    tmux.Press("Enter");
    std::size_t seen = alice.child.LineCount();
    alice.child.WaitFor("^<tess> first line$", seen);

    tmux.Type("/quit");
    tmux.Press("Enter");
    alice.child.WaitFor(R"(^\* tess left$)");
    BOOST_TEST(tmux.WaitForExit() == 0);
}

// A resized terminal (SIGWINCH) is redrawn and keeps going; Ctrl-C (SIGINT)
// says goodbye and exits cleanly.
BOOST_AUTO_TEST_CASE(InteractiveSurvivesResizeAndQuitsOnCtrlC) {
    TempDir dir;
    Peer alice("alice", dir);
    Tmux tmux(kTmux, dir.Path() / "tmux.sock",
              "XDG_CONFIG_HOME=" + Config(dir).string() + " " + kMessenger +
                  " --name tess --downloads " + (dir.Path() / "tess").string() + " --connect " +
                  alice.address + " --code " + alice.code);
    alice.child.WaitFor(R"(^\* tess joined \(127\.0\.0\.1:[0-9]+\)$)");
    // Tess has alice's Hello a moment after alice has hers (TLS: the server
    // finishes its handshake last).
    tmux.WaitForScreen(
        [&](const std::string& screen) {
            return screen.find("* alice joined (" + alice.address + ")") != std::string::npos;
        },
        "alice joining");
    tmux.Type("before");
    tmux.Resize(60, 20);
    tmux.WaitForDisplay("#{pane_width}", "60\n");
    tmux.Type(" and after");
    tmux.Press("Enter");
    alice.child.WaitFor("^<tess> before and after$");
    tmux.Press("C-c");
    alice.child.WaitFor(R"(^\* tess left$)");
    BOOST_TEST(tmux.WaitForExit() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
