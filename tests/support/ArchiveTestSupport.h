// Helpers shared by the archive tests: store into bytes, load from bytes,
// compare bytes as readable hex, and a sender and receiver that each keep one
// archive across messages.
#pragma once

#include <xsock/Archive.h>

#include <cctype>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xsock::test {

using Bytes = std::vector<std::uint8_t>;

// "FF FE 0a" -> {0xFF, 0xFE, 0x0A}; whitespace is ignored.
inline Bytes Hex(std::string_view text) {
    Bytes bytes;
    int high = -1;
    for (char ch : text) {
        if (std::isspace(static_cast<unsigned char>(ch))) {
            continue;
        }
        const int nibble = std::isdigit(static_cast<unsigned char>(ch))
                               ? ch - '0'
                               : std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10;
        if (high < 0) {
            high = nibble;
        } else {
            bytes.push_back(static_cast<std::uint8_t>(high * 16 + nibble));
            high = -1;
        }
    }
    return bytes;
}

inline std::string ToHex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string text;
    for (std::uint8_t byte : bytes) {
        if (!text.empty()) {
            text += ' ';
        }
        text += kDigits[byte >> 4];
        text += kDigits[byte & 0xF];
    }
    return text;
}

inline Bytes Concat(std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const Bytes& part : parts) {
        all.insert(all.end(), part.begin(), part.end());
    }
    return all;
}

inline Bytes ContentsOf(const MemFile& file) {
    const auto contents = file.Contents();
    const auto* data = reinterpret_cast<const std::uint8_t*>(contents.data());
    return Bytes(data, data + contents.size());
}

// The cause of the ArchiveException action throws, or none.
template <class Action>
ArchiveException::Cause CauseOf(Action&& action) {
    try {
        action();
    } catch (const ArchiveException& e) {
        return e.m_cause;
    }
    return ArchiveException::none;
}

// Runs write against a storing archive and returns the bytes it produced.
template <class Write>
Bytes Store(Write&& write, std::endian order = std::endian::little) {
    MemFile file;
    Archive ar(file, Archive::store);
    ar.SetByteOrder(order);
    write(ar);
    ar.Close();
    return ContentsOf(file);
}

// Runs read against a loading archive over bytes.
template <class Read>
void Load(const Bytes& bytes, Read&& read, std::endian order = std::endian::little) {
    MemFile file(std::as_bytes(std::span(bytes)));
    Archive ar(file, Archive::load);
    ar.SetByteOrder(order);
    read(ar);
}

// One connection's two ends: a storing archive and a loading archive that each
// live across messages, as the README's per-connection pattern has them. What
// Send writes reaches the receiver's inbox when Send returns.
class ArchiveSession {
  public:
    ArchiveSession() : out_(outbox_, Archive::store), in_(inbox_, Archive::load) {}

    template <class Write>
    void Send(Write&& write) {
        write(out_);
        out_.Flush();
        const auto sent = outbox_.Contents();
        inbox_.Append(sent.data() + delivered_, sent.size() - delivered_);
        delivered_ = sent.size();
    }
    Archive& In() { return in_; }
    Archive& Out() { return out_; }

  private:
    MemFile outbox_;
    MemFile inbox_;
    std::size_t delivered_ = 0;
    Archive out_;
    Archive in_;
};

}  // namespace xsock::test
