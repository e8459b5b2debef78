// xsock-messenger's files with consent, end to end: an offer shows who offers
// what and waits for /accept or /reject; nothing is written before /accept,
// never over an existing file, never past the size cap; offers are signed and
// bounded in flight. Peers are processes over loopback (MessengerPeers.h);
// a raw TLS client sends what no messenger would.
#include "MessengerPeers.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace messenger::test;

namespace {

std::string Random(std::size_t size, unsigned seed) {
    std::string bytes(size, '\0');
    std::mt19937 random(seed);
    for (char& byte : bytes) {
        byte = static_cast<char>(random());
    }
    return bytes;
}

std::filesystem::path WriteFile(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

// 64 MiB of zeros that take no disk space: more than loopback's socket
// buffers hold, so a transfer cannot finish while one side is stopped.
std::filesystem::path BigSparseFile(const TempDir& dir) {
    std::filesystem::path path = dir.Path() / "big.bin";
    std::ofstream(path, std::ios::binary).put('\0');
    std::filesystem::resize_file(path, std::uintmax_t{64} << 20);
    return path;
}

// The folder holds nothing (or does not exist): nothing was written.
bool NothingIn(const std::filesystem::path& folder) {
    return !std::filesystem::exists(folder) || std::filesystem::is_empty(folder);
}

std::string OfferLine(const std::string& from, const std::string& key, const std::string& name,
                      std::size_t size, int number) {
    const std::string n = std::to_string(number);
    return "^\\* " + from + " \\(key " + demo::ShortFingerprint(key) + "\\) offers " +
           Escape(name) + " \\(" + std::to_string(size) +
           " bytes, sha256 [0-9a-f]{16}\\): " + "/accept " + n + " or /reject " + n + "$";
}

// Two peers paired through alice's code; bob with `bobOptions`.
struct TwoPeers {
    explicit TwoPeers(std::vector<std::string> bobOptions = {})
        : alice("alice", dir), bob("bob", dir, [&] {
              bobOptions.insert(bobOptions.end(),
                                {"--connect", alice.address, "--code", alice.code});
              return bobOptions;
          }()) {
        alice.child.WaitFor(Joined("bob", bob));
        bob.child.WaitFor(Joined("alice", alice));
    }
    TempDir dir;
    Peer alice, bob;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(MessengerFiles)

// Bob sees who offers what before anything is written; /accept brings it
// whole, and only to bob.
BOOST_FIXTURE_TEST_CASE(FileArrivesWholeOnlyAfterAccept, ThreePeers) {
    const std::string payload = Random(1'500'000, 7);
    std::filesystem::path source = WriteFile(dir.Path() / "payload.bin", payload);

    alice.child.Send("/send bob " + source.string());
    alice.child.WaitFor(R"(^\* offering payload\.bin to bob \(1500000 bytes\); waiting for bob)");
    bob.child.WaitFor(OfferLine("alice", KeyOf(dir, "alice"), "payload.bin", 1'500'000, 1));
    BOOST_TEST(NothingIn(bob.downloads));
    bob.child.Send("/accept 1");
    bob.child.WaitFor(R"(^\* received payload\.bin from alice \(1500000 bytes, sha256 ok\)$)");
    alice.child.WaitFor(R"(^\* sent payload\.bin to bob \(1500000 bytes\)$)");
    alice.child.WaitFor(R"(^\* bob accepted payload\.bin$)");
    BOOST_TEST(alice.child.Count(R"(^\* sending payload\.bin to bob: 100% )") == 1u);
    BOOST_TEST((ReadAll(bob.downloads / "payload.bin") == payload));
    // Only the finished file is left (no partial file), and only bob got it.
    auto entries = std::distance(std::filesystem::directory_iterator(bob.downloads),
                                 std::filesystem::directory_iterator());
    BOOST_TEST(entries == 1);
    BOOST_TEST(NothingIn(carol.downloads));
    // One transfer per offer: a second /accept finds nothing.
    bob.child.Send("/accept 1");
    bob.child.WaitFor(R"(^\* no offer 1 is waiting$)");
    bob.child.Send("thanks");
    alice.child.WaitFor("^<bob> thanks$");
}

// The attack on the old code: an offer followed at once by its chunks wrote
// the file. Now the first chunk of an offer nobody accepted drops the link.
BOOST_AUTO_TEST_CASE(UnsolicitedChunksWriteNothingAndDropTheLink) {
    TempDir dir;
    Peer bob("bob", dir);
    Stranger mallory(bob, dir);
    const std::string content = "unasked for";
    messenger::FileOffer offer = mallory.Offer(1, "notes.txt", content);
    messenger::FileChunk chunk;
    chunk.transfer = 1;
    chunk.data = content;
    mallory.Send({&offer, &chunk});
    bob.child.WaitFor(R"(^\* dropped mallory at 127\.0\.0\.1:[0-9]+: malformed message )"
                      R"(\(chunk of an offer not accepted\)$)");
    BOOST_TEST(mallory.client.WaitClosed());
    BOOST_TEST(NothingIn(bob.downloads));
    bob.child.WaitFor(R"(^\* offer 1 \(notes\.txt from mallory\) withdrawn: the link closed$)");
    bob.child.Send("/accept 1");
    bob.child.WaitFor(R"(^\* no offer 1 is waiting$)");
    BOOST_TEST(NothingIn(bob.downloads));
}

// Accepted bytes that do not match the offered SHA-256 are deleted, never
// given the name.
BOOST_AUTO_TEST_CASE(ChecksumMismatchLeavesNothing) {
    TempDir dir;
    Peer bob("bob", dir);
    Stranger mallory(bob, dir);
    messenger::FileOffer offer = mallory.Offer(1, "setup.sh", "echo hello");
    mallory.Send({&offer});
    bob.child.WaitFor(R"(^\* mallory \(key .*\) offers setup\.sh \(10 bytes, )");
    bob.child.Send("/accept 1");
    bob.child.WaitFor(R"(^\* receiving setup\.sh from mallory \(10 bytes\)$)");
    messenger::FileChunk chunk;
    chunk.transfer = 1;
    chunk.data = "rm -rf ~/x";
    mallory.Send({&chunk});
    bob.child.WaitFor(R"(^\* discarded setup\.sh from mallory \(10 bytes, sha256 mismatch\)$)");
    BOOST_TEST(NothingIn(bob.downloads));
}

// A name that exists in downloads is never overwritten: the file arrives as
// "notes (1).txt", then "notes (2).txt", and the original is intact.
BOOST_FIXTURE_TEST_CASE(AcceptedFileNeverOverwritesOne, TwoPeers) {
    std::filesystem::create_directories(bob.downloads);
    WriteFile(bob.downloads / "notes.txt", "bob's own notes");
    const std::string first = Random(10'000, 1), second = Random(20'000, 2);
    for (const std::string* content : {&first, &second}) {
        std::filesystem::path source = dir.Path() / "notes.txt";
        WriteFile(source, *content);
        std::size_t seen = bob.child.LineCount();
        alice.child.Send("/send bob " + source.string());
        std::string offered = bob.child.WaitFor(R"(^\* alice \(key .*\) offers notes\.txt )", seen);
        bob.child.Send("/accept " + offered.substr(offered.find("/accept ") + 8, 1));
        bob.child.WaitFor(R"(^\* received notes\.txt from alice \([0-9]+ bytes, sha256 ok\), )"
                          R"(saved as notes \()" +
                              std::string(content == &first ? "1" : "2") + R"(\)\.txt$)",
                          seen);
    }
    BOOST_TEST(ReadAll(bob.downloads / "notes.txt") == "bob's own notes");
    BOOST_TEST((ReadAll(bob.downloads / "notes (1).txt") == first));
    BOOST_TEST((ReadAll(bob.downloads / "notes (2).txt") == second));
}

BOOST_FIXTURE_TEST_CASE(RejectTellsTheSenderAndWritesNothing, TwoPeers) {
    std::filesystem::path source = WriteFile(dir.Path() / "spam.txt", "buy now");
    alice.child.Send("/send bob " + source.string());
    bob.child.WaitFor(OfferLine("alice", KeyOf(dir, "alice"), "spam.txt", 7, 1));
    bob.child.Send("/reject 1");
    bob.child.WaitFor(R"(^\* rejected spam\.txt from alice$)");
    alice.child.WaitFor(R"(^\* bob refused spam\.txt \(rejected\)$)");
    bob.child.Send("/accept 1");
    bob.child.WaitFor(R"(^\* no offer 1 is waiting$)");
    BOOST_TEST(NothingIn(bob.downloads));
}

// An offer nobody answers is refused when its time is up (--offer-timeout).
BOOST_AUTO_TEST_CASE(UnansweredOfferExpires) {
    TwoPeers peers({"--offer-timeout", "1"});
    std::filesystem::path source = WriteFile(peers.dir.Path() / "late.txt", "too late");
    peers.alice.child.Send("/send bob " + source.string());
    peers.bob.child.WaitFor(R"(^\* offer 1 \(late\.txt from alice\) expired unanswered$)");
    peers.alice.child.WaitFor(R"(^\* bob refused late\.txt \(not answered in time\)$)");
    peers.bob.child.Send("/accept 1");
    peers.bob.child.WaitFor(R"(^\* no offer 1 is waiting$)");
    BOOST_TEST(NothingIn(peers.bob.downloads));
}

BOOST_AUTO_TEST_CASE(OfferOverTheSizeCapIsRefusedAtAccept) {
    TwoPeers peers({"--max-file", "1"});
    peers.alice.child.Send("/send bob " + BigSparseFile(peers.dir).string());
    peers.bob.child.WaitFor(
        OfferLine("alice", KeyOf(peers.dir, "alice"), "big.bin", std::size_t{64} << 20, 1));
    peers.bob.child.Send("/accept 1");
    peers.bob.child.WaitFor(R"(^\* cannot accept big\.bin: 67108864 bytes is over the )"
                            R"(--max-file limit of 1048576 bytes$)");
    peers.alice.child.WaitFor(R"(^\* bob refused big\.bin \(67108864 bytes is over the )"
                              R"(--max-file limit of 1048576 bytes\)$)");
    BOOST_TEST(NothingIn(peers.bob.downloads));
}

BOOST_AUTO_TEST_CASE(FileOptionsTakeOnlySensibleNumbers) {
    std::string output;
    for (const char* bad : {"0", "-1", "x", "1e3", "604801"}) {
        BOOST_TEST(Run({kMessenger, "--name", "x", "--offer-timeout", bad}, &output) == 2, bad);
        BOOST_TEST(output.find("--offer-timeout takes a number") != std::string::npos);
    }
    BOOST_TEST(Run({kMessenger, "--name", "x", "--max-file", "0"}, &output) == 2);
    BOOST_TEST(Run({kMessenger, "--help"}, &output) == 0);
    BOOST_TEST(output.find("--max-file") != std::string::npos);
}

// Twelve offers at once from one peer: eight wait for an answer, the other
// four are refused at once and the user is told.
BOOST_AUTO_TEST_CASE(OfferFloodPastTheCapIsRefused) {
    TempDir dir;
    Peer bob("bob", dir);
    Stranger mallory(bob, dir);
    std::vector<messenger::FileOffer> offers;
    for (std::uint32_t i = 1; i <= 12; ++i) {
        offers.push_back(mallory.Offer(i, "file" + std::to_string(i) + ".txt", "x"));
    }
    std::vector<xsock::Object*> messages;
    for (messenger::FileOffer& offer : offers) {
        messages.push_back(&offer);
    }
    mallory.Send(messages);
    bob.child.WaitFor(R"(^\* refused file12\.txt from mallory unasked: 8 offers from mallory )"
                      R"(are open already$)");
    BOOST_TEST(bob.child.Count(R"(^\* mallory \(key .*\) offers file[0-9]+\.txt )") == 8u);
    BOOST_TEST(bob.child.Count(R"(^\* refused file[0-9]+\.txt from mallory unasked: )") == 4u);
    bob.child.Send("/accept 9");
    bob.child.WaitFor(R"(^\* no offer 9 is waiting$)");
    BOOST_TEST(NothingIn(bob.downloads));
}

// Offers from many peers are bounded in all: four peers fill the 32 places,
// and a fifth's offer is refused at once.
BOOST_AUTO_TEST_CASE(OffersInAllAreCapped) {
    TempDir dir;
    Peer bob("bob", dir);
    std::vector<std::unique_ptr<Stranger>> strangers;
    for (int peer = 1; peer <= 5; ++peer) {
        auto& stranger = strangers.emplace_back(
            std::make_unique<Stranger>(bob, dir, "m" + std::to_string(peer)));
        std::vector<messenger::FileOffer> offers;
        for (std::uint32_t i = 1; i <= (peer < 5 ? 8u : 1u); ++i) {
            offers.push_back(stranger->Offer(i, "f" + std::to_string(i) + ".txt", "x"));
        }
        std::vector<xsock::Object*> messages;
        for (messenger::FileOffer& offer : offers) {
            messages.push_back(&offer);
        }
        stranger->Send(messages);
        if (peer < 5) {
            bob.child.WaitFor("^\\* m" + std::to_string(peer) + R"( \(key .*\) offers f8\.txt )");
        }
    }
    bob.child.WaitFor(R"(^\* refused f1\.txt from m5 unasked: 32 offers are open already$)");
    BOOST_TEST(bob.child.Count(R"(^\* m[0-9] \(key .*\) offers )") == 32u);
    BOOST_TEST(NothingIn(bob.downloads));
}

// An offer must be signed by the link's own key, for this recipient, over
// exactly the fields it carries.
BOOST_AUTO_TEST_CASE(ForgedOfferSignatureIsRefused) {
    TempDir dir;
    Peer bob("bob", dir);
    const std::string dropped =
        R"(^\* dropped mallory at 127\.0\.0\.1:[0-9]+: malformed message \(an offer not )"
        R"(signed by [0-9a-f ]+\)$)";
    std::vector<std::string> attacks = {"another key", "another recipient", "a changed size"};
    for (std::size_t i = 0; i < attacks.size(); ++i) {
        Stranger mallory(bob, dir);
        messenger::FileOffer offer = mallory.Offer(1, "invoice.pdf", "%PDF");
        if (i == 0) {
            // Signed by a key of its own, which is not the link's.
            demo::Signer sly = SignerOf(dir, "sly");
            offer.publicKey = sly.PublicKey();
            offer.signature = sly.Sign(messenger::OfferSignedBytes(
                offer, mallory.client.fingerprint, mallory.client.peerKey));
        } else if (i == 1) {
            offer.signature = mallory.signer.Sign(messenger::OfferSignedBytes(
                offer, mallory.client.fingerprint, std::string(64, 'c')));
        } else {
            offer.size = 1;
        }
        std::size_t seen = bob.child.LineCount();
        mallory.Send({&offer});
        bob.child.WaitFor(dropped, seen);
        BOOST_TEST(mallory.client.WaitClosed(), attacks[i]);
        BOOST_TEST(bob.child.Count("offers invoice") == 0u, attacks[i]);
    }
    BOOST_TEST(NothingIn(bob.downloads));
}

BOOST_FIXTURE_TEST_CASE(SenderGivesUpWhenTheReceiverIsKilled, ThreePeers) {
    alice.child.Send("/send bob " + BigSparseFile(dir).string());
    bob.child.WaitFor(OfferLine("alice", KeyOf(dir, "alice"), "big.bin", 67108864, 1));
    // Alice stopped: bob's acceptance and his death reach her together.
    alice.child.Kill(SIGSTOP);
    bob.child.Send("/accept 1");
    bob.child.WaitFor(R"(^\* receiving big\.bin from alice \(67108864 bytes\)$)");
    bob.child.Kill(SIGKILL);
    bob.child.WaitExit();
    alice.child.Kill(SIGCONT);
    alice.child.WaitFor(R"(^\* gave up sending big\.bin to bob$)");
    alice.child.WaitFor(R"(^\* bob left)");
    BOOST_TEST(alice.child.Count(R"(^\* sent big\.bin)") == 0u);
    alice.child.Send("still here");
    carol.child.WaitFor("^<alice> still here$");
}

BOOST_FIXTURE_TEST_CASE(ReceiverDiscardsThePartialFileWhenTheSenderIsKilled, ThreePeers) {
    alice.child.Send("/send bob " + BigSparseFile(dir).string());
    bob.child.WaitFor(OfferLine("alice", KeyOf(dir, "alice"), "big.bin", 67108864, 1));
    bob.child.Send("/accept 1");
    bob.child.WaitFor(R"(^\* receiving big\.bin from alice: 25% )");
    alice.child.Kill(SIGKILL);
    alice.child.WaitExit();
    bob.child.WaitFor(R"(^\* gave up receiving big\.bin \([0-9]+ of 67108864 bytes arrived\)$)");
    bob.child.WaitFor(R"(^\* alice left)");
    BOOST_TEST(std::filesystem::is_empty(bob.downloads));
    bob.child.Send("still here");
    carol.child.WaitFor("^<bob> still here$");
}

// A partial file that a killed messenger left (old, and locked by no one) is
// removed when the next one starts; other files stay.
BOOST_AUTO_TEST_CASE(StalePartialFilesAreRemovedAtStart) {
    TempDir dir;
    const std::filesystem::path downloads = dir.Path() / "bob-downloads";
    std::filesystem::create_directories(downloads);
    const std::filesystem::path stale = WriteFile(downloads / ".xsock-part-0123456789abcdef", "x");
    std::filesystem::last_write_time(
        stale, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    WriteFile(downloads / ".xsock-part-fedcba9876543210", "written just now");
    WriteFile(downloads / "keep.txt", "mine");
    Peer bob("bob", dir);
    bob.child.WaitFor("^\\* removed 1 stale partial file from " + Escape(downloads.string()) + "$");
    BOOST_TEST(!std::filesystem::exists(stale));
    BOOST_TEST(std::filesystem::exists(downloads / ".xsock-part-fedcba9876543210"));
    BOOST_TEST(ReadAll(downloads / "keep.txt") == "mine");
}

// The readline UI: the offer is shown above the prompt, and /accept typed
// there brings the file.
BOOST_AUTO_TEST_CASE(InteractiveAcceptBringsTheFile) {
    TempDir dir;
    Peer alice("alice", dir);
    const std::filesystem::path downloads = dir.Path() / "tess";
    Tmux tmux(kTmux, dir.Path() / "tmux.sock",
              "XDG_CONFIG_HOME=" + Config(dir).string() + " " + kMessenger +
                  " --name tess --downloads " + downloads.string() + " --connect " + alice.address +
                  " --code " + alice.code);
    alice.child.WaitFor(R"(^\* tess joined \(127\.0\.0\.1:[0-9]+\)$)");
    auto contains = [](const std::string& text) {
        return [text](const std::string& screen) { return screen.find(text) != std::string::npos; };
    };
    tmux.WaitForScreen(contains("* alice joined (" + alice.address + ")"), "alice joining");
    const std::string payload = Random(300'000, 3);
    alice.child.Send("/send tess " + WriteFile(dir.Path() / "photo.jpg", payload).string());
    tmux.WaitForScreen(contains("offers photo.jpg (300000 bytes, sha256 "), "the offer");
    // (The line wraps at the pane's 100 columns.)
    tmux.WaitForScreen(contains("or /reject 1"), "how to answer it");
    BOOST_TEST(NothingIn(downloads));
    tmux.Type("/accept 1");
    tmux.Press("Enter");
    alice.child.WaitFor(R"(^\* sent photo\.jpg to tess \(300000 bytes\)$)");
    tmux.WaitForScreen(contains("* received photo.jpg from alice (300000 bytes, sha256 ok)"),
                       "the file received");
    BOOST_TEST((ReadAll(downloads / "photo.jpg") == payload));
    tmux.Type("/quit");
    tmux.Press("Enter");
    BOOST_TEST(tmux.WaitForExit() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
