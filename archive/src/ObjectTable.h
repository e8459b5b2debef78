// The bookkeeping behind an Archive's objects (TN002): which objects and
// classes a storing archive has already written and under which index, and
// what each index means to a loading archive. Indices are shared by classes and
// objects, start at 1 and follow first-written order; 0 is the null pointer.
// Internal; owned by one Archive and used from its thread only.
#pragma once

#include <xsock/Object.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace xsock::detail {

class ObjectTable {
  public:
    enum class Kind : std::uint8_t { null, object, cls, failed };
    // Who owns a loaded object, which decides what a later reference may do.
    enum class Holder : std::uint8_t { caller, unique, shared, mapped };

    struct Entry {
        const void* pointer = nullptr;
        unsigned schema = 0;
        Kind kind = Kind::null;
        Holder holder = Holder::caller;
    };

    // Storing: the index already given to an object or class, or 0.
    std::uint32_t StoredIndex(const void* key) const;
    // Storing: gives key the next index (again, if it had one).
    std::uint32_t Store(const void* key);

    // Loading: the number of indices handed out so far, counting the null one.
    std::uint32_t LoadedCount() const noexcept {
        return static_cast<std::uint32_t>(entries_.size());
    }
    // Loading: the entry for an index, or nullptr for 0 and unknown indices.
    const Entry* Loaded(std::uint32_t index) const noexcept;
    std::uint32_t AddLoaded(const Entry& entry);
    const std::shared_ptr<Object>* Shared(std::uint32_t index) const;
    void SetShared(std::uint32_t index, std::shared_ptr<Object> object);
    // After a load failed: indices from `first` on refer to destroyed objects and
    // must never resolve again.
    void Forget(std::uint32_t first);
    // Transaction rollback: indices from `count` on were never handed out.
    void Truncate(std::uint32_t count);

  private:
    void DropShared(std::uint32_t first);

    std::uint32_t nextStored_ = 1;
    std::unordered_map<const void*, std::uint32_t> stored_;
    std::vector<Entry> entries_{Entry{}};
    std::unordered_map<std::uint32_t, std::shared_ptr<Object>> shared_;
};

}  // namespace xsock::detail
