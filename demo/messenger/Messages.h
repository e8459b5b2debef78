// The messenger's wire messages: serializable xsock::Object classes, written
// MFC style (CHATTER's): one storing and one loading Archive per connection,
// each message as its class (WriteClass, so a class name crosses the wire once
// per connection) followed by the object's Serialize. The same bytes go over a
// non-blocking AsyncSocket (Connection) and a blocking Socket + SocketFile
// (BlockingClient).
//
// A Hello also travels alone in a UDP datagram as the --discover announcement.
//
// Ids: a peer's id is its key's fingerprint (the SHA-256 of its public key,
// which its TLS certificate carries). In memory it is the lowercase hex that
// GetTlsInfo reports; on the wire it is the 32 bytes themselves.
//
// Errors: ReadMessage throws ArchiveException for anything that is not one of
// these classes, that breaks the archive's Limits (kWireLimits), or whose id
// is not 32 bytes.
#pragma once

#include <xsock/Archive.h>
#include <xsock/Object.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace messenger {

// A SHA-256 fingerprint.
inline constexpr std::size_t kIdBytes = 32;

// Small enough that one malformed or hostile peer costs little memory.
inline constexpr xsock::Archive::Limits kWireLimits{
    .maxStringLength = std::uint64_t{1} << 20,
    .maxCount = 4096,
    .maxObjects = 64,
    .maxDepth = 4,
};

// First message on every connection. `id` must be the key the sender's TLS
// session proved, or the link is refused. listenPort 0: the sender accepts no
// connections (a --blocking client), so it is never introduced to others.
// listenHost: the address it listens on, or "" when that is every address
// (then peers use the address its connection comes from).
class Hello : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Hello)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::string id;
    std::string name;
    std::uint16_t listenPort = 0;
    std::string listenHost;
    // The sender holds an invite code for this link and waits for a PairProof.
    bool pairing = false;
};

// Pairing through an invite code (demo/common/Pairing.h): the inviter, which
// took its code out of use, proves the code first; the joiner checks that
// proof before it sends its own. `proof` is PairingProof's 32 bytes, bound to
// this TLS session and both keys.
class PairProof : public xsock::Object {
    XSOCK_DECLARE_SERIAL(PairProof)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::string proof;
};

// The answer to a Hello: every other peer the sender knows, by id and
// listening address, so a newcomer connects to the whole mesh. It vouches for
// those peers: a receiver that trusts the sender trusts the ids it lists.
class PeerList : public xsock::Object {
    XSOCK_DECLARE_SERIAL(PeerList)
  public:
    struct Entry {
        std::string id;
        std::string host;
        std::uint16_t port = 0;
    };
    void Serialize(xsock::Archive& ar) override;
    std::vector<Entry> peers;
    // false: only a vouch for a newcomer, which dials in itself.
    bool dial = true;
};

// A line of chat. (origin, sequence) names it across the mesh: receivers
// forward a chat they have not seen to their other neighbours and drop
// repeats, so it reaches every peer exactly once even while the mesh is still
// forming (or through a --blocking client's single link).
//
// It speaks only for its author: publicKey is the author's key (DER, its
// fingerprint is `origin`) and signature its signature over ChatSignedBytes.
// A receiver checks both before it shows, forwards or even records the line.
class Chat : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Chat)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::string origin;
    std::uint64_t sequence = 0;
    std::string name;
    std::string text;
    std::string publicKey;
    std::string signature;
};

// What a Chat's signature covers: a label naming this protocol and version,
// then origin, sequence, name and text, each preceded by its length (8 bytes,
// big-endian), so that no two chats have the same encoding.
std::string ChatSignedBytes(const Chat& chat);
// Where a run's sequence numbers start: microseconds since the epoch, so that
// a restarted peer goes on above the numbers its peers have seen from it.
std::uint64_t FirstSequence();

// Offers a file; nothing more follows until the receiver's user answers with
// a FileAnswer. Accepted, FileChunks with the same transfer id follow until
// `size` bytes have arrived. name is a base name; sha256 is lower-case hex.
// A sender's transfer ids increase along a link: a repeated one is refused.
// The offer speaks for its author: `signature` is by the key `publicKey`
// (DER), whose fingerprint must be the link's proved id, over
// OfferSignedBytes, which also names the recipient, so an offer cannot be
// replayed to another peer.
class FileOffer : public xsock::Object {
    XSOCK_DECLARE_SERIAL(FileOffer)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::uint32_t transfer = 0;
    std::string name;
    std::uint64_t size = 0;
    std::string sha256;
    std::string publicKey;
    std::string signature;
};

// What FileOffer's signature covers: a domain label, then the sender's and
// the recipient's ids and the offer's fields, each length-prefixed so no two
// offers share an encoding.
std::string OfferSignedBytes(const FileOffer& offer, const std::string& sender,
                             const std::string& recipient);

// The receiver's answer to a FileOffer: accepted (chunks may follow), or
// refused with a reason the sender prints (rejected, expired, too large, no
// space, too many offers at once).
class FileAnswer : public xsock::Object {
    XSOCK_DECLARE_SERIAL(FileAnswer)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::uint32_t transfer = 0;
    bool accepted = false;
    std::string reason;
};

class FileChunk : public xsock::Object {
    XSOCK_DECLARE_SERIAL(FileChunk)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::uint32_t transfer = 0;
    std::string data;
};

// Sent before an orderly departure.
class Bye : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Bye)
  public:
    void Serialize(xsock::Archive& ar) override;
};

// Ids between their hex form and the wire's 32 bytes.
void ExchangeId(xsock::Archive& ar, std::string& id);

// Serialize is not const (one body loads and stores), hence the plain reference.
void WriteMessage(xsock::Archive& ar, xsock::Object& message);
// Never null; throws ArchiveException (badClass) for a class that is not a
// serializable one.
std::unique_ptr<xsock::Object> ReadMessage(xsock::Archive& ar);

}  // namespace messenger
