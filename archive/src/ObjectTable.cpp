#include "ObjectTable.h"

#include <xsock/ArchiveException.h>

namespace xsock::detail {

namespace {

// TN002's hard limit on indices per archive.
constexpr std::uint32_t kMaxIndex = 0x3FFFFFFE;

}  // namespace

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

const ObjectTable::Entry* ObjectTable::Loaded(std::uint32_t index) const noexcept {
    if (index == 0 || index >= entries_.size()) {
        return nullptr;
    }
    return &entries_[index];
}

std::uint32_t ObjectTable::AddLoaded(const Entry& entry) {
    if (entries_.size() > kMaxIndex) {
        throw ArchiveException(ArchiveException::limitExceeded,
                               "more than 0x3FFFFFFE objects and classes in one archive");
    }
    entries_.push_back(entry);
    return static_cast<std::uint32_t>(entries_.size() - 1);
}

const std::shared_ptr<Object>* ObjectTable::Shared(std::uint32_t index) const {
    auto it = shared_.find(index);
    return it == shared_.end() ? nullptr : &it->second;
}

void ObjectTable::SetShared(std::uint32_t index, std::shared_ptr<Object> object) {
    shared_[index] = std::move(object);
}

void ObjectTable::Forget(std::uint32_t first) {
    for (std::size_t i = first; i < entries_.size(); ++i) {
        entries_[i] = Entry{nullptr, 0, Kind::failed, Holder::caller};
    }
    DropShared(first);
}

void ObjectTable::Truncate(std::uint32_t count) {
    if (count < entries_.size()) {
        entries_.resize(count);
    }
    DropShared(count);
}

void ObjectTable::DropShared(std::uint32_t first) {
    // Destroying an object can release others, so the map is left consistent
    // before any destructor runs.
    std::vector<std::shared_ptr<Object>> dropped;
    for (auto it = shared_.begin(); it != shared_.end();) {
        if (it->first >= first) {
            dropped.push_back(std::move(it->second));
            it = shared_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace xsock::detail
