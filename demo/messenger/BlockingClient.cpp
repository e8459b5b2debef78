// The --blocking client: blocking Socket calls read top to bottom, with poll()
// only to learn which of stdin and the socket has something to say.
#include "BlockingClient.h"

#include "Console.h"
#include "Messages.h"
#include "Ui.h"

#include <xsock/Archive.h>
#include <xsock/ArchiveException.h>
#include <xsock/Socket.h>
#include <xsock/SocketFile.h>
#include <xsock/Tls.h>

#include <Identity.h>
#include <Signature.h>

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>

namespace messenger {

namespace {

constexpr std::chrono::seconds kConnectTimeout{10};
// A peer that relays more forged lines than this is dropped, as a Mesh drops
// such a link.
constexpr int kMaxForgeries = 3;

// What arrives through the one peer, shown or answered. The peer only relays
// the others' lines: each must carry its author's signature, or it is a
// forgery (by the peer, or by someone it failed to check) and not shown.
class Inbox {
  public:
    Inbox(Console& console, xsock::Archive& out, std::string provedKey)
        : console_(console), out_(out), provedKey_(std::move(provedKey)) {}

    // Shows or answers one message; false when the peer said goodbye, is
    // not who it says, or relayed too many forgeries.
    bool Handle(const xsock::Object& message) {
        if (const auto* chat = dynamic_cast<const Chat*>(&message)) {
            return OnChat(*chat);
        }
        if (const auto* hello = dynamic_cast<const Hello*>(&message)) {
            if (hello->id != provedKey_) {
                console_.Print("* refused: the peer claims the id " +
                               demo::ShortFingerprint(hello->id) + " but its key is " +
                               demo::ShortFingerprint(provedKey_));
                return false;
            }
            console_.Print("* connected to " + SafeName(hello->name) + ", key " +
                           demo::ShortFingerprint(provedKey_));
        } else if (const auto* offer = dynamic_cast<const FileOffer*>(&message)) {
            // Refused at once, so the sender is not left waiting for an answer.
            FileAnswer answer;
            answer.transfer = offer->transfer;
            answer.reason = "this client does not take files";
            WriteMessage(out_, answer);
            out_.Flush();
            console_.Print("* refused the file " + SafeText(offer->name) +
                           ": this client does not take files");
        } else if (dynamic_cast<const Bye*>(&message) != nullptr) {
            console_.Print("* the peer left");
            return false;
        }
        return true;
    }

  private:
    bool OnChat(const Chat& chat) {
        std::optional<demo::PublicKey> key = demo::PublicKey::Parse(chat.publicKey, chat.origin);
        if (!key || !key->Verify(ChatSignedBytes(chat), chat.signature)) {
            if (++forgeries_ > kMaxForgeries) {
                console_.Print("* leaving: the peer relayed " + std::to_string(forgeries_) +
                               " forged lines");
                return false;
            }
            console_.Print("* dropped a forged line: it claims to be by key " +
                           demo::ShortFingerprint(chat.origin) + ", which did not sign it");
            return true;
        }
        // An author's sequence numbers only grow: a line at or below the
        // last one shown is a replay (a relayed "yes" said again later).
        auto [seen, first] = lastShown_.try_emplace(chat.origin, chat.sequence);
        if (!first) {
            if (chat.sequence <= seen->second) {
                return true;
            }
            seen->second = chat.sequence;
        } else if (lastShown_.size() > kMaxAuthors) {
            lastShown_.erase(lastShown_.begin() == seen ? std::next(seen) : lastShown_.begin());
        }
        console_.Print("<" + SafeName(chat.name) + "> " + SafeText(chat.text));
        return true;
    }

    // Authors whose last line is remembered; one more forgets another's.
    static constexpr std::size_t kMaxAuthors = 1024;

    Console& console_;
    xsock::Archive& out_;
    std::string provedKey_;
    int forgeries_ = 0;
    std::map<std::string, std::uint64_t> lastShown_;  // author id -> last sequence shown
};

}  // namespace

int RunBlockingClient(const std::string& address, const std::string& name) {
    std::error_code error;
    xsock::SocketAddress where = xsock::SocketAddress::Parse(address, error);
    if (error) {
        std::cerr << "xsock-messenger: bad address '" << address << "' (use 127.0.0.1:PORT)\n";
        return 2;
    }
    std::string why;
    std::optional<demo::Identity> identity = demo::LoadIdentity("messenger-" + name, why);
    if (!identity) {
        std::cerr << "xsock-messenger: " << why << "\n";
        return 1;
    }
    xsock::TlsContext tls = xsock::TlsContext::Client();
    if (!tls.UseCertificate(identity->certificate.c_str(), identity->key.c_str())) {
        std::cerr << "xsock-messenger: cannot use the key pair in " << identity->folder << "\n";
        return 1;
    }
    tls.AcceptAnyCertificate();  // the peer is known by the id its Hello claims
    xsock::Socket socket;
    socket.SetTimeout(kConnectTimeout);  // for Connect only: a chat may be quiet for hours
    if (!socket.Create() || !xsock::StartTls(socket, tls) || !socket.Connect(where)) {
        std::cerr << "xsock-messenger: could not reach " << address << ": "
                  << xsock::AsyncSocket::GetLastErrorCode().message() << "\n";
        return 1;
    }
    socket.SetTimeout(std::chrono::milliseconds(0));
    const std::string provedKey = xsock::GetTlsInfo(socket)->peerFingerprint;
    xsock::SocketFile file(&socket);
    xsock::Archive in(file, xsock::Archive::load);
    xsock::Archive out(file, xsock::Archive::store);
    in.SetLimits(kWireLimits);

    Hello hello;  // listenPort 0: the mesh will not try to connect back
    hello.id = identity->fingerprint;
    hello.name = name;
    WriteMessage(out, hello);
    out.Flush();

    demo::Signer signer(*identity);
    std::uint64_t sequence = FirstSequence();
    bool done = false;
    Console console(
        false, "",
        [&](const std::string& line) {
            Chat chat;
            chat.origin = hello.id;
            chat.sequence = ++sequence;
            chat.name = name;
            chat.text = line;
            chat.publicKey = signer.PublicKey();
            chat.signature = signer.Sign(ChatSignedBytes(chat));
            WriteMessage(out, chat);
            out.Flush();  // Send waits until every byte is out
        },
        [&] { done = true; });
    Inbox inbox(console, out, provedKey);

    try {
        while (!done) {
            pollfd fds[] = {{STDIN_FILENO, POLLIN, 0}, {socket.Handle(), POLLIN, 0}};
            // Records TLS has already read and decrypted are not on the descriptor.
            bool buffered = socket.Filter() != nullptr && socket.Filter()->HasBufferedInput();
            if (::poll(fds, 2, buffered ? 0 : -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            if (fds[1].revents != 0 || buffered) {
                // Read what arrived, and whatever came with it in the same
                // read: the archive may hold more messages than the socket.
                do {
                    if (!inbox.Handle(*ReadMessage(in))) {
                        return 0;
                    }
                } while (!in.IsBufferEmpty());
            }
            if (fds[0].revents != 0) {
                console.OnReadable();
            }
        }
    } catch (const xsock::ArchiveException& failure) {
        if (failure.m_cause == xsock::ArchiveException::endOfFile) {
            console.Print("* the peer closed the connection");
            return 0;
        }
        std::cerr << "xsock-messenger: malformed message: " << failure.what() << "\n";
        return 1;
    } catch (const xsock::FileException& failure) {
        std::cerr << "xsock-messenger: connection lost: " << failure.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace messenger
