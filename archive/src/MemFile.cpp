#include <xsock/File.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace xsock {

MemFile::MemFile(std::size_t growBytes) : growBytes_(std::max<std::size_t>(growBytes, 1)) {}

MemFile::MemFile(void* buffer, std::size_t size, std::size_t growBytes)
    : data_(static_cast<std::byte*>(buffer)),
      length_(growBytes == 0 ? size : 0),
      capacity_(size),
      growBytes_(growBytes) {}

MemFile::MemFile(std::span<const std::byte> data)
    // The const_cast is never written through: readOnly_ refuses every write.
    : data_(const_cast<std::byte*>(data.data())),
      length_(data.size()),
      capacity_(data.size()),
      growBytes_(0),
      readOnly_(true) {}

std::size_t MemFile::Read(void* buffer, std::size_t count) {
    const std::size_t n = std::min(count, Unread());
    if (n != 0) {
        std::memcpy(buffer, data_ + position_, n);
        position_ += n;
    }
    return n;
}

void MemFile::Write(const void* buffer, std::size_t count) {
    CheckWritable();
    if (count == 0) {
        return;
    }
    if (count > std::numeric_limits<std::size_t>::max() - position_) {
        throw FileException(FileException::diskFull, EFBIG, {}, "memory file too large");
    }
    const std::size_t end = position_ + count;
    Reserve(end);
    if (position_ > length_) {
        std::memset(data_ + length_, 0, position_ - length_);
    }
    std::memcpy(data_ + position_, buffer, count);
    position_ = end;
    length_ = std::max(length_, end);
}

void MemFile::Append(const void* data, std::size_t count) {
    CheckWritable();
    if (position_ >= length_) {
        position_ = length_ = 0;
    } else if (length_ + count > capacity_ && position_ != 0) {
        std::memmove(data_, data_ + position_, length_ - position_);
        length_ -= position_;
        position_ = 0;
    }
    if (count > std::numeric_limits<std::size_t>::max() - length_) {
        throw FileException(FileException::diskFull, EFBIG, {}, "memory file too large");
    }
    Reserve(length_ + count);
    if (count != 0) {
        std::memcpy(data_ + length_, data, count);
        length_ += count;
    }
}

void MemFile::Close() {
    if (owned_ || readOnly_) {
        owned_.reset();
        data_ = nullptr;
        capacity_ = 0;
    }
    length_ = position_ = 0;
}

std::uint64_t MemFile::Seek(std::int64_t offset, SeekPosition from) {
    std::int64_t base = 0;
    switch (from) {
        case begin:
            base = 0;
            break;
        case current:
            base = static_cast<std::int64_t>(position_);
            break;
        case end:
            base = static_cast<std::int64_t>(length_);
            break;
        default:
            throw FileException(FileException::badSeek, EINVAL, {}, "bad seek origin");
    }
    if ((offset < 0 && offset < -base) ||
        (offset > 0 && offset > std::numeric_limits<std::int64_t>::max() - base)) {
        throw FileException(FileException::badSeek, EINVAL, {}, "seek outside the file");
    }
    position_ = static_cast<std::size_t>(base + offset);
    return position_;
}

void MemFile::SetLength(std::uint64_t length) {
    CheckWritable();
    if (length > std::numeric_limits<std::size_t>::max()) {
        throw FileException(FileException::diskFull, EFBIG, {}, "memory file too large");
    }
    const auto newLength = static_cast<std::size_t>(length);
    Reserve(newLength);
    if (newLength > length_) {
        std::memset(data_ + length_, 0, newLength - length_);
    }
    length_ = newLength;
    position_ = std::min(position_, length_);
}

void MemFile::Reserve(std::size_t capacity) {
    if (capacity <= capacity_) {
        return;
    }
    if (growBytes_ == 0) {
        throw FileException(FileException::diskFull, ENOSPC, {}, "fixed memory file is full");
    }
    // Geometric growth keeps a long run of small writes linear; growBytes_ is only
    // the granularity, unlike CMemFile's fixed step.
    std::size_t grown = std::max(capacity, capacity_ + capacity_ / 2);
    grown = (grown + growBytes_ - 1) / growBytes_ * growBytes_;
    auto memory = std::make_unique_for_overwrite<std::byte[]>(grown);
    if (length_ != 0) {
        std::memcpy(memory.get(), data_, length_);
    }
    owned_ = std::move(memory);
    data_ = owned_.get();
    capacity_ = grown;
}

void MemFile::CheckWritable() const {
    if (readOnly_) {
        throw FileException(FileException::accessDenied, EBADF, {}, "memory file is read-only");
    }
}

}  // namespace xsock
