// Serialize bodies of the wire messages and the framing shared by both kinds
// of connection.
#include "Messages.h"

#include <xsock/ArchiveException.h>

namespace messenger {

XSOCK_IMPLEMENT_SERIAL(Hello, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(PeerList, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(Chat, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(FileOffer, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(FileChunk, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(Bye, xsock::Object, 1)

void Hello::Serialize(xsock::Archive& ar) {
    ar.Exchange(id, name, listenPort, listenHost);
}

void PeerList::Serialize(xsock::Archive& ar) {
    if (ar.IsStoring()) {
        ar.WriteCount(peers.size());
        for (const Entry& entry : peers) {
            ar << entry.id << entry.host << entry.port;
        }
        return;
    }
    peers.clear();
    for (std::uint64_t count = ar.ReadCount(); count > 0; --count) {
        Entry entry;
        ar >> entry.id >> entry.host >> entry.port;
        peers.push_back(std::move(entry));
    }
}

void Chat::Serialize(xsock::Archive& ar) {
    ar.Exchange(origin, sequence, name, text);
}

void FileOffer::Serialize(xsock::Archive& ar) {
    ar.Exchange(transfer, name, size, sha256);
}

void FileChunk::Serialize(xsock::Archive& ar) {
    ar.Exchange(transfer, data);
}

void Bye::Serialize(xsock::Archive&) {}

void WriteMessage(xsock::Archive& ar, xsock::Object& message) {
    ar.WriteClass(message.GetRuntimeClass());
    message.Serialize(ar);
}

std::unique_ptr<xsock::Object> ReadMessage(xsock::Archive& ar) {
    const xsock::RuntimeClass* cls = ar.ReadClass();
    std::unique_ptr<xsock::Object> message = cls != nullptr ? cls->CreateObject() : nullptr;
    if (!message) {
        throw xsock::ArchiveException(xsock::ArchiveException::badClass);
    }
    message->Serialize(ar);
    return message;
}

}  // namespace messenger
