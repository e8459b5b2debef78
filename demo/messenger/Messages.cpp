// Serialize bodies of the wire messages and the framing shared by both kinds
// of connection.
#include "Messages.h"

#include <xsock/ArchiveException.h>

#include <chrono>
#include <string_view>

namespace messenger {

XSOCK_IMPLEMENT_SERIAL(Hello, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(PairProof, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(PeerList, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(Chat, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(FileOffer, xsock::Object, 2)
XSOCK_IMPLEMENT_SERIAL(FileAnswer, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(FileChunk, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(Bye, xsock::Object, 1)

void ExchangeId(xsock::Archive& ar, std::string& id) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string raw;
    if (ar.IsStoring()) {
        for (std::size_t i = 0; i + 1 < id.size(); i += 2) {
            auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
            raw.push_back(static_cast<char>(nibble(id[i]) << 4 | nibble(id[i + 1])));
        }
        ar << raw;
        return;
    }
    ar >> raw;
    if (raw.size() != kIdBytes) {
        throw xsock::ArchiveException(xsock::ArchiveException::badIndex,
                                      "an id of " + std::to_string(raw.size()) + " bytes");
    }
    id.clear();
    for (char byte : raw) {
        auto value = static_cast<unsigned char>(byte);
        id.push_back(kHex[value >> 4]);
        id.push_back(kHex[value & 15]);
    }
}

void Hello::Serialize(xsock::Archive& ar) {
    ExchangeId(ar, id);
    ar.Exchange(name, listenPort, listenHost, pairing);
}

void PairProof::Serialize(xsock::Archive& ar) {
    ar.Exchange(proof);
}

void PeerList::Serialize(xsock::Archive& ar) {
    if (ar.IsStoring()) {
        ar.WriteCount(peers.size());
        for (const Entry& entry : peers) {
            std::string id = entry.id;
            ExchangeId(ar, id);
            ar << entry.host << entry.port;
        }
        ar << dial;
        return;
    }
    peers.clear();
    for (std::uint64_t count = ar.ReadCount(); count > 0; --count) {
        Entry entry;
        ExchangeId(ar, entry.id);
        ar >> entry.host >> entry.port;
        peers.push_back(std::move(entry));
    }
    ar >> dial;
}

void Chat::Serialize(xsock::Archive& ar) {
    ExchangeId(ar, origin);
    ar.Exchange(sequence, name, text, publicKey, signature);
}

std::string ChatSignedBytes(const Chat& chat) {
    std::string bytes;
    auto field = [&](std::string_view value) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes.push_back(static_cast<char>(std::uint64_t{value.size()} >> shift & 0xFF));
        }
        bytes.append(value);
    };
    std::string sequence;
    for (int shift = 56; shift >= 0; shift -= 8) {
        sequence.push_back(static_cast<char>(chat.sequence >> shift & 0xFF));
    }
    field("xsock-messenger chat v1");
    field(chat.origin);
    field(sequence);
    field(chat.name);
    field(chat.text);
    return bytes;
}

std::uint64_t FirstSequence() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

void FileOffer::Serialize(xsock::Archive& ar) {
    ar.Exchange(transfer, name, size, sha256, publicKey, signature);
}

std::string OfferSignedBytes(const FileOffer& offer, const std::string& sender,
                             const std::string& recipient) {
    std::string bytes;
    auto field = [&bytes](const std::string& value) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes.push_back(static_cast<char>(std::uint64_t{value.size()} >> shift & 0xff));
        }
        bytes += value;
    };
    field("xsock-messenger offer v1");
    field(sender);
    field(recipient);
    field(std::to_string(offer.transfer));
    field(offer.name);
    field(std::to_string(offer.size));
    field(offer.sha256);
    return bytes;
}

void FileAnswer::Serialize(xsock::Archive& ar) {
    ar.Exchange(transfer, accepted, reason);
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
