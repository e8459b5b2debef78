// Archive's variable-length encodings: WriteCount/ReadCount, CString's length
// prefix with its wide-string marker, wide strings and characters, text lines.
#include <xsock/Archive.h>

namespace xsock {

namespace {

constexpr std::uint8_t kByteEscape = 0xFF;
constexpr std::uint16_t kWordEscape = 0xFFFF;
constexpr std::uint16_t kWideMarker = 0xFFFE;
constexpr std::uint32_t kDwordEscape = 0xFFFFFFFF;

}  // namespace

void detail::AssignChars(std::string& text, const char* data, std::size_t length) {
    try {
        text.assign(data, length);
    } catch (const std::bad_alloc&) {
        throw ArchiveException(ArchiveException::limitExceeded,
                               "the system ran out of memory for what the input claims");
    }
}

// Counts and string lengths share their long forms: a 0xFFFF word, then four
// bytes, or 0xFFFFFFFF and eight bytes.
void Archive::PutLongLength(std::uint64_t length) {
    PutBits(kWordEscape);
    if (length < kDwordEscape) {
        PutBits(static_cast<std::uint32_t>(length));
    } else {
        PutBits(kDwordEscape);
        PutBits(length);
    }
}

std::uint64_t Archive::GetLongLength() {
    std::uint64_t length = GetBits<std::uint32_t>();
    if (length == kDwordEscape) {
        length = GetBits<std::uint64_t>();
    }
    return length;
}

void Archive::WriteStringLength(std::uint64_t length, bool wide) {
    if (wide) {
        PutBits(kByteEscape);
        PutBits(kWideMarker);
    }
    if (length < kByteEscape) {
        PutBits(static_cast<std::uint8_t>(length));
        return;
    }
    PutBits(kByteEscape);
    // 0xFFFE would read as the wide marker, so 2-byte lengths stop below it.
    if (length < kWideMarker) {
        PutBits(static_cast<std::uint16_t>(length));
    } else {
        PutLongLength(length);
    }
}

std::uint64_t Archive::ReadStringLength(bool& wide) {
    wide = false;
    std::uint64_t length = GetBits<std::uint8_t>();
    if (length == kByteEscape) {
        auto word = GetBits<std::uint16_t>();
        bool done = false;
        if (word == kWideMarker) {
            // As MFC: after the marker the length starts over, and a second 0xFFFE
            // is then an ordinary 2-byte length.
            wide = true;
            length = GetBits<std::uint8_t>();
            done = length != kByteEscape;
            if (!done) {
                word = GetBits<std::uint16_t>();
            }
        }
        if (!done) {
            length = word != kWordEscape ? word : GetLongLength();
        }
    }
    if (length > limits_.maxStringLength) {
        ThrowLimit("string length", length);
    }
    return length;
}

void Archive::PutWide(const char16_t* text, std::size_t length) {
    WriteStringLength(length, true);
    WriteElements(text, length);
}

void Archive::PutWide(const wchar_t* text, std::size_t length) {
    const std::u16string units = detail::WideToUtf16({text, length});
    PutWide(units.data(), units.size());
}

void Archive::WriteWideChar(wchar_t ch) {
    if (static_cast<std::uint32_t>(ch) > 0xFFFF) {
        throw ArchiveException(ArchiveException::genericException,
                               "a wchar_t above U+FFFF does not fit MFC's 2-byte wchar_t");
    }
    PutBits(static_cast<std::uint16_t>(ch));
}

bool Archive::ReadString(std::string& line) {
    CheckLoading();
    line.clear();
    bool any = false;
    while (cur_ != rend_ || FillAtLeast(1)) {
        any = true;
        const auto available = static_cast<std::size_t>(rend_ - cur_);
        const void* newline = std::memchr(cur_, '\n', available);
        const auto take =
            newline != nullptr
                ? static_cast<std::size_t>(static_cast<const std::byte*>(newline) - cur_)
                : available;
        if (line.size() + take > limits_.maxStringLength) {
            ThrowLimit("line length", line.size() + take);
        }
        line.append(reinterpret_cast<const char*>(cur_), take);
        cur_ += take;
        if (newline != nullptr) {
            ++cur_;
            if (!line.empty() && line.back() == '\r') {
                line.pop_back();
            }
            return true;
        }
    }
    return any;
}

char* Archive::ReadString(char* buffer, unsigned max) {
    CheckLoading();
    if (max == 0) {
        return nullptr;
    }
    std::size_t length = 0;
    bool any = false;
    while (length + 1 < max && (cur_ != rend_ || FillAtLeast(1))) {
        any = true;
        const auto ch = static_cast<char>(*cur_++);
        if (ch == '\n') {
            if (length != 0 && buffer[length - 1] == '\r') {
                --length;
            }
            break;
        }
        buffer[length++] = ch;
    }
    if (!any) {
        return nullptr;
    }
    buffer[length] = '\0';
    return buffer;
}

}  // namespace xsock
