// Archive: buffered binary serialization in MFC's CArchive wire format.
//
// An Archive is attached to a File for loading or storing, like CArchive:
//
//     xsock::DiskFile file("msgs.bin", xsock::File::modeCreate | xsock::File::modeWrite);
//     xsock::Archive ar(file, xsock::Archive::store);
//     ar << std::int32_t{7} << std::string("hello") << pMsg;   // pMsg: Object-derived
//     ar.Close();
//
// The bytes are MFC's: little-endian fixed-width numbers, CString's length
// prefixes (std::string as a narrow string, std::u16string and std::wstring as
// a wide one), WriteCount's counts, and TN002's tags for objects, so an MFC
// program on Windows reads what this writes and the other way round. Types
// whose size differs between platforms (long double, and long/unsigned long
// where they are not the platform's int32_t/int64_t) are refused at compile
// time. SetByteOrder(std::endian::big) switches every number to network order
// while strings, counts and objects keep their layout; that is not MFC's
// format, so use it only between peers that agree on it.
//
// Reading is defensive: every failure is an ArchiveException (see
// ArchiveException.h), never a crash. Per-archive Limits cap string lengths,
// counts, objects, nesting (each level is a recursive Serialize call) and the
// memory one load builds (std::bad_alloc becomes limitExceeded too). A loaded
// pointer only ever refers to a live object: a reference to one its owner
// destroyed, a container dropped or a failed load made is badIndex (Object.h).
//
// The memory budget counts what loading creates at its in-memory size, in bulk
// as it is made; one load (one TryLoad, or one outermost operator>> outside
// transactions) may build Limits::maxMemory, and kMemoryPerByte times the
// bytes it has read plus kMemoryBase.
//
// Transactions (beyond MFC, after Qt's QDataStream) let a non-blocking reader
// try to load a whole message from what has arrived so far:
//
//     // in OnReceive: inbox_ is a MemFile, in_ an Archive loading from it
//     inbox_.Append(data, size);
//     Msg msg;
//     while (in_.TryLoad([&] { in_ >> msg; })) Handle(msg);
//
// TryLoad starts a transaction, runs the loads, and commits. If the data runs
// out (endOfFile) it rolls back to where it started, keeping every byte, and
// returns false; more bytes appended later are read after the kept ones. Any
// other failure aborts the transaction (the stream is out of step and every
// later load fails) and propagates. StartTransaction, CommitTransaction,
// RollbackTransaction and AbortTransaction give the same control by hand and
// nest. Object indices carry over from message to message within one archive,
// so the reader mirrors the writer: one Archive for the connection if the
// sender keeps one, or a fresh Archive per TryLoad if the sender writes each
// message with its own; closing a loading archive gives the bytes it read ahead
// (and any uncommitted ones) back to a seekable File such as the MemFile.
//
// Thread safety: an Archive and its File belong to one thread at a time.
// Errors: ArchiveException for format, limit and state problems; FileException
// from the underlying File passes through unchanged. Close reports a failed
// final flush; the destructor flushes too but has to swallow a failure.
#pragma once

#include <xsock/ArchiveException.h>
#include <xsock/ArchiveExport.h>
#include <xsock/ByteOrder.h>
#include <xsock/File.h>
#include <xsock/Object.h>
#include <xsock/detail/ArchiveTraits.h>

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace xsock {

namespace detail {
class ObjectTable;
}  // namespace detail

class XSOCK_ARCHIVE_EXPORT Archive {
  public:
    enum Mode : unsigned { store = 0, load = 1, bNoFlushOnDelete = 2 };

    // Caps on what a loading archive accepts; exceeding one throws limitExceeded.
    struct Limits {
        std::uint64_t maxStringLength = std::uint64_t{1} << 26;  // characters (code units)
        std::uint64_t maxCount = std::uint64_t{1} << 24;         // any ReadCount result
        std::uint32_t maxObjects = std::uint32_t{1} << 20;       // objects plus classes
        std::uint32_t maxDepth = 128;  // objects loading inside objects (stack use)
        std::uint64_t maxMemory = std::uint64_t{256} << 20;  // bytes one load may build
    };
    // A load also builds at most kMemoryPerByte per byte read, plus kMemoryBase.
    static constexpr std::uint64_t kMemoryPerByte = 64;
    static constexpr std::uint64_t kMemoryBase = std::uint64_t{16} << 20;

    // Where an object created by a load goes: to the caller as a raw pointer
    // (MFC's rule), into a unique_ptr, or into a shared_ptr shared with every
    // other shared_ptr loaded for the same object. `none` accepts only objects
    // already loaded (or mapped): a new one is refused rather than leaked.
    enum class Ownership { caller, unique, shared, none };
    using TypeCheck = bool (*)(const Object*);
    struct LoadedObject {
        Object* object = nullptr;
        std::shared_ptr<Object> shared;
    };

    Archive(File& file, unsigned mode, std::size_t bufferSize = 4096);
    ~Archive();
    Archive(const Archive&) = delete;
    Archive& operator=(const Archive&) = delete;

    bool IsLoading() const noexcept { return loading_; }
    bool IsStoring() const noexcept { return !loading_; }
    // True when no loaded byte is waiting in the buffer (CArchive::IsBufferEmpty).
    bool IsBufferEmpty() const noexcept { return cur_ == rend_; }
    File* GetFile() const noexcept { return file_; }

    void SetByteOrder(std::endian order) noexcept;
    std::endian GetByteOrder() const noexcept { return order_; }
    void SetLimits(const Limits& limits) noexcept {
        limits_ = limits;
        chargeCheck_ = 0;  // the next charge looks at the new budget
    }
    const Limits& GetLimits() const noexcept { return limits_; }

    // Bytes a load can take without waiting: those buffered plus, when the file
    // can seek, the rest of the file. Loads size containers by it.
    std::uint64_t AvailableBytes() const noexcept;

    // Raw bytes. Read returns fewer than count only at the end of the data.
    std::size_t Read(void* buffer, std::size_t count);
    void Write(const void* buffer, std::size_t count);
    // Storing: hands buffered bytes to the File. Loading: does nothing.
    void Flush();
    // Storing: flushes. Loading: rolls back open transactions and, if the file
    // can seek, gives unread buffered bytes back to it. Then detaches.
    void Close();
    // Detaches without flushing and without throwing.
    void Abort() noexcept;

    void WriteCount(std::uint64_t count) {
        if (count < 0xFFFF) {
            PutBits(static_cast<std::uint16_t>(count));
        } else {
            PutLongLength(count);
        }
    }
    std::uint64_t ReadCount() {
        const auto word = GetBits<std::uint16_t>();
        const std::uint64_t count = word != 0xFFFF ? word : GetLongLength();
        if (count > limits_.maxCount) {
            ThrowLimit("count", count);
        }
        return count;
    }

    // CString's length prefix (AfxWriteStringLength / AfxReadStringLength); wide
    // strings carry the FF FE FF marker. ReadStringLength applies maxStringLength.
    void WriteStringLength(std::uint64_t length, bool wide);
    std::uint64_t ReadStringLength(bool& wide);

    // Text lines: WriteString writes the characters only (no terminator);
    // ReadString reads up to '\n', dropping it and a '\r' before it, and returns
    // false at the end of the data when nothing was read.
    void WriteString(std::string_view text) { Write(text.data(), text.size()); }
    bool ReadString(std::string& line);
    // Reads at most max - 1 characters of a line and terminates them; nullptr at
    // the end of the data. The rest of a longer line is left for the next call.
    char* ReadString(char* buffer, unsigned max);

    // Objects (TN002).
    void WriteObject(const Object* object);
    // WriteObject for a pointer that owns nothing: the object must already be
    // written or mapped (badIndex otherwise), so only a reference is written.
    void WriteReference(const Object* object);
    Object* ReadObject(const RuntimeClass* requested);
    void WriteClass(const RuntimeClass* cls);
    const RuntimeClass* ReadClass(const RuntimeClass* requested = nullptr,
                                  unsigned* schema = nullptr, std::uint32_t* objectTag = nullptr);
    void SerializeClass(const RuntimeClass* cls);
    void MapObject(const Object* object);
    // The schema of the object being loaded, once: it then reads as unknown
    // (unsigned)-1, as in MFC.
    unsigned GetObjectSchema() noexcept;
    void SetObjectSchema(unsigned schema) noexcept { objectSchema_ = schema; }
    // The primitive behind operator>> for pointers: accepts (may be null) checks
    // the C++ type before the object's Serialize runs.
    LoadedObject LoadObject(const RuntimeClass* requested, TypeCheck accepts, Ownership ownership);

    // The memory budget, for operators of containers of your own: ChargeMemory
    // counts bytes a load creates (limitExceeded past the budget); LoadValue runs
    // one value's load, afresh if outermost, std::bad_alloc as limitExceeded.
    void ChargeMemory(std::uint64_t bytes) {
        charged_ += bytes;
        if (charged_ > chargeCheck_) [[unlikely]] {
            CheckMemory(bytes);
        }
    }
    // Gives back a charge for memory the load freed again (an outgrown buffer).
    void ReleaseMemory(std::uint64_t bytes) noexcept { charged_ -= std::min(bytes, charged_); }
    // What may still be charged now without exceeding the budget.
    std::uint64_t MemoryHeadroom();
    template <class Body>
    void LoadValue(Body&& body);
    // LoadValue without a lambda: a stack frame less per level (ArchiveInline.h).
    class ValueScope;

    // Transactions (loading only).
    void StartTransaction();
    void CommitTransaction();
    void RollbackTransaction();
    void AbortTransaction() noexcept;
    bool IsInTransaction() const noexcept { return !transactions_.empty(); }
    template <class Load>
    bool TryLoad(Load&& load);

    // One Serialize body for both directions: stores each value when storing,
    // loads into each when loading, like `ar & x` elsewhere.
    template <class... T>
    Archive& Exchange(T&&... values);

    template <detail::WireScalar T>
    Archive& operator<<(T value);
    template <detail::WireScalar T>
    Archive& operator>>(T& value);

    // Strings: char as MFC's narrow string, char16_t and wchar_t as its wide one.
    template <detail::StringChar C>
    Archive& operator<<(const C* text) {
        return *this << (text != nullptr ? std::basic_string_view<C>(text)
                                         : std::basic_string_view<C>());
    }
    template <detail::StringChar C, class Traits>
    Archive& operator<<(std::basic_string_view<C, Traits> text) {
        PutText(text.data(), text.size());
        return *this;
    }
    template <detail::StringChar C, class Traits, class Alloc>
    Archive& operator<<(const std::basic_string<C, Traits, Alloc>& text) {
        PutText(text.data(), text.size());
        return *this;
    }

    template <class Traits, class Alloc>
    Archive& operator>>(std::basic_string<char, Traits, Alloc>& text);
    template <class Traits, class Alloc>
    Archive& operator>>(std::basic_string<char16_t, Traits, Alloc>& text);
    template <class Traits, class Alloc>
    Archive& operator>>(std::basic_string<wchar_t, Traits, Alloc>& text);

    // Arrays of scalars in one copy when the byte order allows it.
    template <class T>
    void WriteElements(const T* data, std::size_t count);
    // Replaces c's contents with count scalars, growing in bounded steps so a
    // hostile count costs memory only as its bytes arrive.
    template <class Container>
    void ReadElements(Container& c, std::uint64_t count);

  private:
    struct Snapshot {
        std::uint64_t position;
        std::uint32_t objects;
        unsigned objectSchema;
    };

    // Loads grow containers by at most this many bytes (or by what they already
    // hold) before the bytes have arrived.
    static constexpr std::size_t kReadStep = std::size_t{64} * 1024;

    template <class U>
    void PutBits(U bits) {
        if constexpr (sizeof(U) > 1) {
            if (swap_) {
                bits = ByteSwap(bits);
            }
        }
        if (wend_ - cur_ >= static_cast<std::ptrdiff_t>(sizeof(U))) [[likely]] {
            std::memcpy(cur_, &bits, sizeof(U));
            cur_ += sizeof(U);
        } else {
            Write(&bits, sizeof(U));
        }
    }

    template <class U>
    U GetBits() {
        U bits;
        if (rend_ - cur_ < static_cast<std::ptrdiff_t>(sizeof(U))) [[unlikely]] {
            Fill(sizeof(U));
        }
        std::memcpy(&bits, cur_, sizeof(U));
        cur_ += sizeof(U);
        if constexpr (sizeof(U) > 1) {
            if (swap_) {
                bits = ByteSwap(bits);
            }
        }
        return bits;
    }

    void PutNarrow(const char* text, std::size_t length) {
        if (length < 0xFF && wend_ - cur_ > static_cast<std::ptrdiff_t>(length)) [[likely]] {
            *cur_++ = static_cast<std::byte>(length);
            if (length != 0) {
                std::memcpy(cur_, text, length);
                cur_ += length;
            }
        } else {
            WriteStringLength(length, false);
            Write(text, length);
        }
    }
    void PutWide(const char16_t* text, std::size_t length);
    void PutWide(const wchar_t* text, std::size_t length);
    // Either MFC string form into a narrow or UTF-16 string, converting.
    template <class String>
    void GetString(String& text);
    template <class C>
    void PutText(const C* text, std::size_t length) {
        if constexpr (std::is_same_v<C, char>) {
            PutNarrow(text, length);
        } else {
            PutWide(text, length);
        }
    }

    // After a 0xFFFF word: four bytes, or 0xFFFFFFFF and eight.
    void PutLongLength(std::uint64_t length);
    std::uint64_t GetLongLength();
    void WriteObjectIndex(std::uint32_t index);
    void WriteWideChar(wchar_t ch);

    // Makes at least need bytes readable at cur_ or throws endOfFile.
    void Fill(std::size_t need);
    // The same, but reports the end of the data by returning false.
    bool FillAtLeast(std::size_t need);
    void MakeRoom(std::size_t need);
    void ReadExact(void* buffer, std::size_t count);
    void FlushBuffer();
    void Detach() noexcept;
    void CheckLoading() const;
    void CheckStoring() const;
    [[noreturn]] static void ThrowLimit(const char* what, std::uint64_t value);
    [[noreturn]] static void ThrowOutOfMemory();
    // The budget's slow path; `bytes` is the charge that led here.
    void CheckMemory(std::uint64_t bytes);
    void StartBudget() noexcept;
    void ForgetLoad() noexcept;  // after a failed load: its objects never resolve again
    std::uint64_t MemoryAllowance() const noexcept;
    LoadedObject LoadReference(std::uint32_t tag, const RuntimeClass* requested, TypeCheck accepts,
                               Ownership ownership);
    LoadedObject LoadNew(const RuntimeClass* cls, unsigned schema, TypeCheck accepts,
                         Ownership ownership);
    detail::ObjectTable& Objects();
    std::uint64_t Position() const noexcept {
        return base_ + static_cast<std::uint64_t>(cur_ - buf_);
    }

    File* file_;
    bool loading_;
    bool swap_ = false;
    bool noFlushOnDelete_;
    bool broken_ = false;
    std::endian order_ = std::endian::little;
    std::unique_ptr<std::byte[]> buffer_;
    std::byte* buf_ = nullptr;
    std::size_t capacity_ = 0;
    std::size_t initialCapacity_ = 0;
    // Next byte; end of loaded bytes (buf_ when storing); end of room to store
    // (buf_ when loading). Hot paths compare against these only.
    std::byte* cur_ = nullptr;
    std::byte* rend_ = nullptr;
    std::byte* wend_ = nullptr;
    // Stream offset of buf_[0] while loading, for transaction positions.
    std::uint64_t base_ = 0;
    std::vector<Snapshot> transactions_;
    Limits limits_;
    unsigned objectSchema_ = ~0u;
    std::uint32_t depth_ = 0;
    // The budget: bytes charged in this load, the charge below which no check
    // is needed, where the load started, how many LoadValue calls are open.
    std::uint64_t charged_ = 0;
    std::uint64_t chargeCheck_ = 0;
    std::uint64_t budgetStart_ = 0;
    std::uint32_t valueNesting_ = 0;
    std::uint32_t loadObjects_ = 1;  // the object table's size when the load began
    std::unique_ptr<detail::ObjectTable> objects_;
};

}  // namespace xsock

#include <xsock/detail/ArchiveInline.h>

#include <xsock/ArchiveContainers.h>
#include <xsock/ArchivePointers.h>
