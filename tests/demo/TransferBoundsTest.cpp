// xsock-transfer's server (a real process over loopback) against senders that
// speak its protocol by hand, to send what the real sender never would: a
// size claim of 2^62 bytes, two claims at once that fit only one at a time,
// and a second sender (with keys of its own, from 127.0.0.2) going after the
// first one's partial upload. Each sender pairs with the server first.
#include "ChildProcess.h"
#include "PathSafety.h"
#include "TransferProtocol.h"

#include <Identity.h>
#include <Pairing.h>
#include <Sha256.h>
#include <xsock/Archive.h>
#include <xsock/Descriptor.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>
#include <xsock/SocketLoop.h>
#include <xsock/Tls.h>

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace messenger::test;
using namespace transfer;
namespace fs = std::filesystem;

namespace {

const std::string kTransfer = XSOCK_TRANSFER;

std::string MakeFolder(const fs::path& path) {
    fs::create_directory(path);
    return path.string();
}

std::string ReadAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Digest DigestOf(std::string_view bytes) {
    xsock::demo::Sha256 sha;
    sha.Update(bytes.data(), bytes.size());
    return sha.Finish();
}

// Where the next child process or LoadIdentity keeps its keys.
void UseConfig(const fs::path& folder) {
    fs::create_directories(folder);
    ::setenv("XDG_CONFIG_HOME", folder.c_str(), 1);
}

std::vector<std::string> ServeCommand(const fs::path& config, const fs::path& folder,
                                      const std::vector<std::string>& options) {
    UseConfig(config);
    std::vector<std::string> command{kTransfer,       "serve",    "--dir",
                                     folder.string(), "--listen", "127.0.0.1:0"};
    command.insert(command.end(), options.begin(), options.end());
    return command;
}

// The key fingerprint of the sender called `name`, made on first use.
std::string KeyOf(const TempDir& dir, const std::string& name) {
    UseConfig(dir.Path() / name);
    std::string problem;
    std::optional<demo::Identity> identity = demo::LoadIdentity("transfer", problem);
    BOOST_TEST_REQUIRE(identity.has_value(), problem);
    return identity->fingerprint;
}

// `xsock-transfer serve` on a free port of 127.0.0.1, with keys of its own.
struct Server {
    explicit Server(const TempDir& dir, const std::vector<std::string>& options = {})
        : config(dir.Path() / "server-config"),
          folder(MakeFolder(dir.Path() / "dst")),
          child(ServeCommand(config, folder, options)) {
        std::string banner = child.WaitFor(R"( on 127\.0\.0\.1:[0-9]+$)");
        port = static_cast<unsigned>(std::stoul(banner.substr(banner.rfind(':') + 1)));
    }
    // A fresh pairing code for the next sender (serve --pair).
    std::string NewCode() const {
        UseConfig(config);
        Child pair({kTransfer, "serve", "--pair"});
        std::string line = pair.WaitFor("^pairing code: ");
        return line.substr(14, line.find(' ', 14) - 14);
    }
    fs::path config;
    fs::path folder;
    Child child;
    unsigned port = 0;
};

// A hand-driven sender with keys of its own (`name`), connected from `from`
// (any 127.x.y.z address) and paired with the server as the real sender does.
class RawSender {
  public:
    // With `greet` false, the connection stops after its TLS handshake, a
    // stranger to the server until Greet (for a sender paired before).
    RawSender(const char* from, const Server& server, const TempDir& dir, const std::string& name,
              bool greet = true)
        : tls_(xsock::TlsContext::Client()) {
        UseConfig(dir.Path() / name);
        std::string problem;
        std::optional<demo::Identity> identity = demo::LoadIdentity("transfer", problem);
        BOOST_TEST_REQUIRE(identity.has_value(), problem);
        fingerprint_ = identity->fingerprint;
        BOOST_TEST_REQUIRE(
            tls_.UseCertificate(identity->certificate.c_str(), identity->key.c_str()));
        tls_.AcceptAnyCertificate();
        std::string code = greet ? server.NewCode() : std::string();
        socket_.SetTimeout(kDeadline);
        BOOST_TEST_REQUIRE(socket_.Create(0, SOCK_STREAM, from));
        BOOST_TEST_REQUIRE(xsock::StartTls(socket_, tls_));
        BOOST_TEST_REQUIRE(socket_.Connect("127.0.0.1", server.port));
        file_ = std::make_unique<xsock::SocketFile>(&socket_);
        in_ = std::make_unique<xsock::Archive>(*file_, xsock::Archive::load);
        out_ = std::make_unique<xsock::Archive>(*file_, xsock::Archive::store);
        if (greet) {
            Pair(code);
        }
    }

    // The opening Hello of a sender that paired before.
    Result Greet() {
        Send(Hello());
        BOOST_TEST_REQUIRE(NextMessage(*in_) == XSOCK_RUNTIME_CLASS(Result));
        return Read<Result>();
    }

    const std::string& Fingerprint() const { return fingerprint_; }

    // Sends a header; the server answers with a Result (refused) or a ResumeOffset.
    const xsock::RuntimeClass* Offer(const std::string& path, std::uint64_t size) {
        FileHeader header;
        header.path = path;
        header.size = size;
        Send(header);
        return NextMessage(*in_);
    }
    template <class Message>
    Message Read() {
        Message message;
        message.Serialize(*in_);
        return message;
    }
    void Send(const xsock::Object& message) {
        Store(*out_, message);
        out_->Flush();
    }
    void SendBytes(std::uint64_t from, std::string_view bytes) {
        StartAt start;
        start.offset = from;
        Send(start);
        Chunk chunk;
        chunk.bytes.assign(bytes.begin(), bytes.end());
        Send(chunk);
    }
    Result Done(const Digest& digest) {
        FileDone done;
        done.sha256 = digest;
        Send(done);
        BOOST_TEST_REQUIRE(NextMessage(*in_) == XSOCK_RUNTIME_CLASS(Result));
        return Read<Result>();
    }

  private:
    void Pair(const std::string& code) {
        Hello hello;
        hello.pairing = true;
        Send(hello);
        PairProof theirs;
        Expect(*in_, theirs);
        std::string session;
        BOOST_TEST_REQUIRE(
            xsock::ExportKeyingMaterial(socket_, "EXPORTER-xsock-transfer-pairing", 32, session));
        std::string server = xsock::GetTlsInfo(socket_)->peerFingerprint;
        BOOST_TEST_REQUIRE(
            demo::SameProof(std::string(theirs.proof.begin(), theirs.proof.end()),
                            demo::PairingProof(code, "server", session, server, fingerprint_)));
        std::string mine = demo::PairingProof(code, "client", session, server, fingerprint_);
        PairProof proof;
        std::copy(mine.begin(), mine.end(), proof.proof.begin());
        Send(proof);
        BOOST_TEST_REQUIRE(NextMessage(*in_) == XSOCK_RUNTIME_CLASS(Result));
        BOOST_TEST_REQUIRE(Read<Result>().ok);
    }

    xsock::TlsContext tls_;
    std::string fingerprint_;
    xsock::Socket socket_;
    std::unique_ptr<xsock::SocketFile> file_;
    std::unique_ptr<xsock::Archive> in_;
    std::unique_ptr<xsock::Archive> out_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(TransferBounds)

BOOST_AUTO_TEST_CASE(AClaimOf2To62BytesIsRefusedBeforeAnythingIsWritten) {
    xsock::SocketLoop loop;
    TempDir dir;
    Server server(dir);
    RawSender sender("127.0.0.1", server, dir, "owner");
    BOOST_TEST_REQUIRE(sender.Offer("sub/huge.bin", std::uint64_t{1} << 62) ==
                       XSOCK_RUNTIME_CLASS(Result));
    Result refused = sender.Read<Result>();
    BOOST_TEST(!refused.ok);
    BOOST_TEST(refused.message.find("not enough space on the server for 'sub/huge.bin': "
                                    "4611686018427387904 bytes needed") == 0u,
               refused.message);
    BOOST_TEST(fs::is_empty(server.folder), "nothing may be created, not even a folder");
    // The connection goes on: a small file still arrives on it.
    BOOST_TEST_REQUIRE(sender.Offer("small.txt", 5) == XSOCK_RUNTIME_CLASS(ResumeOffset));
    sender.Read<ResumeOffset>();
    sender.SendBytes(0, "small");
    BOOST_TEST(sender.Done(DigestOf("small")).ok);
    BOOST_TEST(ReadAll(server.folder / "small.txt") == "small");
}

BOOST_AUTO_TEST_CASE(SendersAtOnceCannotBePromisedTheSameFreeSpace) {
    xsock::SocketLoop loop;
    TempDir dir;
    Server server(dir);
    struct statvfs disk {};
    BOOST_TEST_REQUIRE(::statvfs(server.folder.c_str(), &disk) == 0);
    // Each claim fits on its own; the two together do not.
    const std::uint64_t claim = static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize / 10 * 6;
    std::optional<RawSender> first(std::in_place, "127.0.0.1", server, dir, "owner");
    BOOST_TEST_REQUIRE(first->Offer("one.bin", claim) == XSOCK_RUNTIME_CLASS(ResumeOffset));
    first->Read<ResumeOffset>();
    {
        RawSender second("127.0.0.2", server, dir, "other");
        BOOST_TEST_REQUIRE(second.Offer("two.bin", claim) == XSOCK_RUNTIME_CLASS(Result));
        Result refused = second.Read<Result>();
        BOOST_TEST(!refused.ok);
        BOOST_TEST(refused.message.find(" promised to other files") != std::string::npos,
                   refused.message);
    }
    // The promise ends with the first sender's connection.
    first.reset();
    server.child.WaitFor(R"(^connection from 127\.0\.0\.1:[0-9]+ ended)");
    RawSender again("127.0.0.2", server, dir, "other");
    BOOST_TEST(again.Offer("two.bin", claim) == XSOCK_RUNTIME_CLASS(ResumeOffset));
}

BOOST_AUTO_TEST_CASE(AnotherSendersResumeStateIsNeitherReadableNorDestructible) {
    xsock::SocketLoop loop;
    TempDir dir;
    Server server(dir);
    std::string mine(300000, '\0');
    std::string theirs(300000, '\0');
    for (std::size_t i = 0; i < mine.size(); ++i) {
        mine[i] = static_cast<char>(i * 7 + 1);
        theirs[i] = static_cast<char>(i * 13 + 5);
    }
    const fs::path part = server.folder / kPartsFolder / PartName(KeyOf(dir, "owner"), "f.bin");
    {
        RawSender owner("127.0.0.1", server, dir, "owner");
        BOOST_TEST_REQUIRE(owner.Offer("f.bin", mine.size()) == XSOCK_RUNTIME_CLASS(ResumeOffset));
        owner.Read<ResumeOffset>();
        owner.SendBytes(0, std::string_view(mine).substr(0, 100000));
    }  // the owner's connection breaks here
    server.child.WaitFor("^interrupted 'f\\.bin' from 127\\.0\\.0\\.1:[0-9]+ at 100000 ");
    BOOST_TEST_REQUIRE(fs::file_size(part) == 100000u);

    {
        // Another sender is offered nothing to resume: no size, no digest.
        RawSender other("127.0.0.2", server, dir, "other");
        BOOST_TEST_REQUIRE(other.Offer("f.bin", mine.size()) == XSOCK_RUNTIME_CLASS(ResumeOffset));
        ResumeOffset offered = other.Read<ResumeOffset>();
        BOOST_TEST(offered.offset == 0u);
        BOOST_TEST((offered.prefix == Digest{}));
        // Asking to resume where the owner stopped is a protocol error.
        other.SendBytes(100000, "x");
    }
    server.child.WaitFor(
        "^connection from 127\\.0\\.0\\.2:[0-9]+ ended: the sender asked to start "
        "at 100000, not at the offered 0$");
    {
        // A whole upload of the same path by the other sender leaves the
        // owner's partial file as it was.
        RawSender other("127.0.0.2", server, dir, "other");
        BOOST_TEST_REQUIRE(other.Offer("f.bin", theirs.size()) ==
                           XSOCK_RUNTIME_CLASS(ResumeOffset));
        BOOST_TEST(other.Read<ResumeOffset>().offset == 0u);
        other.SendBytes(0, theirs);
        BOOST_TEST(other.Done(DigestOf(theirs)).ok);
    }
    BOOST_TEST((ReadAll(server.folder / "f.bin") == theirs));
    BOOST_TEST((ReadAll(part) == mine.substr(0, 100000)));

    // The owner still resumes from its own bytes.
    RawSender owner("127.0.0.1", server, dir, "owner");
    BOOST_TEST_REQUIRE(owner.Offer("f.bin", mine.size()) == XSOCK_RUNTIME_CLASS(ResumeOffset));
    ResumeOffset offered = owner.Read<ResumeOffset>();
    BOOST_TEST(offered.offset == 100000u);
    BOOST_TEST((offered.prefix == DigestOf(std::string_view(mine).substr(0, 100000))));
    owner.SendBytes(100000, std::string_view(mine).substr(100000));
    BOOST_TEST(owner.Done(DigestOf(mine)).ok);
    BOOST_TEST((ReadAll(server.folder / "f.bin") == mine));
    BOOST_TEST(!fs::exists(part));
}

BOOST_AUTO_TEST_CASE(AQuotaCountsFilesUnderWayAndPartFilesLeftBehind) {
    xsock::SocketLoop loop;
    TempDir dir;
    Server server(dir, {"--quota", "1"});
    const std::uint64_t mib = 1 << 20;
    const std::string bytes(mib, 'q');
    std::optional<RawSender> first(std::in_place, "127.0.0.1", server, dir, "owner");
    BOOST_TEST_REQUIRE(first->Offer("one.bin", mib) == XSOCK_RUNTIME_CLASS(ResumeOffset));
    first->Read<ResumeOffset>();
    {
        // The same sender on a second connection at once: each file fits the
        // quota alone, the two together do not.
        RawSender second("127.0.0.1", server, dir, "owner");
        BOOST_TEST_REQUIRE(second.Offer("two.bin", mib) == XSOCK_RUNTIME_CLASS(Result));
        Result refused = second.Read<Result>();
        BOOST_TEST(!refused.ok);
        BOOST_TEST(
            refused.message.find("this sender's quota of 1048576 bytes would be exceeded") == 0u,
            refused.message);
    }
    // Most of the file, then the connection breaks: the part file stays for a
    // resume, and what it holds counts against the quota.
    first->SendBytes(0, std::string_view(bytes).substr(0, 1000000));
    first.reset();
    server.child.WaitFor("^interrupted 'one\\.bin' from 127\\.0\\.0\\.1:[0-9]+ at 1000000 ");
    {
        RawSender third("127.0.0.1", server, dir, "owner");
        BOOST_TEST_REQUIRE(third.Offer("three.bin", 100000) == XSOCK_RUNTIME_CLASS(Result));
        BOOST_TEST(!third.Read<Result>().ok, "a part file left behind escaped the quota");
    }
    // The sender's own resume still fits: the bytes it holds are not counted twice.
    RawSender resume("127.0.0.1", server, dir, "owner");
    BOOST_TEST_REQUIRE(resume.Offer("one.bin", mib) == XSOCK_RUNTIME_CLASS(ResumeOffset));
    BOOST_TEST(resume.Read<ResumeOffset>().offset == 1000000u);
    resume.SendBytes(1000000, std::string_view(bytes).substr(1000000));
    BOOST_TEST(resume.Done(DigestOf(bytes)).ok);
    BOOST_TEST(fs::file_size(server.folder / "one.bin") == mib);
    BOOST_TEST(!fs::exists(server.folder / "two.bin"));
    BOOST_TEST(!fs::exists(server.folder / "three.bin"));
}

BOOST_AUTO_TEST_CASE(AnAbsurdClaimDoesNotWipeASendersCount) {
    xsock::SocketLoop loop;
    TempDir dir;
    Server server(dir);  // no quota: usage is still counted, for a later one
    RawSender sender("127.0.0.1", server, dir, "owner");
    BOOST_TEST_REQUIRE(sender.Offer("small.txt", 5) == XSOCK_RUNTIME_CLASS(ResumeOffset));
    sender.Read<ResumeOffset>();
    sender.SendBytes(0, "small");
    BOOST_TEST_REQUIRE(sender.Done(DigestOf("small")).ok);
    BOOST_TEST_REQUIRE(sender.Offer("huge.bin", UINT64_MAX) == XSOCK_RUNTIME_CLASS(Result));
    BOOST_TEST(!sender.Read<Result>().ok);
    BOOST_TEST(ReadAll(server.config / "xsock" / "transfer" / "usage.list") ==
               sender.Fingerprint() + " 4096\n");  // a block
}

BOOST_AUTO_TEST_CASE(ACrowdFromAFewAddressesCannotPushOutAPairedSender) {
    xsock::SocketLoop loop;
    TempDir dir;
    Server server(dir);
    RawSender("127.0.0.1", server, dir, "owner");  // pairs, then goes
    // A paired sender between its handshake and its Hello is still a stranger.
    RawSender sender("127.0.0.1", server, dir, "owner", false);
    // Four addresses, each within the bound per address (8), fill the bound
    // in all (32) together with the sender: one of them must make way.
    std::vector<xsock::Descriptor> crowd;
    for (const char* from : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
        for (int i = 0; i < 8; ++i) {
            xsock::Descriptor fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, from, &local.sin_addr);
            sockaddr_in remote{};
            remote.sin_family = AF_INET;
            remote.sin_port = htons(static_cast<std::uint16_t>(server.port));
            ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
            BOOST_TEST_REQUIRE(
                ::bind(fd.Get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0);
            BOOST_TEST_REQUIRE(::connect(fd.Get(), reinterpret_cast<const sockaddr*>(&remote),
                                         sizeof remote) == 0);
            crowd.push_back(std::move(fd));
        }
    }
    std::string dropped = server.child.WaitFor(R"(^dropped 127\.0\.0\.[0-9]+:)");
    BOOST_TEST(dropped.rfind("dropped 127.0.0.1:", 0) != 0u, dropped);
    BOOST_TEST(sender.Greet().ok);
}

BOOST_AUTO_TEST_SUITE_END()
