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
#include <optional>

namespace messenger {

namespace {

constexpr std::chrono::seconds kConnectTimeout{10};

// Shows one message; false when the peer said goodbye or is not who it says.
bool Show(Console& console, const xsock::Object& message, const std::string& provedKey) {
    if (const auto* chat = dynamic_cast<const Chat*>(&message)) {
        console.Print("<" + SafeName(chat->name) + "> " + SafeText(chat->text));
    } else if (const auto* hello = dynamic_cast<const Hello*>(&message)) {
        if (hello->id != provedKey) {
            console.Print("* refused: the peer claims the id " + demo::ShortFingerprint(hello->id) +
                          " but its key is " + demo::ShortFingerprint(provedKey));
            return false;
        }
        console.Print("* connected to " + SafeName(hello->name) + ", key " +
                      demo::ShortFingerprint(provedKey));
    } else if (const auto* offer = dynamic_cast<const FileOffer*>(&message)) {
        console.Print("* ignoring the file " + SafeText(offer->name) + " (not taken here)");
    } else if (dynamic_cast<const Bye*>(&message) != nullptr) {
        console.Print("* the peer left");
        return false;
    }
    return true;
}

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
                    if (!Show(console, *ReadMessage(in), provedKey)) {
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
