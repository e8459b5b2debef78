#include <xsock/File.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

namespace xsock {

namespace {

int OpenFlagsFor(unsigned flags) {
    int result = O_CLOEXEC;
    switch (flags & 0x3) {
        case File::modeWrite:
            result |= O_WRONLY;
            break;
        case File::modeReadWrite:
            result |= O_RDWR;
            break;
        default:
            result |= O_RDONLY;
            break;
    }
    if ((flags & File::modeCreate) != 0) {
        result |= O_CREAT;
        if ((flags & File::modeNoTruncate) == 0) {
            result |= O_TRUNC;
        }
    }
    return result;
}

}  // namespace

DiskFile::DiskFile(const char* path, unsigned flags) {
    FileException error(FileException::none, 0);
    if (!Open(path, flags, &error)) {
        throw error;
    }
}

DiskFile::~DiskFile() {
    Abort();
}

bool DiskFile::Open(const char* path, unsigned flags, FileException* error) {
    Abort();
    int fd = -1;
    do {
        fd = ::open(path, OpenFlagsFor(flags), 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int osError = errno;
        if (error != nullptr) {
            *error = FileException(FileException::CauseFromErrno(osError), osError, path);
        }
        return false;
    }
    fd_ = fd;
    path_ = path;
    return true;
}

std::size_t DiskFile::Read(void* buffer, std::size_t count) {
    const int fd = CheckedHandle();
    auto* out = static_cast<char*>(buffer);
    std::size_t done = 0;
    while (done < count) {
        const ssize_t n = ::read(fd, out + done, count - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            FileException::ThrowErrno(errno, path_, "read");
        }
    }
    return done;
}

void DiskFile::Write(const void* buffer, std::size_t count) {
    const int fd = CheckedHandle();
    const auto* in = static_cast<const char*>(buffer);
    std::size_t done = 0;
    while (done < count) {
        const ssize_t n = ::write(fd, in + done, count - done);
        if (n >= 0) {
            done += static_cast<std::size_t>(n);
        } else if (errno != EINTR) {
            FileException::ThrowErrno(errno, path_, "write");
        }
    }
}

void DiskFile::Flush() {
    if (::fsync(CheckedHandle()) != 0 && errno != EINVAL) {
        FileException::ThrowErrno(errno, path_, "flush");
    }
}

void DiskFile::Close() {
    if (fd_ < 0) {
        return;
    }
    const int fd = fd_;
    fd_ = -1;
    // Linux releases the descriptor even when close fails, so it is never retried.
    if (::close(fd) != 0 && errno != EINTR) {
        FileException::ThrowErrno(errno, path_, "close");
    }
}

void DiskFile::Abort() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

std::uint64_t DiskFile::Seek(std::int64_t offset, SeekPosition from) {
    int whence = SEEK_SET;
    switch (from) {
        case begin:
            whence = SEEK_SET;
            break;
        case current:
            whence = SEEK_CUR;
            break;
        case end:
            whence = SEEK_END;
            break;
        default:
            throw FileException(FileException::badSeek, EINVAL, path_, "bad seek origin");
    }
    const off_t result = ::lseek(CheckedHandle(), static_cast<off_t>(offset), whence);
    if (result < 0) {
        FileException::ThrowErrno(errno, path_, "seek");
    }
    return static_cast<std::uint64_t>(result);
}

std::uint64_t DiskFile::GetPosition() const {
    const off_t result = ::lseek(CheckedHandle(), 0, SEEK_CUR);
    if (result < 0) {
        FileException::ThrowErrno(errno, path_, "position");
    }
    return static_cast<std::uint64_t>(result);
}

std::uint64_t DiskFile::GetLength() const {
    struct stat info {};
    if (::fstat(CheckedHandle(), &info) != 0) {
        FileException::ThrowErrno(errno, path_, "length");
    }
    return static_cast<std::uint64_t>(info.st_size);
}

void DiskFile::SetLength(std::uint64_t length) {
    if (length > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
        throw FileException(FileException::badSeek, EFBIG, path_, "length too large");
    }
    if (::ftruncate(CheckedHandle(), static_cast<off_t>(length)) != 0) {
        FileException::ThrowErrno(errno, path_, "set length");
    }
}

int DiskFile::CheckedHandle() const {
    if (fd_ < 0) {
        throw FileException(FileException::invalidFile, EBADF, path_, "file is not open");
    }
    return fd_;
}

}  // namespace xsock
