// Definitions of Archive's member templates, kept apart so Archive.h reads as
// the interface. Included by Archive.h, after the class.
#pragma once

#include <xsock/Archive.h>

namespace xsock {

template <detail::WireScalar T>
Archive& Archive::operator<<(T value) {
    detail::RequireFixedWireSize<T>();
    if constexpr (std::is_enum_v<T>) {
        return *this << static_cast<std::underlying_type_t<T>>(value);
    } else if constexpr (std::is_same_v<T, bool>) {
        PutBits(static_cast<std::uint8_t>(value ? 1 : 0));
    } else if constexpr (std::is_same_v<T, wchar_t>) {
        WriteWideChar(value);
    } else {
        PutBits(std::bit_cast<detail::WireBits<sizeof(T)>>(value));
    }
    return *this;
}

template <detail::WireScalar T>
Archive& Archive::operator>>(T& value) {
    detail::RequireFixedWireSize<T>();
    if constexpr (std::is_enum_v<T>) {
        std::underlying_type_t<T> raw{};
        *this >> raw;
        value = static_cast<T>(raw);
    } else if constexpr (std::is_same_v<T, bool>) {
        value = GetBits<std::uint8_t>() != 0;
    } else if constexpr (std::is_same_v<T, wchar_t>) {
        value = static_cast<wchar_t>(GetBits<std::uint16_t>());
    } else {
        value = std::bit_cast<T>(GetBits<detail::WireBits<sizeof(T)>>());
    }
    return *this;
}

template <class Traits, class Alloc>
Archive& Archive::operator>>(std::basic_string<char, Traits, Alloc>& text) {
    if (rend_ > cur_) [[likely]] {
        const auto length = static_cast<std::uint8_t>(*cur_);
        if (length < 0xFF && rend_ - cur_ > length && length <= limits_.maxStringLength) {
            const auto* first = reinterpret_cast<const char*>(cur_ + 1);
            if constexpr (std::is_same_v<std::basic_string<char, Traits, Alloc>, std::string>) {
                detail::AssignChars(text, first, length);
            } else {
                try {
                    text.assign(first, length);
                } catch (const std::bad_alloc&) {
                    ThrowOutOfMemory();
                }
            }
            cur_ += length + 1;
            ChargeMemory(length);  // after the bytes it copied were consumed
            return *this;
        }
    }
    GetString(text);
    return *this;
}

template <class Traits, class Alloc>
Archive& Archive::operator>>(std::basic_string<char16_t, Traits, Alloc>& text) {
    GetString(text);
    return *this;
}

template <class String>
void Archive::GetString(String& text) {
    constexpr bool kWantWide = std::is_same_v<typename String::value_type, char16_t>;
    bool wide = false;
    const std::uint64_t length = ReadStringLength(wide);
    if (wide == kWantWide) {
        ReadElements(text, length);
        return;
    }
    LoadValue([&] {
        // The conversion's copies are charged as well as the text read.
        if constexpr (kWantWide) {
            std::string bytes;
            ReadElements(bytes, length);
            ChargeMemory(bytes.size() * 2 * sizeof(char16_t));
            const std::u16string units = detail::Utf8ToUtf16(bytes);
            text.assign(units.data(), units.size());
        } else {
            std::u16string units;
            ReadElements(units, length);
            ChargeMemory(units.size() * 3 * 2);
            const std::string utf8 = detail::Utf16ToUtf8(units);
            text.assign(utf8.data(), utf8.size());
        }
    });
}

template <class Traits, class Alloc>
Archive& Archive::operator>>(std::basic_string<wchar_t, Traits, Alloc>& text) {
    LoadValue([&] {
        std::u16string units;
        *this >> units;
        ChargeMemory(units.size() * 2 * sizeof(wchar_t));
        const std::wstring wide = detail::Utf16ToWide(units);
        text.assign(wide.data(), wide.size());
    });
    return *this;
}

template <class T>
void Archive::WriteElements(const T* data, std::size_t count) {
    static_assert(detail::kIsBulkScalar<T>);
    if (sizeof(T) == 1 || !swap_) {
        Write(data, count * sizeof(T));
    } else {
        for (std::size_t i = 0; i < count; ++i) {
            PutBits(std::bit_cast<detail::WireBits<sizeof(T)>>(data[i]));
        }
    }
}

template <class Container>
void Archive::ReadElements(Container& c, std::uint64_t count) {
    using T = typename Container::value_type;
    static_assert(detail::kIsBulkCopyable<T>);
    if constexpr (!detail::kIsBulkScalar<T>) {
        static_assert(std::is_trivially_copyable_v<T>,
                      "kStoredAsBytes needs a trivially copyable type");
        if (swap_) {
            throw std::logic_error(
                "Archive::ReadElements: a struct's bytes need the machine's byte order");
        }
    }
    const std::size_t available =
        rend_ > cur_ ? static_cast<std::size_t>(rend_ - cur_) / sizeof(T) : 0;
    if (count <= available) {
        // Elements c already has are copied over, not rebuilt, so loading into
        // a container that holds as many costs one copy.
        const auto n = static_cast<std::size_t>(count);
        try {
            if constexpr (std::is_same_v<T, char> || std::is_same_v<T, unsigned char>) {
                const auto* first = reinterpret_cast<const T*>(cur_);
                c.assign(first, first + n);
            } else {
                c.resize(n);
                if (n != 0) {
                    std::memcpy(c.data(), cur_, n * sizeof(T));
                }
            }
        } catch (const std::bad_alloc&) {
            ThrowOutOfMemory();
        }
        cur_ += n * sizeof(T);
        ChargeMemory(n * sizeof(T));  // after the bytes it copied were consumed
    } else {
        LoadValue([&] {
            c.clear();
            // The first step takes what the available bytes can fill and the
            // budget allows; later steps double, so memory follows the bytes
            // that actually arrive.
            std::size_t done = 0;
            std::uint64_t backed = AvailableBytes() / sizeof(T);
            while (done < count) {
                const std::uint64_t least = kReadStep / sizeof(T);
                const std::uint64_t grow = std::min(std::max<std::uint64_t>({least, done, backed}),
                                                    std::max(least, MemoryHeadroom() / sizeof(T)));
                const auto step =
                    static_cast<std::size_t>(std::min<std::uint64_t>(count - done, grow));
                // While the buffer moves, the old and the new one both exist.
                ChargeMemory(std::uint64_t{done + step} * sizeof(T));
                c.resize(done + step);
                ReleaseMemory(std::uint64_t{done} * sizeof(T));
                ReadExact(c.data() + done, step * sizeof(T));
                done += step;
                backed = 0;
            }
        });
    }
    if constexpr (detail::kIsBulkScalar<T> && sizeof(T) > 1) {
        if (swap_) {
            for (auto& element : c) {
                element = ByteSwap(element);
            }
        }
    }
}

// For operators whose frames are on the stack once per nesting level:
//     const Archive::ValueScope scope(ar);
//     try { ... } catch (...) { scope.Failed(); }
class Archive::ValueScope {
  public:
    explicit ValueScope(Archive& ar) noexcept
        : ar_(ar), outermost_(ar.valueNesting_ == 0 && ar.transactions_.empty()) {
        if (outermost_) {
            ar.StartBudget();
        }
        ++ar.valueNesting_;
    }
    ~ValueScope() { --ar_.valueNesting_; }
    ValueScope(const ValueScope&) = delete;
    ValueScope& operator=(const ValueScope&) = delete;
    // Rethrows the exception being handled, std::bad_alloc as limitExceeded;
    // an outermost load's objects can never be referenced again.
    [[noreturn]] void Failed() const;

  private:
    Archive& ar_;
    bool outermost_;
};

template <class Body>
void Archive::LoadValue(Body&& body) {
    const ValueScope scope(*this);
    try {
        std::forward<Body>(body)();
    } catch (...) {
        scope.Failed();
    }
}

template <class... T>
Archive& Archive::Exchange(T&&... values) {
    if (loading_) {
        ((*this >> values), ...);
    } else {
        ((*this << values), ...);
    }
    return *this;
}

template <class Load>
bool Archive::TryLoad(Load&& load) {
    StartTransaction();
    try {
        std::forward<Load>(load)();
    } catch (const ArchiveException& error) {
        if (error.m_cause == ArchiveException::endOfFile) {
            RollbackTransaction();
            return false;
        }
        AbortTransaction();
        throw;
    } catch (...) {
        AbortTransaction();
        throw;
    }
    CommitTransaction();
    return true;
}

}  // namespace xsock
