// Archive's buffer: block-wise reads and writes of the File, end-of-data
// handling, and the transactions that keep bytes for a rollback.
#include <xsock/Archive.h>

#include "ObjectTable.h"

#include <string>

namespace xsock {

namespace {

// Hot paths need room for the largest scalar and a short string header.
constexpr std::size_t kMinBuffer = 64;

}  // namespace

Archive::Archive(File& file, unsigned mode, std::size_t bufferSize)
    : file_(&file),
      loading_((mode & load) != 0),
      noFlushOnDelete_((mode & bNoFlushOnDelete) != 0),
      capacity_(std::max(bufferSize, kMinBuffer)),
      initialCapacity_(capacity_) {
    buffer_ = std::make_unique_for_overwrite<std::byte[]>(capacity_);
    buf_ = cur_ = rend_ = buffer_.get();
    wend_ = loading_ ? buf_ : buf_ + capacity_;
}

Archive::~Archive() {
    if (file_ == nullptr) {
        return;
    }
    if (noFlushOnDelete_) {
        Abort();
        return;
    }
    try {
        Close();
    } catch (...) {
        // A destructor has no caller to report to; Close() is where errors show.
    }
}

void Archive::SetByteOrder(std::endian order) noexcept {
    order_ = order;
    swap_ = order != std::endian::native;
}

std::uint64_t Archive::AvailableBytes() const noexcept {
    const auto buffered = static_cast<std::uint64_t>(std::max<std::ptrdiff_t>(rend_ - cur_, 0));
    if (file_ == nullptr || !loading_ || !file_->CanSeek()) {
        return buffered;
    }
    try {
        const std::uint64_t length = file_->GetLength();
        const std::uint64_t position = file_->GetPosition();
        return buffered + (length > position ? length - position : 0);
    } catch (const FileException&) {
        return buffered;  // only a sizing hint; the read itself will report the error
    }
}

std::size_t Archive::Read(void* buffer, std::size_t count) {
    CheckLoading();
    auto* out = static_cast<std::byte*>(buffer);
    std::size_t done = 0;
    while (done < count) {
        const auto available = static_cast<std::size_t>(rend_ - cur_);
        if (available != 0) {
            const std::size_t n = std::min(available, count - done);
            std::memcpy(out + done, cur_, n);
            cur_ += n;
            done += n;
            continue;
        }
        const std::size_t remaining = count - done;
        if (transactions_.empty() && remaining >= capacity_) {
            // Large blocks go straight to the caller; nothing needs keeping.
            const std::size_t n = file_->Read(out + done, remaining);
            if (n == 0) {
                break;
            }
            done += n;
            // The buffer is empty: restart it where the stream now is, so that
            // Position counts these bytes too (the memory budget reads it).
            base_ += static_cast<std::uint64_t>(cur_ - buf_) + n;
            cur_ = rend_ = buf_;
        } else if (!FillAtLeast(std::min(remaining, capacity_)) && rend_ == cur_) {
            break;
        }
    }
    return done;
}

void Archive::ReadExact(void* buffer, std::size_t count) {
    CheckLoading();
    if (count <= capacity_ || !transactions_.empty()) {
        Fill(count);
        std::memcpy(buffer, cur_, count);
        cur_ += count;
    } else if (Read(buffer, count) != count) {
        throw ArchiveException(ArchiveException::endOfFile);
    }
}

void Archive::Write(const void* buffer, std::size_t count) {
    CheckStoring();
    if (count <= static_cast<std::size_t>(wend_ - cur_)) {
        if (count != 0) {
            std::memcpy(cur_, buffer, count);
            cur_ += count;
        }
        return;
    }
    FlushBuffer();
    if (count >= capacity_) {
        file_->Write(buffer, count);
    } else {
        std::memcpy(cur_, buffer, count);
        cur_ += count;
    }
}

void Archive::Flush() {
    if (!loading_) {
        CheckStoring();
        FlushBuffer();
    }
}

void Archive::Close() {
    if (file_ == nullptr) {
        return;
    }
    try {
        if (loading_) {
            while (!transactions_.empty()) {
                RollbackTransaction();
            }
            const auto unread = static_cast<std::int64_t>(rend_ - cur_);
            if (unread > 0 && file_->CanSeek()) {
                file_->Seek(-unread, File::current);
            }
        } else {
            FlushBuffer();
        }
    } catch (...) {
        Abort();
        throw;
    }
    Detach();
}

void Archive::Abort() noexcept {
    Detach();
}

void Archive::Detach() noexcept {
    file_ = nullptr;
    cur_ = rend_ = wend_ = buf_;
    transactions_.clear();
    objects_.reset();
}

void Archive::FlushBuffer() {
    if (cur_ != buf_) {
        file_->Write(buf_, static_cast<std::size_t>(cur_ - buf_));
        cur_ = buf_;
    }
}

void Archive::Fill(std::size_t need) {
    if (!FillAtLeast(need)) {
        throw ArchiveException(ArchiveException::endOfFile);
    }
}

bool Archive::FillAtLeast(std::size_t need) {
    CheckLoading();
    while (static_cast<std::size_t>(rend_ - cur_) < need) {
        MakeRoom(need);
        const std::size_t n =
            file_->Read(rend_, static_cast<std::size_t>(buf_ + capacity_ - rend_));
        if (n == 0) {
            return false;
        }
        rend_ += n;
    }
    return true;
}

void Archive::MakeRoom(std::size_t need) {
    // Bytes from the outermost transaction's start stay for a rollback.
    std::byte* keep =
        transactions_.empty() ? cur_ : buf_ + (transactions_.front().position - base_);
    const auto kept = static_cast<std::size_t>(rend_ - keep);
    const std::size_t missing = need - static_cast<std::size_t>(rend_ - cur_);
    const auto free = static_cast<std::size_t>(buf_ + capacity_ - rend_);
    std::size_t wanted = capacity_;
    if (kept + missing > capacity_) {
        wanted = std::max(capacity_ * 2, kept + missing);
    } else if (capacity_ > initialCapacity_ && transactions_.empty() &&
               kept + missing <= initialCapacity_) {
        wanted = initialCapacity_;  // a large message has gone; give the memory back
    }
    const auto consumed = static_cast<std::size_t>(keep - buf_);
    if (wanted == capacity_ && free >= missing && consumed < capacity_ / 2) {
        return;
    }
    std::byte* target = buf_;
    std::unique_ptr<std::byte[]> fresh;
    if (wanted != capacity_) {
        try {
            fresh = std::make_unique_for_overwrite<std::byte[]>(wanted);
        } catch (const std::bad_alloc&) {
            ThrowOutOfMemory();
        }
        target = fresh.get();
    }
    if (kept != 0) {
        std::memmove(target, keep, kept);
    }
    base_ += consumed;
    cur_ = target + (cur_ - keep);
    rend_ = target + kept;
    if (fresh) {
        buffer_ = std::move(fresh);
        capacity_ = wanted;
    }
    buf_ = wend_ = target;
}

void Archive::CheckLoading() const {
    if (file_ == nullptr) {
        throw ArchiveException(ArchiveException::genericException, "the archive is closed");
    }
    if (!loading_) {
        throw ArchiveException(ArchiveException::writeOnly);
    }
    if (broken_) {
        throw ArchiveException(ArchiveException::genericException,
                               "an aborted transaction left the stream out of step");
    }
}

void Archive::CheckStoring() const {
    if (file_ == nullptr) {
        throw ArchiveException(ArchiveException::genericException, "the archive is closed");
    }
    if (loading_) {
        throw ArchiveException(ArchiveException::readOnly);
    }
}

void Archive::ThrowLimit(const char* what, std::uint64_t value) {
    throw ArchiveException(
        ArchiveException::limitExceeded,
        std::string(what) + " " + std::to_string(value) + " is above this archive's limit");
}

void Archive::ThrowOutOfMemory() {
    throw ArchiveException(ArchiveException::limitExceeded,
                           "the system ran out of memory for what the input claims");
}

void Archive::StartBudget() noexcept {
    charged_ = 0;
    budgetStart_ = Position();
    chargeCheck_ = std::min(limits_.maxMemory, kMemoryBase);
    loadObjects_ = objects_ ? objects_->LoadedCount() : 1;
}

void Archive::ValueScope::Failed() const {
    if (outermost_) {
        ar_.ForgetLoad();
    }
    try {
        throw;
    } catch (const std::bad_alloc&) {
        ThrowOutOfMemory();
    }
}

void Archive::ForgetLoad() noexcept {
    if (objects_) {
        try {
            objects_->Forget(loadObjects_);
        } catch (...) {
            // Only the lock can fail; the archive is unusable after this anyway.
            broken_ = true;
        }
    }
}

std::uint64_t Archive::MemoryAllowance() const noexcept {
    const std::uint64_t position = Position();
    const std::uint64_t read = position > budgetStart_ ? position - budgetStart_ : 0;
    const std::uint64_t scaled =
        read > (limits_.maxMemory / kMemoryPerByte) ? limits_.maxMemory : read * kMemoryPerByte;
    return scaled >= limits_.maxMemory - std::min(limits_.maxMemory, kMemoryBase)
               ? limits_.maxMemory
               : scaled + kMemoryBase;
}

std::uint64_t Archive::MemoryHeadroom() {
    const std::uint64_t allowance = MemoryAllowance();
    return allowance > charged_ ? allowance - charged_ : 0;
}

void Archive::CheckMemory(std::uint64_t bytes) {
    if (valueNesting_ == 0 && transactions_.empty()) {
        // A string or array of scalars loaded outside any container is a load
        // of its own, charged after the bytes it copied were consumed.
        StartBudget();
        budgetStart_ -= std::min(bytes, budgetStart_);
        charged_ = bytes;
    }
    const std::uint64_t allowance = MemoryAllowance();
    if (charged_ > allowance) {
        ThrowLimit("memory for one load (bytes)", charged_);
    }
    chargeCheck_ = allowance;
}

void Archive::StartTransaction() {
    CheckLoading();
    if (transactions_.empty()) {
        StartBudget();
    }
    const std::uint32_t objects = objects_ ? objects_->LoadedCount() : 1;
    transactions_.push_back(Snapshot{Position(), objects, objectSchema_});
}

void Archive::CommitTransaction() {
    if (transactions_.empty()) {
        throw ArchiveException(ArchiveException::genericException, "no transaction to commit");
    }
    transactions_.pop_back();
}

void Archive::RollbackTransaction() {
    if (transactions_.empty()) {
        throw ArchiveException(ArchiveException::genericException, "no transaction to roll back");
    }
    const Snapshot snapshot = transactions_.back();
    transactions_.pop_back();
    cur_ = buf_ + (snapshot.position - base_);
    if (objects_) {
        objects_->Truncate(snapshot.objects);
    }
    objectSchema_ = snapshot.objectSchema;
}

void Archive::AbortTransaction() noexcept {
    if (!transactions_.empty()) {
        loadObjects_ = transactions_.front().objects;
        ForgetLoad();
    }
    transactions_.clear();
    broken_ = true;
    rend_ = cur_;
}

}  // namespace xsock
