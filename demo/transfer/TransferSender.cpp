// Walking the paths to send, and one file's exchange with the server.
#include "TransferSender.h"

#include "BlockPipeline.h"
#include "Progress.h"
#include "TransferProtocol.h"

#include <Identity.h>
#include <Pairing.h>
#include <SafeText.h>
#include <Sha256.h>
#include <xsock/Archive.h>
#include <xsock/Descriptor.h>
#include <xsock/FileException.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>
#include <xsock/Tls.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace transfer {

namespace {

namespace fs = std::filesystem;

struct Entry {
    fs::path local;
    std::string remote;  // '/'-separated, relative to the server's folder
    bool folder = false;
};

// Warnings quote the server's texts, which are made safe to print.
void Warn(const std::string& message) {
    std::cerr << "xsock-transfer: " << xsock::demo::SafeText(message) << "\n";
}

// A folder's contents, folders before what they hold, in name order so
// that runs are repeatable.
void Walk(const fs::path& folder, const std::string& remote, std::vector<Entry>& entries) {
    std::vector<fs::directory_entry> children(fs::directory_iterator(folder), {});
    std::sort(children.begin(), children.end());
    for (const fs::directory_entry& child : children) {
        std::string name = remote + "/" + child.path().filename().string();
        fs::file_status status = child.symlink_status();
        if (fs::is_directory(status)) {
            entries.push_back({child.path(), name, true});
            Walk(child.path(), name, entries);
        } else if (fs::is_regular_file(status)) {
            entries.push_back({child.path(), name, false});
        } else {
            Warn("skipping " + child.path().string() +
                 (fs::is_symlink(status) ? ": symbolic links are not sent" : ": not a file"));
        }
    }
}

std::vector<Entry> Collect(const SendOptions& options) {
    std::vector<Entry> entries;
    for (const std::string& path : options.paths) {
        fs::path local(path);
        std::string name = options.as
                               ? *options.as
                               : fs::weakly_canonical(fs::absolute(local)).filename().string();
        fs::file_status status = fs::status(local);  // a link named on the command line is followed
        if (fs::is_directory(status)) {
            entries.push_back({local, name, true});
            Walk(local, name, entries);
        } else if (fs::is_regular_file(status)) {
            entries.push_back({local, name, false});
        } else {
            throw std::runtime_error(path + (fs::exists(status) ? ": not a file or folder"
                                                                : ": no such file or folder"));
        }
    }
    return entries;
}

// The chunks this side sends (the protocol allows up to kMaxChunk): small
// enough that the few in flight between the threads of either side stay in
// the CPU's cache, as 1 MiB chunks did not (the server spent a fifth more
// CPU per byte with them).
constexpr std::uint64_t kSendChunk = std::uint64_t{128} << 10;
// Chunks waiting to be hashed in the background at most.
constexpr std::size_t kHashBuffers = 4;

class Session {
  public:
    Session(xsock::Socket& socket, const SendOptions& options)
        : file_(&socket),
          in_(file_, xsock::Archive::load),
          out_(file_, xsock::Archive::store),
          options_(options),
          progress_(::isatty(STDERR_FILENO) == 1) {}

    // The opening Hello, and pairing when there is a code; true once the
    // server accepts this sender.
    bool Greet(xsock::Socket& socket, const std::string& myFingerprint,
               const demo::KnownPeers& known) {
        Hello hello;
        hello.pairing = options_.code.has_value();
        Store(out_, hello);
        out_.Flush();
        const xsock::RuntimeClass* reply = NextMessage(in_);
        if (reply == XSOCK_RUNTIME_CLASS(Result)) {
            Result result;
            result.Serialize(in_);
            if (!result.ok) {
                Warn("the server refused this sender: " + result.message);
            }
            return result.ok;
        }
        if (!hello.pairing || reply != XSOCK_RUNTIME_CLASS(PairProof)) {
            throw std::runtime_error(std::string("unexpected reply ") + reply->Name());
        }
        PairProof theirs;
        theirs.Serialize(in_);
        std::string session;
        std::string server = xsock::GetTlsInfo(socket)->peerFingerprint;
        if (!xsock::ExportKeyingMaterial(socket, "EXPORTER-xsock-transfer-pairing", 32, session)) {
            throw std::runtime_error("cannot derive the session's keying material");
        }
        std::string expected =
            demo::PairingProof(*options_.code, "server", session, server, myFingerprint);
        if (!demo::SameProof(std::string(theirs.proof.begin(), theirs.proof.end()), expected)) {
            // Our own proof is never sent to a server that could not prove the code.
            Warn("pairing failed: the code is wrong, or someone between here and " + options_.to +
                 " is not the server; nothing was sent");
            return false;
        }
        std::string mine =
            demo::PairingProof(*options_.code, "client", session, server, myFingerprint);
        PairProof proof;
        std::copy(mine.begin(), mine.end(), proof.proof.begin());
        Store(out_, proof);
        out_.Flush();
        Result result;
        Expect(in_, result);
        if (!result.ok) {
            Warn("pairing failed: " + result.message);
            return false;
        }
        demo::KnownPeers pinned = known;
        if (!pinned.Add(server, options_.to)) {
            Warn("paired, but cannot save the server's key");
            return false;
        }
        std::cout << "paired with the server at " << options_.to << ", key "
                  << demo::ShortFingerprint(server) << std::endl;
        return true;
    }

    bool SendFolder(const Entry& entry) {
        DirectoryEntry message;
        message.path = entry.remote;
        struct stat info {};
        message.mode = ::stat(entry.local.c_str(), &info) == 0 ? info.st_mode & 07777 : 0755;
        Store(out_, message);
        out_.Flush();
        return Report(entry.remote, "folder");
    }

    bool SendFile(const Entry& entry) {
        xsock::Descriptor fd(::open(entry.local.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat info {};
        if (!fd.IsOpen() || ::fstat(fd.Get(), &info) != 0) {
            Warn(entry.local.string() + ": " + std::strerror(errno));
            return false;
        }
        FileHeader header;
        header.path = entry.remote;
        header.size = static_cast<std::uint64_t>(info.st_size);
        header.mode = info.st_mode & 07777;
        header.mtimeSeconds = info.st_mtim.tv_sec;
        header.mtimeNanoseconds = static_cast<std::uint32_t>(info.st_mtim.tv_nsec);
        Store(out_, header);
        out_.Flush();
        const xsock::RuntimeClass* reply = NextMessage(in_);
        if (reply == XSOCK_RUNTIME_CLASS(Result)) {
            return Refused(entry.remote);
        }
        ResumeOffset resume;
        if (reply != XSOCK_RUNTIME_CLASS(ResumeOffset)) {
            throw std::runtime_error(std::string("unexpected reply ") + reply->Name());
        }
        resume.Serialize(in_);
        xsock::demo::Sha256 sha;
        StartAt start;
        if (resume.offset > 0 && resume.offset <= header.size &&
            HashPrefix(fd.Get(), entry, resume, sha)) {
            start.offset = resume.offset;
        }
        Store(out_, start);
        // Hashing overlaps reading and sending the next chunks (BlockPipeline.h).
        BlockPipeline hasher(
            {[&sha](const char* data, std::size_t length) { sha.Update(data, length); }},
            kHashBuffers);
        progress_.Start(entry.remote, header.size, start.offset);
        auto began = std::chrono::steady_clock::now();
        for (std::uint64_t at = start.offset; at < header.size;) {
            auto length =
                static_cast<std::size_t>(std::min<std::uint64_t>(kSendChunk, header.size - at));
            chunk_.bytes.resize(length);
            ReadAt(fd.Get(), entry, chunk_.bytes.data(), length, at);
            Store(out_, chunk_);
            hasher.Hand(chunk_.bytes);
            at += length;
            progress_.Advance(length);
            if (options_.limitRate > 0) {
                auto due = std::chrono::duration<double>(static_cast<double>(at - start.offset) /
                                                         static_cast<double>(options_.limitRate));
                std::this_thread::sleep_until(
                    began + std::chrono::duration_cast<std::chrono::nanoseconds>(due));
            }
        }
        hasher.Drain();
        FileDone done;
        done.sha256 = sha.Finish();
        Store(out_, done);
        out_.Flush();
        return Report(entry.remote, "sent");
    }

  private:
    // Hashes this file's first resume.offset bytes into `sha` and says
    // whether they match what the server holds; if not, `sha` starts over.
    bool HashPrefix(int fd, const Entry& entry, const ResumeOffset& resume,
                    xsock::demo::Sha256& sha) {
        xsock::demo::Sha256 check;
        for (std::uint64_t at = 0; at < resume.offset;) {
            auto length =
                static_cast<std::size_t>(std::min<std::uint64_t>(kMaxChunk, resume.offset - at));
            chunk_.bytes.resize(length);
            ReadAt(fd, entry, chunk_.bytes.data(), length, at);
            check.Update(chunk_.bytes.data(), length);
            sha.Update(chunk_.bytes.data(), length);
            at += length;
        }
        if (check.Finish() == resume.prefix) {
            return true;
        }
        std::cout << "restarting " << entry.remote
                  << ": the server's partial copy differs from this file" << std::endl;
        sha.Finish();
        return false;
    }

    static void ReadAt(int fd, const Entry& entry, char* data, std::size_t length,
                       std::uint64_t at) {
        for (std::size_t done = 0; done < length;) {
            ssize_t n = ::pread(fd, data + done, length - done, static_cast<off_t>(at + done));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                throw std::runtime_error(entry.local.string() +
                                         (n < 0 ? std::string(": ") + std::strerror(errno)
                                                : std::string(": the file shrank while sending")));
            }
            done += static_cast<std::size_t>(n);
        }
    }

    bool Report(const std::string& name, const char* what) {
        const xsock::RuntimeClass* reply = NextMessage(in_);
        if (reply != XSOCK_RUNTIME_CLASS(Result)) {
            throw std::runtime_error(std::string("unexpected reply ") + reply->Name());
        }
        Result result;
        result.Serialize(in_);
        if (!result.ok) {
            progress_.Finish("failed");
            Warn(name + ": the server refused it: " + result.message);
            return false;
        }
        if (std::string(what) == "folder") {
            std::cout << "folder " << name << std::endl;
        } else {
            progress_.Finish(what);
        }
        return true;
    }

    bool Refused(const std::string& name) {
        Result result;
        result.Serialize(in_);
        Warn(name + ": the server refused it: " + result.message);
        return false;
    }

    xsock::SocketFile file_;
    xsock::Archive in_;
    xsock::Archive out_;
    const SendOptions& options_;
    Progress progress_;
    Chunk chunk_;
};

}  // namespace

int RunSender(const SendOptions& options) {
    std::vector<Entry> entries;
    try {
        entries = Collect(options);
    } catch (const std::exception& e) {
        Warn(e.what());
        return 1;
    }
    std::error_code error;
    std::vector<xsock::SocketAddress> candidates =
        xsock::SocketAddress::Lookup(options.to, SOCK_STREAM, error);
    if (candidates.empty()) {
        Warn("bad address '" + options.to + "': " + error.message() +
             " (use HOST:PORT, 127.0.0.1:PORT or [::1]:PORT)");
        return 2;
    }
    std::string problem;
    std::optional<demo::Identity> identity = demo::LoadIdentity("transfer", problem);
    if (!identity) {
        Warn(problem);
        return 1;
    }
    demo::KnownPeers known(identity->folder + "/known-servers.list");
    std::optional<std::string> pinned = known.Find(options.to);
    if (options.code && demo::NormalizeCode(*options.code).empty()) {
        Warn("'" + *options.code + "' is not a pairing code (it looks like XXXX-XXXX-XXXX)");
        return 2;
    }
    if (!pinned && !options.code) {
        Warn("the server at " + options.to +
             " is not known yet: pair once with --code CODE, the code it printed when it "
             "started ('xsock-transfer serve --pair' prints a new one)");
        return 1;
    }
    xsock::TlsContext tls = xsock::TlsContext::Client();
    if (!tls.UseCertificate(identity->certificate.c_str(), identity->key.c_str())) {
        Warn("cannot use the key pair in " + identity->folder + ": " +
             xsock::AsyncSocket::GetLastErrorCode().message());
        return 1;
    }
    if (pinned) {
        tls.PinPeer(*pinned);  // the pin decides: a different key is refused
    } else {
        tls.AcceptAnyCertificate();  // pairing: the code's proof decides
    }
    xsock::Socket socket;
    socket.SetTimeout(options.timeout);
    if (!socket.Create() || !xsock::StartTls(socket, tls, nullptr) || !socket.Connect(candidates)) {
        std::string reason = xsock::AsyncSocket::GetLastErrorCode().message();
        if (pinned && reason.find("pinned") != std::string::npos) {
            Warn("WARNING: the server at " + options.to +
                 " did not present the key it had when you paired with it.\n"
                 "Someone may be intercepting the connection, or the server was set up again.\n"
                 "Nothing was sent. If you are sure the server changed, remove its line from " +
                 known.File() + " and pair again with --code.");
            return 1;
        }
        Warn("cannot connect to " + options.to + ": " + reason);
        return 1;
    }
    bool allArrived = true;
    try {
        Session session(socket, options);
        if (!session.Greet(socket, identity->fingerprint, known)) {
            return 1;
        }
        for (const Entry& entry : entries) {
            allArrived &= entry.folder ? session.SendFolder(entry) : session.SendFile(entry);
        }
    } catch (const xsock::ArchiveException& e) {
        Warn(e.m_cause == xsock::ArchiveException::endOfFile
                 ? std::string("the server closed the connection")
                 : std::string("bad reply from the server: ") + e.what());
        return 1;
    } catch (const std::exception& e) {
        Warn(e.what());
        return 1;
    }
    return allArrived ? 0 : 1;
}

}  // namespace transfer
