// The server's accept loop and one connection's session.
#include "TransferServer.h"

#include "PartFile.h"
#include "PathSafety.h"
#include "TransferProtocol.h"

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
#include <stdexcept>

namespace transfer {

namespace {

// One thread each; a flood of connections must not become a flood of threads.
constexpr std::size_t kMaxSenders = 64;

// Creates a DirectoryEntry's folders; empty on success. The owner keeps
// rwx so that the folder's contents, sent after it, can still be written;
// the umask applies, and others never get write access.
std::string MakeDirectory(int root, const DirectoryEntry& entry, mode_t umask) {
    if (std::string problem = CheckRelativePath(entry.path); !problem.empty()) {
        return problem;
    }
    std::string problem;
    xsock::Descriptor folder = OpenFolders(root, SplitPath(entry.path), true, problem);
    if (!folder.IsOpen()) {
        return problem;
    }
    const mode_t mode = ((entry.mode & 0777 & ~umask) | 0700) & ~static_cast<mode_t>(S_IWOTH);
    if (::fchmod(folder.Get(), mode) != 0) {
        return "cannot set the mode of '" + entry.path + "': " + std::strerror(errno);
    }
    return {};
}

void Reply(xsock::Archive& out, bool ok, std::string message) {
    Result result;
    result.ok = ok;
    result.message = std::move(message);
    Store(out, result);
    out.Flush();
}

}  // namespace

TransferServer::TransferServer(std::string folder, std::chrono::milliseconds idleTimeout, Log log)
    : folder_(std::move(folder)), idleTimeout_(idleTimeout), log_(std::move(log)) {}

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
    root_ = xsock::Descriptor(::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_.IsOpen()) {
        error = "cannot serve folder '" + folder_ + "': " + std::strerror(errno);
        return false;
    }
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
        if (workers_.size() >= kMaxSenders) {
            Say("turned away " + peer.ToString() + ": already serving " +
                std::to_string(kMaxSenders) + " senders");
            continue;  // `connection` closes as it goes out of scope
        }
        xsock::SOCKET handle = connection.Detach();
        auto finished = std::make_shared<std::atomic<bool>>(false);
        workers_.push_back({std::thread([this, handle, finished, name = peer.ToString()] {
                                Serve(handle, name);
                                finished->store(true);
                            }),
                            finished});
    }
}

void TransferServer::Say(const std::string& line) {
    std::lock_guard lock(logMutex_);
    log_(xsock::demo::SafeText(line));
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

void TransferServer::Serve(xsock::SOCKET handle, std::string peer) {
    xsock::SocketLoop loop;  // this thread's own
    xsock::Socket socket;
    xsock::Descriptor unattached(handle);  // closed unless the socket takes it
    if (!socket.Attach(handle)) {
        Say("cannot take over the connection from " + peer + ": " +
            xsock::AsyncSocket::GetLastErrorCode().message());
        return;
    }
    static_cast<void>(unattached.Release());  // the socket owns it now
    socket.SetTimeout(idleTimeout_);
    // Until senders have keys, a sender is known by its address (without the
    // port, which changes with every connection).
    xsock::SocketAddress remote;
    std::string senderId = socket.GetPeerName(remote) ? remote.Host() : std::string();
    try {
        Session(socket, peer, senderId);
    } catch (const std::exception& e) {
        Say("connection from " + peer + " ended: " + e.what());
    }
}

void TransferServer::Session(xsock::Socket& socket, const std::string& peer,
                             const std::string& senderId) {
    xsock::SocketFile file(&socket);
    xsock::Archive in(file, xsock::Archive::load, 1 << 16);
    xsock::Archive out(file, xsock::Archive::store);
    Chunk chunk;
    std::uint64_t entries = 0;
    for (;;) {
        const xsock::RuntimeClass* cls = nullptr;
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
            if (problem.empty()) {
                problem = MakeDirectory(root_.Get(), entry, limits_.umask);
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
        std::string problem = CheckBounds(header.path, entries);
        if (problem.empty()) {
            problem = part.Open(root_.Get(), header, senderId, limits_, &ledger_);
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
        Expect(in, start);
        part.StartAt(start.offset);
        FileDone done;
        try {
            while ((cls = NextMessage(in)) == XSOCK_RUNTIME_CLASS(Chunk)) {
                chunk.Serialize(in);
                part.Write(chunk.bytes.data(), chunk.bytes.size());
            }
        } catch (const std::exception& e) {
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

}  // namespace transfer
