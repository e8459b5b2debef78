// The server's accept loop and one connection's session.
#include "TransferServer.h"

#include "PartFile.h"
#include "PathSafety.h"
#include "TransferProtocol.h"

#include <Pairing.h>
#include <SafeText.h>
#include <xsock/Archive.h>
#include <xsock/FileException.h>
#include <xsock/SocketFile.h>
#include <xsock/SocketLoop.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>

namespace transfer {

// A blocking Socket whose calls share one deadline: a message must arrive
// whole by then, however its bytes are spread out.
class SessionSocket : public xsock::Socket {
  public:
    void Until(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }
    void Within(std::chrono::milliseconds limit) {
        Until(limit.count() > 0 ? std::chrono::steady_clock::now() + limit
                                : std::chrono::steady_clock::time_point::max());
    }
    int Receive(void* buffer, int length, int flags = 0) override {
        return Bounded() ? Socket::Receive(buffer, length, flags) : xsock::SOCKET_ERROR;
    }
    int Send(const void* buffer, int length, int flags = 0) override {
        return Bounded() ? Socket::Send(buffer, length, flags) : xsock::SOCKET_ERROR;
    }

  private:
    bool Bounded() {
        if (deadline_ == std::chrono::steady_clock::time_point::max()) {
            SetTimeout(std::chrono::milliseconds(0));
            return true;
        }
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ -
                                                                 std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            SetLastError(std::make_error_code(std::errc::timed_out));
            return false;
        }
        SetTimeout(left);
        return true;
    }

    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
};

// Holds a connection's place in the admission count while its worker runs;
// destroyed before the descriptor is closed, so an eviction never reaches a
// descriptor number that was reused.
class TransferServer::Registration {
  public:
    Registration(TransferServer& server, std::uint64_t id) : server_(server), id_(id) {}
    ~Registration() {
        std::lock_guard lock(server_.connectionsMutex_);
        server_.connections_.remove_if([this](const Connection& c) { return c.id == id_; });
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

  private:
    TransferServer& server_;
    std::uint64_t id_;
};

namespace {

// Creates a DirectoryEntry's folders; empty on success. The owner keeps
// rwx so that the folder's contents, sent after it, can still be written;
// the umask applies, and others never get write access.
std::string MakeDirectory(int root, const DirectoryEntry& entry, const ServeLimits& limits,
                          std::size_t& created) {
    if (std::string problem = CheckRelativePath(entry.path); !problem.empty()) {
        return problem;
    }
    const std::vector<std::string> components = SplitPath(entry.path);
    if (std::string problem =
            CheckInodes(root, entry.path, components.size(), limits.reserveInodes);
        !problem.empty()) {
        return problem;
    }
    std::string problem;
    xsock::Descriptor folder = OpenFolders(root, components, true, problem, &created);
    if (!folder.IsOpen()) {
        return problem;
    }
    const mode_t mode =
        ((entry.mode & 0777 & ~limits.umask) | 0700) & ~static_cast<mode_t>(S_IWOTH);
    if (::fchmod(folder.Get(), mode) != 0) {
        return "cannot set the mode of '" + entry.path + "': " + std::strerror(errno);
    }
    return {};
}

// Runs `action` when it goes out of scope, however that happens.
template <class Action>
class AtExit {
  public:
    explicit AtExit(Action action) : action_(std::move(action)) {}
    ~AtExit() { action_(); }
    AtExit(const AtExit&) = delete;
    AtExit& operator=(const AtExit&) = delete;

  private:
    Action action_;
};

void Reply(xsock::Archive& out, bool ok, std::string message) {
    Result result;
    result.ok = ok;
    result.message = std::move(message);
    Store(out, result);
    out.Flush();
}

}  // namespace

TransferServer::TransferServer(ServerOptions options, Log log)
    : options_(std::move(options)),
      log_(std::move(log)),
      quota_(options_.usageFile, options_.quotaBytes) {}

TransferServer::~TransferServer() {
    if (sweeper_.joinable()) {
        {
            std::lock_guard lock(sweepMutex_);
            stopping_ = true;
        }
        sweepWake_.notify_all();
        sweeper_.join();
    }
    for (Worker& worker : workers_) {
        worker.thread.join();
    }
}

bool TransferServer::Start(const xsock::SocketAddress& address, std::string& error) {
    root_ = xsock::Descriptor(::open(options_.folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_.IsOpen()) {
        error = "cannot serve folder '" + options_.folder + "': " + std::strerror(errno);
        return false;
    }
    try {
        tls_.emplace(xsock::TlsContext::Server(options_.identity.certificate.c_str(),
                                               options_.identity.key.c_str()));
    } catch (const std::system_error& e) {
        error =
            std::string("cannot use the key pair in ") + options_.identity.folder + ": " + e.what();
        return false;
    }
    tls_->AcceptAnyCertificate();  // senders are known by key: the authorized list
    tls_->SetHandshakeTimeout(options_.handshakeTimeout);
    // Files arrive as a fast stream: a quarter of the reads of one record each,
    // for 128 KiB per connection (of which there are few).
    tls_->SetReadBufferSize(std::size_t{128} << 10);
    if (!listener_.Create(address) || !listener_.Listen()) {
        error = "cannot listen on " + address.ToString() + ": " +
                xsock::AsyncSocket::GetLastErrorCode().message();
        return false;
    }
    SweepParts();
    sweeper_ = std::thread([this] {
        std::unique_lock lock(sweepMutex_);
        while (!sweepWake_.wait_for(lock, limits_.SweepInterval(), [this] { return stopping_; })) {
            lock.unlock();
            SweepParts();
            lock.lock();
        }
    });
    return true;
}

void TransferServer::SweepParts() {
    if (std::size_t removed = RemoveStaleParts(root_.Get(), limits_.partMaxAge); removed > 0) {
        Say("removed " + std::to_string(removed) + " partial file" + (removed == 1 ? "" : "s") +
            " untouched for over " + std::to_string(limits_.partMaxAge.count()) + " s");
    }
}

std::string TransferServer::CheckBounds(const std::string& path, std::uint64_t& entries) const {
    if (++entries > limits_.maxEntries) {
        return "more than " + std::to_string(limits_.maxEntries) +
               " files and folders on one connection";
    }
    if (static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')) >= limits_.maxDepth) {
        return "the path is more than " + std::to_string(limits_.maxDepth) + " levels deep";
    }
    return {};
}

xsock::SocketAddress TransferServer::LocalAddress() {
    xsock::SocketAddress bound;
    listener_.GetSockName(bound);
    return bound;
}

int TransferServer::Run() {
    for (;;) {
        xsock::AsyncSocket connection;
        xsock::SocketAddress peer;
        if (!listener_.Accept(connection, &peer)) {
            int error = xsock::AsyncSocket::GetLastError();
            if (error == EMFILE || error == ENFILE || error == ECONNABORTED) {
                continue;  // the library holds OnAccept back; the connection waits
            }
            Say("accept failed: " + xsock::AsyncSocket::GetLastErrorCode().message());
            return 1;
        }
        JoinFinished();
        std::uint64_t id = 0;
        if (!Admit(peer, connection.Handle(), id)) {
            SayAboutStranger("turned away " + peer.ToString() + ": already serving " +
                             std::to_string(options_.maxSenders) + " senders");
            continue;  // `connection` closes as it goes out of scope
        }
        xsock::SOCKET handle = connection.Detach();
        auto finished = std::make_shared<std::atomic<bool>>(false);
        workers_.push_back({std::thread([this, handle, finished, id, name = peer.ToString()] {
                                Serve(handle, name, id);
                                finished->store(true);
                            }),
                            finished});
    }
}

// Counts the new connection as a stranger, evicting the oldest stranger from
// its address when that bound is reached, or else, when the bound in all is,
// the oldest from the address that holds the most strangers: a crowd from a
// few addresses then pushes out its own connections, never a lone one (a
// paired sender still proving its key).
bool TransferServer::Admit(xsock::SocketAddress peer, xsock::SOCKET handle, std::uint64_t& id) {
    std::lock_guard lock(connectionsMutex_);
    std::size_t strangers = 0;
    std::size_t paired = 0;
    std::map<std::string, std::size_t> byAddress;
    std::string address = peer.Host();
    for (const Connection& c : connections_) {
        if (c.paired) {
            ++paired;
        } else if (!c.evicted) {
            ++strangers;
            ++byAddress[c.address];
        }
    }
    if (paired >= options_.maxSenders) {
        return false;
    }
    if (byAddress[address] >= options_.maxStrangersPerAddress) {
        Evict(address);
    } else if (strangers >= options_.maxStrangers) {
        auto busiest =
            std::max_element(byAddress.begin(), byAddress.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; });
        Evict(busiest->first);
    }
    id = ++nextId_;
    connections_.push_back({id, address, handle});
    return true;
}

// The oldest stranger (from `address`, or any if empty) loses its connection:
// its worker's blocked call sees the end and the worker leaves.
void TransferServer::Evict(const std::string& address) {
    for (Connection& c : connections_) {
        if (!c.paired && !c.evicted && (address.empty() || c.address == address)) {
            c.evicted = true;
            ::shutdown(c.handle, SHUT_RDWR);
            return;
        }
    }
}

void TransferServer::MarkPaired(std::uint64_t id) {
    std::lock_guard lock(connectionsMutex_);
    for (Connection& c : connections_) {
        if (c.id == id) {
            c.paired = true;
        }
    }
}

void TransferServer::Say(const std::string& line) {
    std::lock_guard lock(logMutex_);
    log_(xsock::demo::SafeText(line));
}

// Anyone who reaches the port makes these lines, as fast as it can connect:
// past kStrangerLinesPerMinute in a minute they are only counted, and the next
// line that is shown says how many were left out.
void TransferServer::SayAboutStranger(const std::string& line) {
    std::uint64_t leftOut = 0;
    {
        std::lock_guard lock(strangerLogMutex_);
        const auto now = std::chrono::steady_clock::now();
        if (now - strangerMinute_ >= std::chrono::minutes(1)) {
            strangerMinute_ = now;
            strangerLines_ = 0;
        }
        if (++strangerLines_ > kStrangerLinesPerMinute) {
            ++strangerLinesLeftOut_;
            return;
        }
        leftOut = std::exchange(strangerLinesLeftOut_, 0);
    }
    if (leftOut > 0) {
        Say("(" + std::to_string(leftOut) + " more lines about strangers were left out)");
    }
    Say(line);
}

void TransferServer::JoinFinished() {
    for (auto it = workers_.begin(); it != workers_.end();) {
        if (it->finished->load()) {
            it->thread.join();
            it = workers_.erase(it);
        } else {
            ++it;
        }
    }
}

void TransferServer::Serve(xsock::SOCKET handle, std::string peer, std::uint64_t id) {
    xsock::SocketLoop loop;  // this thread's own
    SessionSocket socket;
    xsock::Descriptor unattached(handle);  // closed unless the socket takes it
    Registration registration(*this, id);  // ends before the descriptor closes
    if (!socket.Attach(handle)) {
        Say("cannot take over the connection from " + peer + ": " +
            xsock::AsyncSocket::GetLastErrorCode().message());
        return;
    }
    static_cast<void>(unattached.Release());  // the socket owns it now
    if (!xsock::StartTls(socket, *tls_)) {
        Say("cannot start TLS with " + peer + ": " +
            xsock::AsyncSocket::GetLastErrorCode().message());
        return;
    }
    bool greeted = false;
    try {
        Session(socket, peer, id, greeted);
    } catch (const std::exception& e) {
        std::string line = "connection from " + peer + " ended: " + e.what();
        greeted ? Say(line) : SayAboutStranger(line);
    }
}

void TransferServer::Session(SessionSocket& socket, const std::string& peer, std::uint64_t id,
                             bool& greeted) {
    xsock::SocketFile file(&socket);
    xsock::Archive in(file, xsock::Archive::load, 1 << 16);
    xsock::Archive out(file, xsock::Archive::store);
    // The handshake and the Hello (and pairing) share the strangers' deadline.
    socket.Within(options_.handshakeTimeout);
    if (!Greet(socket, in, out, peer)) {
        return;
    }
    greeted = true;
    MarkPaired(id);
    // A sender is its key: its part files and resume state are its own.
    const std::string senderId = xsock::GetTlsInfo(socket)->peerFingerprint;
    Chunk chunk;
    std::uint64_t entries = 0;
    for (;;) {
        const xsock::RuntimeClass* cls = nullptr;
        socket.Within(options_.idleTimeout);  // for this whole message
        try {
            cls = NextMessage(in);
        } catch (const xsock::ArchiveException& e) {
            if (e.m_cause == xsock::ArchiveException::endOfFile) {
                return;  // the sender is done
            }
            throw;
        }
        if (cls == XSOCK_RUNTIME_CLASS(DirectoryEntry)) {
            DirectoryEntry entry;
            entry.Serialize(in);
            std::string problem = CheckBounds(entry.path, entries);
            // A block for each folder it may create, given back for those it did not.
            const std::uint64_t ways = SplitPath(entry.path).size() * SenderQuota::kBlock;
            if (problem.empty()) {
                problem = quota_.Charge(senderId, ways);
                if (problem.empty()) {
                    std::size_t created = 0;
                    problem = MakeDirectory(root_.Get(), entry, limits_, created);
                    quota_.Refund(senderId, ways - created * SenderQuota::kBlock);
                }
            }
            Reply(out, problem.empty(), problem.empty() ? "folder " + entry.path : problem);
            Say(problem.empty() ? "folder " + entry.path + " from " + peer
                                : "refused '" + entry.path + "' from " + peer + ": " + problem);
            continue;
        }
        if (cls != XSOCK_RUNTIME_CLASS(FileHeader)) {
            throw std::runtime_error(std::string("unexpected message ") + cls->Name());
        }
        FileHeader header;
        header.Serialize(in);
        PartFile part;
        // The quota is charged, before the file is accepted, for all the disk
        // it may take: its size in blocks (less what its part file holds,
        // charged when that was written) and a block for each folder on its
        // way. Whatever ends this file's turn gives back what the disk did
        // not take.
        const std::optional<std::uint64_t> held = PartBytes(root_.Get(), senderId, header.path);
        const std::uint64_t cost = SenderQuota::Cost(header.size);
        const std::uint64_t base = held && *held <= header.size ? SenderQuota::Cost(*held) : 0;
        const std::uint64_t ways =
            static_cast<std::uint64_t>(std::count(header.path.begin(), header.path.end(), '/')) *
            SenderQuota::kBlock;
        const std::uint64_t charge =
            cost - base > UINT64_MAX - ways ? UINT64_MAX : cost - base + ways;
        bool charged = false;
        bool opened = false;
        std::string problem = CheckBounds(header.path, entries);
        if (problem.empty()) {
            problem = quota_.Charge(senderId, charge);
            charged = problem.empty();
        }
        AtExit settle([&] {
            if (!charged) {
                return;
            }
            if (opened) {
                part.Settle();  // what Stored() sees is all that arrived
            }
            const std::optional<std::uint64_t> stored = opened ? part.Stored() : std::nullopt;
            const std::uint64_t keep = !opened  ? base
                                       : stored ? SenderQuota::Cost(std::min(*stored, header.size))
                                                : 0;
            std::uint64_t refund = charge - part.CreatedFolders() * SenderQuota::kBlock;
            refund = keep <= base ? refund + (base - keep) : refund - (keep - base);
            quota_.Refund(senderId, refund);
        });
        if (problem.empty()) {
            problem = part.Open(root_.Get(), header, senderId, limits_, &ledger_);
            opened = problem.empty();
        }
        if (!problem.empty()) {
            Reply(out, false, problem);
            Say("refused '" + header.path + "' from " + peer + ": " + problem);
            continue;
        }
        ResumeOffset resume;
        resume.offset = part.Offset();
        resume.prefix = part.PrefixDigest();
        Store(out, resume);
        out.Flush();
        StartAt start;
        socket.Within(options_.idleTimeout);
        Expect(in, start);
        part.StartAt(start.offset);
        FileDone done;
        try {
            socket.Within(options_.idleTimeout);
            while ((cls = NextMessage(in)) == XSOCK_RUNTIME_CLASS(Chunk)) {
                chunk.Serialize(in);
                part.Write(chunk.bytes);  // hashed and written while the next arrives
                socket.Within(options_.idleTimeout);
            }
        } catch (const std::exception& e) {
            part.Settle();
            Say("interrupted '" + header.path + "' from " + peer + " at " +
                std::to_string(part.Position()) + " of " + std::to_string(header.size) +
                " bytes (kept for a resume): " + e.what());
            return;
        }
        if (cls != XSOCK_RUNTIME_CLASS(FileDone)) {
            throw std::runtime_error(std::string("unexpected message ") + cls->Name());
        }
        done.Serialize(in);
        problem = part.Finish(done.sha256);
        std::string resumed =
            part.ResumedFrom() > 0 ? ", resumed at " + std::to_string(part.ResumedFrom()) : "";
        Reply(out, problem.empty(), problem.empty() ? "stored " + header.path + resumed : problem);
        Say(problem.empty() ? "received " + header.path + " (" + std::to_string(header.size) +
                                  " bytes" + resumed + ") from " + peer
                            : "failed '" + header.path + "' from " + peer + ": " + problem);
    }
}

// The opening Hello: a paired sender goes on, an unknown one is refused, and
// one that asks to pair proves the open code (see TransferProtocol.h).
bool TransferServer::Greet(SessionSocket& socket, xsock::Archive& in, xsock::Archive& out,
                           const std::string& peer) {
    Hello hello;
    try {
        Expect(in, hello);
    } catch (const std::exception& e) {
        int error = xsock::AsyncSocket::GetLastError();
        SayAboutStranger("dropped " + peer + ": " +
                         (error == ETIMEDOUT || error == EPROTO || error == EINTR
                              ? xsock::AsyncSocket::GetLastErrorCode().message()
                              : std::string(e.what())));
        return false;
    }
    std::optional<xsock::TlsInfo> info = xsock::GetTlsInfo(socket);
    std::string fingerprint = info ? info->peerFingerprint : std::string();
    if (fingerprint.empty()) {
        Reply(out, false, "no key");
        return false;
    }
    if (hello.pairing) {
        return Pair(socket, in, out, peer, fingerprint);
    }
    if (!demo::KnownPeers(options_.authorizedFile).Contains(fingerprint)) {
        Reply(out, false,
              "this sender is not paired with the server; pair once with --code CODE "
              "(the server prints a code when it starts, and 'xsock-transfer serve --pair' "
              "prints a new one)");
        SayAboutStranger("refused unpaired sender " + demo::ShortFingerprint(fingerprint) +
                         " from " + peer);
        return false;
    }
    Reply(out, true, "welcome");
    return true;
}

bool TransferServer::Pair(SessionSocket& socket, xsock::Archive& in, xsock::Archive& out,
                          const std::string& peer, const std::string& fingerprint) {
    std::optional<std::string> code = demo::OpenCode(options_.codeFile).Take();
    if (!code) {
        Reply(out, false,
              "no pairing code is open on the server; run 'xsock-transfer serve --pair' there");
        SayAboutStranger("refused to pair with " + demo::ShortFingerprint(fingerprint) + " from " +
                         peer + ": no code is open");
        return false;
    }
    std::string session;
    if (!xsock::ExportKeyingMaterial(socket, "EXPORTER-xsock-transfer-pairing", 32, session)) {
        Reply(out, false, "cannot derive the session's keying material");
        return false;
    }
    const std::string& server = options_.identity.fingerprint;
    std::string mine = demo::PairingProof(*code, "server", session, server, fingerprint);
    PairProof proof;
    std::copy(mine.begin(), mine.end(), proof.proof.begin());
    Store(out, proof);
    out.Flush();
    PairProof theirs;
    try {
        Expect(in, theirs);
    } catch (const std::exception&) {
        Say("pairing with " + demo::ShortFingerprint(fingerprint) + " from " + peer +
            " failed: it did not prove the code (the code is used up; 'xsock-transfer serve "
            "--pair' opens another)");
        return false;
    }
    std::string expected = demo::PairingProof(*code, "client", session, server, fingerprint);
    if (!demo::SameProof(std::string(theirs.proof.begin(), theirs.proof.end()), expected)) {
        Reply(out, false, "wrong pairing code");
        Say("pairing with " + demo::ShortFingerprint(fingerprint) + " from " + peer +
            " failed: wrong code (the code is used up; 'xsock-transfer serve --pair' opens "
            "another)");
        return false;
    }
    if (!demo::KnownPeers(options_.authorizedFile).Add(fingerprint, peer)) {
        Reply(out, false, "the server cannot save its list of paired senders");
        return false;
    }
    Reply(out, true, "paired");
    Say("paired with sender " + demo::ShortFingerprint(fingerprint) + " from " + peer);
    return true;
}

}  // namespace transfer
