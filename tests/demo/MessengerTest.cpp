// xsock-messenger end to end: real processes talking over loopback. Peers run
// in line mode with piped stdin/stdout; one test drives the interactive
// (readline) UI inside tmux and reads the screen. The binary's path and
// tmux's come from the build (XSOCK_MESSENGER, XSOCK_TMUX).
#include "MessengerPeers.h"

#include <xsock/Archive.h>
#include <xsock/File.h>

#include <boost/test/unit_test.hpp>

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
    TrustedStranger(Peer& peer, const TempDir& dir) : client(peer.port, Config(dir), "mallory") {
        messenger::Hello hello;
        hello.id = client.fingerprint;
        hello.name = "mallory";
        client.Write(Wire({&hello}));
        peer.child.WaitFor(R"(^\* mallory \(127\.0\.0\.1:[0-9]+\) is not trusted yet)");
        peer.child.Send("/trust mallory");
        peer.child.WaitFor(R"(^\* mallory joined )");
    }
    void Say(std::uint64_t sequence, const std::string& text) {
        messenger::Chat chat;
        chat.origin = client.fingerprint;
        chat.sequence = sequence;
        chat.name = "mallory";
        chat.text = text;
        client.Write(Wire({&chat}));
    }
    TlsClient client;
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
    mallory.client.Write(Wire({&list}));
    alice.child.WaitFor(R"(^\* mallory's peer list names 100 peers: dialled only 16$)");
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
    mallory.client.Write(Wire({&list}));
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
    messenger::Chat chat;
    chat.origin = mallory.fingerprint;
    chat.sequence = 1;
    chat.name = "<alice>";
    chat.text =
        "hi\x1b[2J\n* bob left \xc2\x9b"
        "31m \x9b"
        "1m \u202egnp.exe \xc0\xaf\x7f";
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
    // Discovery only offers a stranger: each side decides to trust the other.
    one.child.WaitFor(R"(^\* two \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    two.child.WaitFor(R"(^\* one \(127\.0\.0\.1:[0-9]+\) is not trusted yet, key )");
    one.child.Send("/trust two");
    two.child.Send("/trust one");
    one.child.WaitFor(Joined("two", two));
    two.child.WaitFor(Joined("one", one));
    one.child.Send("found you");
    two.child.WaitFor("^<one> found you$");
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

BOOST_AUTO_TEST_CASE(BadCommandLinesAreRefused) {
    std::string output;
    BOOST_TEST(Run({kMessenger, "--help"}, &output) == 0);
    BOOST_TEST(output.find("--connect") != std::string::npos);
    BOOST_TEST(Run({kMessenger, "--listen", "0"}, &output) == 2);
    BOOST_TEST(output.find("--name NAME is required") != std::string::npos);
    BOOST_TEST(Run({kMessenger, "--name", "x", "--listen", "nowhere"}, &output) == 2);
    BOOST_TEST(Run({kMessenger, "--name", "x", "--bogus"}, &output) == 2);
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
