// Connection: message framing over one non-blocking link (see Connection.h).
#include "Connection.h"

#include "Messages.h"

#include <xsock/ArchiveException.h>

#include <system_error>

namespace messenger {

namespace {

std::string ErrorText(int error) {
    return std::system_category().message(error);
}

}  // namespace

Connection::Connection(ConnectionListener& listener, bool outgoing, std::string address)
    : listener_(listener),
      outgoing_(outgoing),
      connected_(!outgoing),
      address_(std::move(address)) {
    in_.SetLimits(kWireLimits);
    outbox_.SetHighWater(kMaxQueued);
}

void Connection::SendMessage(xsock::Object& message) {
    if (gone_) {
        return;
    }
    WriteMessage(out_, message);
    out_.Flush();
    outbox_.Append(staging_.Contents());
    staging_.SetLength(0);
    staging_.SeekToBegin();
    if (outbox_.AboveHighWater()) {
        Drop("not reading (" + std::to_string(Queued()) + " bytes waiting)", false);
        return;
    }
    Flush();
}

void Connection::FinishAndShutDown() {
    shutDownWhenSent_ = true;
    Flush();
}

void Connection::Drop(const std::string& why, bool malformed) {
    if (gone_) {
        return;
    }
    gone_ = true;
    Close();
    listener_.OnGone(*this, why, malformed);
}

void Connection::Retire() {
    gone_ = true;
    Close();
}

void Connection::Flush() {
    if (!connected_ || gone_) {
        return;
    }
    if (!outbox_.Flush(*this)) {
        Drop(ErrorText(GetLastError()), false);
        return;
    }
    if (!outbox_.Empty()) {
        return;  // EWOULDBLOCK: OnSend follows once there is room
    }
    if (shutDownWhenSent_) {
        ShutDown(sends);
    }
}

void Connection::OnConnect(int error) {
    if (error != 0) {
        Drop(ErrorText(error), false);
        return;
    }
    connected_ = true;
    if (xsock::SocketAddress peer; GetPeerName(peer)) {
        SetAddress(peer.ToString());  // the candidate that answered
    }
    listener_.OnConnected(*this);
    Flush();
}

void Connection::OnReceive(int) {
    char buffer[16384];
    int n = Receive(buffer, sizeof buffer);
    if (n <= 0) {
        return;  // an error or the end: OnClose reports it
    }
    inbox_.Append(buffer, static_cast<std::size_t>(n));
    LoadMessages();
}

void Connection::LoadMessages() {
    try {
        while (!gone_) {
            std::unique_ptr<xsock::Object> message;
            if (!in_.TryLoad([&] { message = ReadMessage(in_); })) {
                break;  // the rest of the message has not arrived yet
            }
            listener_.OnMessage(*this, std::move(message));
        }
    } catch (const xsock::ArchiveException& error) {
        Drop(std::string("malformed message (") + error.what() + ")", true);
        return;
    }
    if (!gone_ && inbox_.Unread() > receiveLimit) {
        Drop("malformed message (over " + std::to_string(receiveLimit >> 10) + " KiB)", true);
    }
}

void Connection::OnSend(int) {
    Flush();
    if (!gone_ && Queued() == 0) {
        listener_.OnDrained(*this);
    }
}

void Connection::OnClose(int error) {
    if (gone_) {
        return;
    }
    gone_ = true;
    Close();
    listener_.OnGone(*this, error != 0 ? ErrorText(error) : std::string(), false);
}

}  // namespace messenger
