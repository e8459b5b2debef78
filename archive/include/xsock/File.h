// File, MemFile and DiskFile: the byte stores an Archive reads and writes, after
// MFC's CFile and CMemFile.
//
// File is the interface: Read, Write, Flush, Close, Abort and, for files that can
// position themselves, Seek, GetPosition, GetLength and SetLength. Open flags
// and seek origins keep CFile's names and values (modeRead, modeCreate, begin,
// ...), so `CFile::modeCreate | CFile::modeWrite` ports as
// `File::modeCreate | File::modeWrite`. Read returns fewer bytes than asked only
// at the end of the data; every other failure throws a FileException carrying
// errno. A file that cannot position itself (a socket) keeps the default
// positioning members, which throw FileException(badSeek, ESPIPE), and answers
// false to CanSeek().
//
// MemFile keeps its bytes in memory: growable and owned (the default), fixed over
// a caller's buffer, or read-only over caller data. Beyond CMemFile it can serve
// as a receive queue for non-blocking readers: Append adds bytes at the end
// without moving the read position and drops bytes already read when it needs
// room (see Archive::TryLoad for the reading side).
//
// DiskFile is a POSIX file descriptor opened with CFile's flags; it closes the
// descriptor when destroyed (ignoring errors there; call Close to see them).
//
// Thread safety: distinct objects are safe; one object is not, and an Archive
// attached to a file owns it until the archive is closed.
#pragma once

#include <xsock/ArchiveExport.h>
#include <xsock/FileException.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace xsock {

class XSOCK_ARCHIVE_EXPORT File {
  public:
    enum OpenFlags : unsigned {
        modeRead = 0x0000,
        modeWrite = 0x0001,
        modeReadWrite = 0x0002,
        shareCompat = 0x0000,
        shareExclusive = 0x0010,
        shareDenyWrite = 0x0020,
        shareDenyRead = 0x0030,
        shareDenyNone = 0x0040,
        modeNoInherit = 0x0080,
        modeCreate = 0x1000,
        modeNoTruncate = 0x2000,
        typeText = 0x4000,
        typeBinary = 0x8000,
    };

    enum SeekPosition { begin = 0x0, current = 0x1, end = 0x2 };

    File() = default;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    virtual ~File() = default;

    // Reads up to count bytes; returns how many were read, 0 at the end of data.
    virtual std::size_t Read(void* buffer, std::size_t count) = 0;
    // Writes all count bytes or throws.
    virtual void Write(const void* buffer, std::size_t count) = 0;
    virtual void Flush() {}
    virtual void Close() = 0;
    // Close for error paths: never throws.
    virtual void Abort() noexcept;

    virtual bool CanSeek() const noexcept { return false; }
    virtual std::uint64_t Seek(std::int64_t offset, SeekPosition from);
    virtual std::uint64_t GetPosition() const;
    virtual std::uint64_t GetLength() const;
    virtual void SetLength(std::uint64_t length);
    void SeekToBegin() { Seek(0, begin); }
    std::uint64_t SeekToEnd() { return Seek(0, end); }
};

class XSOCK_ARCHIVE_EXPORT MemFile : public File {
  public:
    // Growable, owning its memory; growBytes is the allocation granularity.
    explicit MemFile(std::size_t growBytes = 1024);
    // Over a caller's buffer. growBytes == 0: fixed size, the buffer's bytes are
    // the file's contents and writing past its end throws diskFull. Otherwise the
    // file starts empty in the buffer and moves to memory of its own when it
    // outgrows it; the caller's buffer is never freed or reallocated.
    MemFile(void* buffer, std::size_t size, std::size_t growBytes = 0);
    // Read-only over caller data that must outlive the file; writes throw
    // accessDenied.
    explicit MemFile(std::span<const std::byte> data);

    std::size_t Read(void* buffer, std::size_t count) override;
    void Write(const void* buffer, std::size_t count) override;
    // Empties the file and releases memory it owns.
    void Close() override;

    bool CanSeek() const noexcept override { return true; }
    // Seeking past the end is allowed; a later write fills the gap with zeros.
    std::uint64_t Seek(std::int64_t offset, SeekPosition from) override;
    std::uint64_t GetPosition() const override { return position_; }
    std::uint64_t GetLength() const override { return length_; }
    void SetLength(std::uint64_t length) override;

    // Receive-queue use: adds bytes at the end, leaving the position where it is.
    // Bytes before the position (already read) are dropped when that makes room,
    // so positions taken before an Append may no longer be valid after it.
    void Append(const void* data, std::size_t count);
    // Bytes between the position and the end.
    std::size_t Unread() const noexcept { return length_ > position_ ? length_ - position_ : 0; }
    std::span<const std::byte> Contents() const noexcept { return {data_, length_}; }

  private:
    void Reserve(std::size_t capacity);
    void CheckWritable() const;

    std::unique_ptr<std::byte[]> owned_;
    std::byte* data_ = nullptr;
    std::size_t length_ = 0;
    std::size_t capacity_ = 0;
    std::size_t position_ = 0;
    std::size_t growBytes_ = 1024;
    bool readOnly_ = false;
};

class XSOCK_ARCHIVE_EXPORT DiskFile : public File {
  public:
    DiskFile() = default;
    // Opens or throws FileException.
    DiskFile(const char* path, unsigned flags);
    ~DiskFile() override;

    // CFile::Open: false on failure, with the reason in *error when given.
    bool Open(const char* path, unsigned flags, FileException* error = nullptr);
    bool IsOpen() const noexcept { return fd_ >= 0; }
    int GetHandle() const noexcept { return fd_; }
    const std::string& GetFilePath() const noexcept { return path_; }

    // Returns fewer than count bytes only at the end of the file.
    std::size_t Read(void* buffer, std::size_t count) override;
    void Write(const void* buffer, std::size_t count) override;
    // Forces written data to the storage device (fsync).
    void Flush() override;
    void Close() override;
    void Abort() noexcept override;

    bool CanSeek() const noexcept override { return true; }
    std::uint64_t Seek(std::int64_t offset, SeekPosition from) override;
    std::uint64_t GetPosition() const override;
    std::uint64_t GetLength() const override;
    void SetLength(std::uint64_t length) override;

  private:
    int CheckedHandle() const;

    int fd_ = -1;
    std::string path_;
};

}  // namespace xsock
