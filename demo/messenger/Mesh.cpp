// Mesh: links, introductions, chat flooding and the commands of one peer
// (see Mesh.h for the protocol).
#include "Mesh.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <system_error>
#include <vector>

namespace messenger {

namespace {

// Both ends present their own key and accept any: a peer is known by its key
// (the id it must claim), not by a certificate authority.
xsock::TlsContext MakeTls(bool server, const demo::Identity& identity,
                          std::chrono::milliseconds handshakeTimeout) {
    xsock::TlsContext context =
        server ? xsock::TlsContext::Server(identity.certificate.c_str(), identity.key.c_str())
               : xsock::TlsContext::Client();
    if (!server && !context.UseCertificate(identity.certificate.c_str(), identity.key.c_str())) {
        throw std::system_error(xsock::AsyncSocket::GetLastErrorCode(),
                                "cannot use " + identity.certificate);
    }
    context.AcceptAnyCertificate();
    context.SetHandshakeTimeout(handshakeTimeout);
    return context;
}

std::string Describe(const xsock::SocketAddress& address) {
    return address.ToString();
}

}  // namespace

class Mesh::Listener : public xsock::AsyncSocket {
  public:
    explicit Listener(Mesh& mesh) : mesh_(mesh) {}

  protected:
    void OnAccept(int) override {
        auto connection = std::make_unique<Connection>(mesh_, false, "");
        xsock::SocketAddress peer;
        if (!Accept(*connection, &peer)) {
            return;
        }
        if (!mesh_.MayAccept(peer.Host())) {
            return;  // closed as it goes out of scope, before any TLS work
        }
        connection->remoteHost = peer.Host();
        connection->SetAddress(Describe(peer));
        if (!xsock::StartTls(*connection, mesh_.serverTls_)) {
            // What had arrived already was no TLS handshake; the connection
            // closes as it goes out of scope.
            mesh_.ui_.print("* dropped " + connection->Address() + ": no TLS session (" +
                            xsock::AsyncSocket::GetLastErrorCode().message() + ")");
            return;
        }
        Connection& adopted = *connection;
        mesh_.Adopt(std::move(connection));
        mesh_.SendHello(adopted);
    }

  private:
    Mesh& mesh_;
};

Mesh::Mesh(xsock::SocketLoop& loop, Ui& ui, std::string name, std::filesystem::path downloads,
           demo::Identity identity, Bounds bounds, Transfers::Limits fileLimits)
    : loop_(loop),
      ui_(ui),
      name_(std::move(name)),
      identity_(std::move(identity)),
      id_(identity_.fingerprint),
      clientTls_(MakeTls(false, identity_, bounds.handshakeTimeout)),
      serverTls_(MakeTls(true, identity_, bounds.handshakeTimeout)),
      known_(identity_.folder + "/peers.list"),
      sequence_(FirstSequence()),
      bounds_(bounds),
      signer_(identity_),
      transfers_(loop, ui, std::move(downloads), identity_, fileLimits) {
    // Often enough that a link is dropped soon after its deadline.
    auto every = std::clamp(bounds_.handshakeTimeout / 4, std::chrono::milliseconds(100),
                            std::chrono::milliseconds(1000));
    sweeper_ = loop_.SetTimer(
        every, [this] { Sweep(); }, true);
}

Mesh::~Mesh() {
    if (sweeper_ != 0) {
        loop_.KillTimer(sweeper_);
    }
}

bool Mesh::Listen(const xsock::SocketAddress& where, std::string& why) {
    listener_ = std::make_unique<Listener>(*this);
    if (!listener_->Create(where) || !listener_->Listen()) {
        why = xsock::AsyncSocket::GetLastErrorCode().message();
        listener_.reset();
        return false;
    }
    xsock::SocketAddress bound = ListenAddress();
    listenPort_ = static_cast<std::uint16_t>(bound.Port());
    listenHost_ = bound.Host() == "0.0.0.0" || bound.Host() == "::" ? "" : bound.Host();
    return true;
}

void Mesh::StopListening() {
    if (listener_) {
        listener_->Close();
    }
}

xsock::SocketAddress Mesh::ListenAddress() {
    xsock::SocketAddress bound;
    if (listener_) {
        listener_->GetSockName(bound);
    }
    return bound;
}

// Until it connects, the link is known by the last candidate: the library
// tries each in turn and reports only the last failure.
Connection* Mesh::Dial(std::vector<xsock::SocketAddress> candidates, std::string expectedId) {
    auto connection = std::make_unique<Connection>(*this, true, Describe(candidates.back()));
    connection->expectedId = std::move(expectedId);
    if (!connection->Socket(SOCK_STREAM, xsock::FD_ALL, 0, candidates.front().Family()) ||
        !xsock::StartTls(*connection, clientTls_) ||
        (!connection->Connect(candidates) && xsock::AsyncSocket::GetLastError() != EWOULDBLOCK)) {
        ui_.print("* could not reach " + connection->Address() + ": " +
                  xsock::AsyncSocket::GetLastErrorCode().message());
        return nullptr;
    }
    Connection* dialled = connection.get();
    Adopt(std::move(connection));
    return dialled;
}

void Mesh::Adopt(std::unique_ptr<Connection> connection) {
    connection->SetQueueLimit(bounds_.maxQueued);
    connection->started = std::chrono::steady_clock::now();
    connections_.push_back(std::move(connection));
}

Connection* Mesh::FindPeer(const std::string& id, const Connection* except) {
    for (auto& connection : connections_) {
        if (connection.get() != except && !connection->IsGone() && connection->greeted &&
            connection->peerId == id) {
            return connection.get();
        }
    }
    return nullptr;
}

bool Mesh::IsDialling(const std::string& id) const {
    for (const auto& connection : connections_) {
        if (!connection->IsGone() && !connection->greeted && connection->expectedId == id) {
            return true;
        }
    }
    return false;
}

std::string Mesh::ProvedKey(const Connection& connection) {
    std::optional<xsock::TlsInfo> info = xsock::GetTlsInfo(connection);
    return info && info->established ? info->peerFingerprint : std::string();
}

void Mesh::SendHello(Connection& connection) {
    Hello hello;
    hello.id = id_;
    hello.name = name_;
    hello.listenPort = listenPort_;
    hello.listenHost = listenHost_;
    hello.pairing = connection.IsOutgoing() && !connection.code.empty();
    connection.SendMessage(hello);
}

void Mesh::OnConnected(Connection& connection) {
    SendHello(connection);
}

void Mesh::OnMessage(Connection& connection, std::unique_ptr<xsock::Object> message) {
    if (auto* hello = dynamic_cast<Hello*>(message.get())) {
        OnHello(connection, *hello);
        return;
    }
    if (!connection.greeted) {
        connection.Drop("malformed message (no hello first)", true);
        return;
    }
    std::string why;
    if (auto* list = dynamic_cast<PeerList*>(message.get())) {
        OnPeerList(connection, *list);
    } else if (auto* proof = dynamic_cast<PairProof*>(message.get())) {
        OnPairProof(connection, *proof);
    } else if (auto* chat = dynamic_cast<Chat*>(message.get())) {
        if (connection.trusted) {
            OnChat(connection, *chat);
        }
    } else if (!connection.trusted && dynamic_cast<Bye*>(message.get()) == nullptr) {
        connection.Drop("malformed message (a file before it was trusted)", true);
    } else if (auto* offer = dynamic_cast<FileOffer*>(message.get())) {
        if (!transfers_.OnOffer(connection, *offer, why)) {
            connection.Drop("malformed message (" + why + ")", true);
        }
    } else if (auto* chunk = dynamic_cast<FileChunk*>(message.get())) {
        if (!transfers_.OnChunk(connection, *chunk, why)) {
            connection.Drop("malformed message (" + why + ")", true);
        }
    } else if (auto* answer = dynamic_cast<FileAnswer*>(message.get())) {
        if (!transfers_.OnAnswer(connection, *answer, why)) {
            connection.Drop("malformed message (" + why + ")", true);
        }
    } else if (dynamic_cast<Bye*>(message.get()) != nullptr) {
        connection.saidBye = true;
        if (!leaving_ && connection.trusted &&
            FindPeer(connection.peerId, &connection) == nullptr) {
            ui_.print("* " + connection.name + " left");
        }
    }
}

void Mesh::OnHello(Connection& connection, const Hello& hello) {
    std::string name = SafeName(hello.name);
    if (connection.greeted) {
        if (hello.id != connection.peerId) {
            connection.Drop("malformed message (hello with another id)", true);
        } else if (name != connection.name) {
            ui_.print("* " + connection.name + " is now known as " + name);
            connection.name = name;
        }
        return;
    }
    if (std::string proved = ProvedKey(connection); proved.empty() || proved != hello.id) {
        // Someone claiming another peer's id (or a peer's key that is not the
        // one it says): refused whatever else it says.
        connection.Drop(
            "refused: it claims the id " + demo::ShortFingerprint(hello.id) + " but its key is " +
                (proved.empty() ? std::string("unproved") : demo::ShortFingerprint(proved)),
            true);
        return;
    }
    if (!connection.expectedId.empty() && hello.id != connection.expectedId) {
        connection.Drop("refused: its key " + demo::ShortFingerprint(hello.id) + " is not the " +
                            demo::ShortFingerprint(connection.expectedId) + " it was introduced as",
                        true);
        return;
    }
    connection.heardHello = true;
    if (hello.id == id_) {
        // Dialled ourselves (a /connect, discovery or a peer list): the dialler
        // retires the link once it has this end's Hello, which this end sends
        // before it shuts its side.
        if (!connection.IsOutgoing()) {
            connection.FinishAndShutDown();
            return;
        }
        if (connection.reportFailure) {
            ui_.print("* " + connection.Address() + " is this messenger");
        }
        Retire(connection);
        return;
    }
    connection.greeted = true;
    connection.peerId = hello.id;
    connection.name = name;
    xsock::SocketAddress remote;
    if (hello.listenPort != 0 && connection.GetPeerName(remote)) {
        // Where it said it listens, if that is an address; else where it came from.
        std::error_code error;
        auto announced =
            xsock::SocketAddress::FromHostAndPort(hello.listenHost, hello.listenPort, error);
        remote.SetPort(hello.listenPort);
        connection.listenAddress = Describe(hello.listenHost.empty() || error ? remote : announced);
    }
    if (Connection* other = FindPeer(hello.id, &connection)) {
        // Two links to one peer. Dialled from both ends at once: both ends keep
        // the one dialled by the smaller id. Dialled twice from one end (a
        // /connect to a peer already linked): the dialler drops the new one,
        // and the other end sees it close with the peer still linked.
        auto dialler = [&](const Connection& link) { return link.IsOutgoing() ? id_ : hello.id; };
        if (dialler(connection) != dialler(*other)) {
            bool keepNew = dialler(connection) < dialler(*other);
            if (keepNew) {
                connection.trusted = other->trusted;  // the same key, already judged
            }
            Retire(keepNew ? *other : connection);
        } else {
            // Dialled twice by one end: the dialler drops the new link. This
            // end sends its Hello (which tells the dialler so) and shuts down;
            // the link counts as not greeted again, so the handshake deadline
            // closes it if the dialler does not (one link per peer).
            if (!connection.IsOutgoing()) {
                connection.greeted = false;
                connection.started = std::chrono::steady_clock::now();
                connection.FinishAndShutDown();
                return;
            }
            if (connection.reportFailure) {
                ui_.print("* already connected to " + other->name);
            }
            Retire(connection);
        }
        return;
    }
    Admit(connection, hello);
}

void Mesh::OnDrained(Connection& connection) {
    transfers_.OnDrained(connection);
}

void Mesh::OnGone(Connection& connection, const std::string& reported, bool malformed) {
    // A reason can quote the peer: a refused file name, a class name it sent.
    const std::string why = SafeText(reported);
    transfers_.Forget(connection);
    ScheduleReap();
    if (leaving_) {
        return;
    }
    std::string reason = why.empty() ? "" : " (" + why + ")";
    if (malformed) {
        std::string who = connection.greeted ? connection.name + " at " : std::string();
        ui_.print("* dropped " + who + connection.Address() + ": " + why);
    } else if (connection.greeted) {
        if (connection.trusted && !connection.saidBye && FindPeer(connection.peerId) == nullptr) {
            ui_.print("* " + connection.name + " left" + reason);
        }
    } else if (!connection.IsOutgoing() && !connection.heardHello) {
        // Never greeted: the TLS handshake failed or did not finish in time.
        ui_.print("* dropped " + connection.Address() + ": no TLS session" + reason);
    } else if (connection.IsOutgoing() &&
               (connection.reportFailure ||
                (!connection.expectedId.empty() && FindPeer(connection.expectedId) == nullptr))) {
        ui_.print("* could not reach " + connection.Address() + ": " +
                  (why.empty() ? std::string("closed before saying hello") : why));
    }
}

void Mesh::Retire(Connection& connection) {
    transfers_.Forget(connection);
    connection.Retire();
    ScheduleReap();
}

void Mesh::ScheduleReap() {
    // Connections are deleted from a posted task, never inside their own
    // notification (which is where they find out they are done).
    if (!reapPosted_) {
        reapPosted_ = true;
        loop_.Post([this] { Reap(); });
    }
}

void Mesh::Reap() {
    reapPosted_ = false;
    connections_.remove_if([](const auto& connection) { return connection->IsGone(); });
}

}  // namespace messenger
