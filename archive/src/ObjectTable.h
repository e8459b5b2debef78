// The bookkeeping behind an Archive's objects (TN002): which objects and
// classes a storing archive has already written and under which index, and
// what each index means to a loading archive. Indices are shared by classes and
// objects, start at 1 and follow first-written order; 0 is the null pointer.
//
// A loading table only ever resolves an index to an object that is still alive:
// every object it holds is linked to it in a process-wide registry, and
// Object's destructor (on any thread) calls Withdraw, which marks the object's
// entries destroyed under the registry's lock. Tables that go away, roll back
// or forget a failed load unlink their objects the same way, so an object never
// reaches a table that no longer exists. The loading side takes that lock for
// each table operation; the storing side needs none.
//
// Internal; owned by one Archive and used from its thread only (Withdraw aside).
#pragma once

#include <xsock/Object.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace xsock::detail {

class ObjectTable {
  public:
    enum class Kind : std::uint8_t { null, object, cls, failed, destroyed };
    // Who owns a loaded object, which decides what a later reference may do.
    enum class Holder : std::uint8_t { caller, unique, shared, mapped };

    struct Entry {
        const void* pointer = nullptr;
        unsigned schema = 0;
        Kind kind = Kind::null;
        Holder holder = Holder::caller;
    };

    ObjectTable() = default;
    ~ObjectTable();
    ObjectTable(const ObjectTable&) = delete;
    ObjectTable& operator=(const ObjectTable&) = delete;

    // Storing: the index already given to an object or class, or 0.
    std::uint32_t StoredIndex(const void* key) const;
    // Storing: gives key the next index (again, if it had one).
    std::uint32_t Store(const void* key);

    // Loading: the number of indices handed out so far, counting the null one.
    std::uint32_t LoadedCount() const noexcept {
        return static_cast<std::uint32_t>(entries_.size());
    }
    // Loading: a copy of the entry for an index; kind null for 0 and unknown
    // indices. An object's entry reads destroyed once the object is gone.
    Entry Loaded(std::uint32_t index) const;
    std::uint32_t AddClass(const RuntimeClass* cls, unsigned schema);
    std::uint32_t AddObject(const Object* object, unsigned schema, Holder holder);
    // The shared_ptr owners of an object loaded as shared, or null once they
    // have all let go of it.
    std::shared_ptr<Object> Shared(std::uint32_t index) const;
    void SetShared(std::uint32_t index, const std::shared_ptr<Object>& object);
    // After a load failed: indices from `first` on refer to objects that may be
    // destroyed and must never resolve again.
    void Forget(std::uint32_t first);
    // Transaction rollback: indices from `count` on were never handed out.
    void Truncate(std::uint32_t count);

    // Called by Object's destructor: its entries in every table read destroyed.
    static void Withdraw(const Object& object) noexcept;

  private:
    // Unlinks the objects of entries [first, end) from the registry; the
    // registry's lock is held.
    void UnlinkFrom(std::uint32_t first) noexcept;
    void DropShared(std::uint32_t first);

    std::uint32_t nextStored_ = 1;
    std::unordered_map<const void*, std::uint32_t> stored_;
    std::vector<Entry> entries_{Entry{}};
    // Weak, so that the archive never keeps an object alive that its owners
    // have dropped, and never hands one out after they did.
    std::unordered_map<std::uint32_t, std::weak_ptr<Object>> shared_;
};

}  // namespace xsock::detail
