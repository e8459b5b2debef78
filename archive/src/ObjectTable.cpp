#include "ObjectTable.h"

#include <xsock/ArchiveException.h>

#include <mutex>
#include <new>
#include <utility>

namespace xsock::detail {

namespace {

// TN002's hard limit on indices per archive.
constexpr std::uint32_t kMaxIndex = 0x3FFFFFFE;

// Which table entries refer to each object some loading table holds. One lock
// for all tables: an object may be destroyed on any thread, and it has to find
// the tables that hold it while they may be changing or going away.
struct Registry {
    std::mutex mutex;
    std::unordered_multimap<const Object*, std::pair<ObjectTable*, std::uint32_t>> links;
};

Registry& TheRegistry() {
    // Never destroyed: objects with static storage may still withdraw at exit.
    static Registry* const registry = std::make_unique<Registry>().release();
    return *registry;
}

[[noreturn]] void ThrowOutOfMemory() {
    throw ArchiveException(ArchiveException::limitExceeded,
                           "the system ran out of memory for the archive's object table");
}

}  // namespace

ObjectTable::~ObjectTable() {
    std::lock_guard lock(TheRegistry().mutex);
    UnlinkFrom(1);
}

std::uint32_t ObjectTable::StoredIndex(const void* key) const {
    auto it = stored_.find(key);
    return it == stored_.end() ? 0 : it->second;
}

std::uint32_t ObjectTable::Store(const void* key) {
    if (nextStored_ > kMaxIndex) {
        throw ArchiveException(ArchiveException::limitExceeded,
                               "more than 0x3FFFFFFE objects and classes in one archive");
    }
    stored_[key] = nextStored_;
    return nextStored_++;
}

ObjectTable::Entry ObjectTable::Loaded(std::uint32_t index) const {
    std::lock_guard lock(TheRegistry().mutex);
    if (index == 0 || index >= entries_.size()) {
        return {};
    }
    return entries_[index];
}

std::uint32_t ObjectTable::AddClass(const RuntimeClass* cls, unsigned schema) {
    std::lock_guard lock(TheRegistry().mutex);
    if (entries_.size() > kMaxIndex) {
        throw ArchiveException(ArchiveException::limitExceeded,
                               "more than 0x3FFFFFFE objects and classes in one archive");
    }
    try {
        entries_.push_back({cls, schema, Kind::cls, Holder::mapped});
    } catch (const std::bad_alloc&) {
        ThrowOutOfMemory();
    }
    return static_cast<std::uint32_t>(entries_.size() - 1);
}

std::uint32_t ObjectTable::AddObject(const Object* object, unsigned schema, Holder holder) {
    Registry& registry = TheRegistry();
    std::lock_guard lock(registry.mutex);
    if (entries_.size() > kMaxIndex) {
        throw ArchiveException(ArchiveException::limitExceeded,
                               "more than 0x3FFFFFFE objects and classes in one archive");
    }
    const auto index = static_cast<std::uint32_t>(entries_.size());
    try {
        entries_.push_back({object, schema, Kind::object, holder});
    } catch (const std::bad_alloc&) {
        ThrowOutOfMemory();
    }
    try {
        registry.links.emplace(object, std::pair{this, index});
    } catch (const std::bad_alloc&) {
        entries_.pop_back();
        ThrowOutOfMemory();
    }
    object->archiveLinks_.fetch_add(1, std::memory_order_relaxed);
    return index;
}

std::shared_ptr<Object> ObjectTable::Shared(std::uint32_t index) const {
    auto it = shared_.find(index);
    return it == shared_.end() ? nullptr : it->second.lock();
}

void ObjectTable::SetShared(std::uint32_t index, const std::shared_ptr<Object>& object) {
    try {
        shared_[index] = object;
    } catch (const std::bad_alloc&) {
        ThrowOutOfMemory();
    }
}

void ObjectTable::Forget(std::uint32_t first) {
    {
        std::lock_guard lock(TheRegistry().mutex);
        UnlinkFrom(first);
        for (std::size_t i = first; i < entries_.size(); ++i) {
            entries_[i] = Entry{nullptr, 0, Kind::failed, Holder::caller};
        }
    }
    DropShared(first);
}

void ObjectTable::Truncate(std::uint32_t count) {
    {
        std::lock_guard lock(TheRegistry().mutex);
        UnlinkFrom(count);
        if (count < entries_.size()) {
            entries_.resize(count);
        }
    }
    DropShared(count);
}

void ObjectTable::UnlinkFrom(std::uint32_t first) noexcept {
    Registry& registry = TheRegistry();
    for (std::size_t i = first; i < entries_.size(); ++i) {
        Entry& entry = entries_[i];
        if (entry.kind != Kind::object) {
            continue;
        }
        const auto* object = static_cast<const Object*>(entry.pointer);
        auto [it, end] = registry.links.equal_range(object);
        for (; it != end; ++it) {
            if (it->second == std::pair{this, static_cast<std::uint32_t>(i)}) {
                registry.links.erase(it);
                object->archiveLinks_.fetch_sub(1, std::memory_order_relaxed);
                break;
            }
        }
        entry.kind = Kind::failed;
    }
}

void ObjectTable::DropShared(std::uint32_t first) {
    std::erase_if(shared_, [first](const auto& item) { return item.first >= first; });
}

void ObjectTable::Withdraw(const Object& object) noexcept {
    // The common case, an object no loading archive holds, takes no lock. An
    // archive links an object on its own thread before handing it out, so any
    // thread that can destroy it sees the count.
    if (object.archiveLinks_.load(std::memory_order_acquire) == 0) {
        return;
    }
    Registry& registry = TheRegistry();
    std::lock_guard lock(registry.mutex);
    auto [it, end] = registry.links.equal_range(&object);
    while (it != end) {
        auto [table, index] = it->second;
        table->entries_[index].kind = Kind::destroyed;
        table->entries_[index].pointer = nullptr;
        it = registry.links.erase(it);
    }
    object.archiveLinks_.store(0, std::memory_order_relaxed);
}

}  // namespace xsock::detail
