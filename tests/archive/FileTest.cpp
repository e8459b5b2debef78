#include <xsock/File.h>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace {

using xsock::DiskFile;
using xsock::File;
using xsock::FileException;
using xsock::MemFile;

std::string Text(const MemFile& file) {
    const auto contents = file.Contents();
    return {reinterpret_cast<const char*>(contents.data()), contents.size()};
}

std::string ReadAll(File& file) {
    std::string text(64, '\0');
    text.resize(file.Read(text.data(), text.size()));
    return text;
}

// A scratch directory removed when the test ends.
class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "xsock-file-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string File(const char* name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

// A file that cannot position itself keeps File's defaults.
class StreamOnlyFile : public File {
  public:
    std::size_t Read(void*, std::size_t) override { return 0; }
    void Write(const void*, std::size_t) override {}
    void Close() override { throw FileException(FileException::hardIO, EIO); }
};

template <class F>
FileException CaughtFrom(F&& action) {
    try {
        action();
    } catch (const FileException& error) {
        return error;
    }
    BOOST_FAIL("expected a FileException");
    return FileException(FileException::none, 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(FileSuite)

BOOST_AUTO_TEST_CASE(GrowableMemFileKeepsEverythingWrittenAndReadsItBack) {
    MemFile file(16);
    const std::string text(1000, 'x');
    file.Write(text.data(), text.size());
    file.Write("end", 3);
    BOOST_TEST(file.GetLength() == 1003u);
    BOOST_TEST(file.GetPosition() == 1003u);
    file.SeekToBegin();
    std::string back(1003, '\0');
    BOOST_TEST(file.Read(back.data(), 2000) == 1003u);
    BOOST_TEST(back == text + "end");
    BOOST_TEST(file.Read(back.data(), 1) == 0u);
}

BOOST_AUTO_TEST_CASE(MemFileSeekPastEndThenWriteFillsTheGapWithZeros) {
    MemFile file;
    file.Write("ab", 2);
    BOOST_TEST(file.Seek(2, File::current) == 4u);
    file.Write("c", 1);
    BOOST_TEST(Text(file) == std::string("ab\0\0c", 5));
    BOOST_TEST(file.SeekToEnd() == 5u);
    BOOST_TEST(file.Seek(-5, File::end) == 0u);
    const auto error = CaughtFrom([&] { file.Seek(-1, File::begin); });
    BOOST_TEST(error.m_cause == FileException::badSeek);
}

BOOST_AUTO_TEST_CASE(MemFileSetLengthTruncatesAndExtends) {
    MemFile file;
    file.Write("abcdef", 6);
    file.SetLength(3);
    BOOST_TEST(Text(file) == "abc");
    BOOST_TEST(file.GetPosition() == 3u);
    file.SetLength(5);
    BOOST_TEST(Text(file) == std::string("abc\0\0", 5));
}

BOOST_AUTO_TEST_CASE(FixedMemFileReadsTheCallersBytesAndRefusesToGrow) {
    char buffer[4] = {'w', 'x', 'y', 'z'};
    MemFile file(buffer, sizeof buffer);
    BOOST_TEST(ReadAll(file) == "wxyz");
    file.SeekToBegin();
    file.Write("AB", 2);
    BOOST_TEST(std::string_view(buffer, 4) == "AByz");
    const auto error = CaughtFrom([&] { file.Write("CDE", 3); });
    BOOST_TEST(error.m_cause == FileException::diskFull);
    BOOST_TEST(error.code().value() == ENOSPC);
}

BOOST_AUTO_TEST_CASE(MemFileOverACallersBufferMovesOutWhenItOutgrowsIt) {
    char buffer[4] = {};
    MemFile file(buffer, sizeof buffer, 8);
    BOOST_TEST(file.GetLength() == 0u);
    file.Write("01", 2);
    BOOST_TEST(std::string_view(buffer, 2) == "01");
    BOOST_TEST(file.Contents().data() == reinterpret_cast<const std::byte*>(buffer));
    file.Write("23456789", 8);
    BOOST_TEST(Text(file) == "0123456789");
    BOOST_TEST(file.Contents().data() != reinterpret_cast<const std::byte*>(buffer));
}

BOOST_AUTO_TEST_CASE(ReadOnlyMemFileRefusesWritesWithAccessDenied) {
    const std::string data = "hello";
    MemFile file(std::as_bytes(std::span(data)));
    BOOST_TEST(ReadAll(file) == "hello");
    const auto error = CaughtFrom([&] { file.Write("x", 1); });
    BOOST_TEST(error.m_cause == FileException::accessDenied);
    BOOST_TEST(CaughtFrom([&] { file.Append("x", 1); }).m_cause == FileException::accessDenied);
}

BOOST_AUTO_TEST_CASE(AppendAddsAtTheEndWithoutMovingThePosition) {
    MemFile file;
    file.Append("abc", 3);
    char two[2];
    BOOST_TEST(file.Read(two, 2) == 2u);
    file.Append("def", 3);
    BOOST_TEST(file.Unread() == 4u);
    BOOST_TEST(ReadAll(file) == "cdef");
}

BOOST_AUTO_TEST_CASE(AppendDropsBytesAlreadyReadToMakeRoom) {
    char buffer[8];
    MemFile file(buffer, sizeof buffer, 0);
    file.SetLength(0);
    file.Append("abcdef", 6);
    char four[4];
    BOOST_TEST(file.Read(four, 4) == 4u);
    file.Append("ghijk", 5);  // fits only once "abcd" is dropped
    BOOST_TEST(file.GetPosition() == 0u);
    BOOST_TEST(ReadAll(file) == "efghijk");
    file.Append("1234", 4);  // everything read: the queue starts over
    BOOST_TEST(file.GetLength() == 4u);
    BOOST_TEST(ReadAll(file) == "1234");
}

BOOST_AUTO_TEST_CASE(MemFileCloseEmptiesIt) {
    MemFile file;
    file.Write("abc", 3);
    file.Close();
    BOOST_TEST(file.GetLength() == 0u);
    file.Write("z", 1);
    BOOST_TEST(Text(file) == "z");
}

BOOST_AUTO_TEST_CASE(DiskFileWritesReadsSeeksAndReportsItsLength) {
    TempDir dir;
    const std::string path = dir.File("data.bin");
    {
        DiskFile file(path.c_str(), File::modeCreate | File::modeReadWrite);
        file.Write("hello world", 11);
        BOOST_TEST(file.GetLength() == 11u);
        BOOST_TEST(file.Seek(6, File::begin) == 6u);
        BOOST_TEST(ReadAll(file) == "world");
        BOOST_TEST(file.GetPosition() == 11u);
        file.SetLength(5);
        file.Flush();
        BOOST_TEST(file.GetFilePath() == path);
        file.Close();
        BOOST_TEST(!file.IsOpen());
    }
    DiskFile file(path.c_str(), File::modeRead);
    BOOST_TEST(ReadAll(file) == "hello");
}

BOOST_AUTO_TEST_CASE(ModeCreateTruncatesUnlessModeNoTruncate) {
    TempDir dir;
    const std::string path = dir.File("keep.txt");
    DiskFile(path.c_str(), File::modeCreate | File::modeWrite).Write("12345", 5);
    {
        DiskFile file(path.c_str(), File::modeCreate | File::modeNoTruncate | File::modeReadWrite);
        BOOST_TEST(file.GetLength() == 5u);
    }
    DiskFile file(path.c_str(), File::modeCreate | File::modeReadWrite);
    BOOST_TEST(file.GetLength() == 0u);
}

BOOST_AUTO_TEST_CASE(OpeningAMissingFileReportsFileNotFoundWithErrno) {
    TempDir dir;
    const std::string path = dir.File("missing");
    DiskFile file;
    FileException error(FileException::none, 0);
    BOOST_TEST(!file.Open(path.c_str(), File::modeRead, &error));
    BOOST_TEST(error.m_cause == FileException::fileNotFound);
    BOOST_TEST(error.m_lOsError == ENOENT);
    BOOST_TEST(error.m_strFileName == path);
    const auto thrown = CaughtFrom([&] { DiskFile again(path.c_str(), File::modeRead); });
    BOOST_TEST((thrown.code() == std::errc::no_such_file_or_directory));
}

BOOST_AUTO_TEST_CASE(WritingAFileOpenedForReadingThrowsWithErrno) {
    TempDir dir;
    const std::string path = dir.File("ro");
    DiskFile(path.c_str(), File::modeCreate | File::modeWrite).Write("x", 1);
    DiskFile file(path.c_str(), File::modeRead);
    const auto error = CaughtFrom([&] { file.Write("y", 1); });
    BOOST_TEST(error.m_lOsError == EBADF);
    BOOST_TEST(error.m_cause == FileException::invalidFile);
}

BOOST_AUTO_TEST_CASE(UsingAClosedDiskFileThrowsInvalidFile) {
    DiskFile file;
    char byte;
    BOOST_TEST(CaughtFrom([&] { file.Read(&byte, 1); }).m_cause == FileException::invalidFile);
}

BOOST_AUTO_TEST_CASE(AFileThatCannotSeekRefusesPositioningWithEspipe) {
    StreamOnlyFile file;
    BOOST_TEST(!file.CanSeek());
    const auto error = CaughtFrom([&] { file.Seek(0, File::begin); });
    BOOST_TEST(error.m_cause == FileException::badSeek);
    BOOST_TEST(error.m_lOsError == ESPIPE);
    BOOST_TEST(CaughtFrom([&] { file.GetLength(); }).m_cause == FileException::badSeek);
    BOOST_CHECK_NO_THROW(file.Abort());
}

BOOST_AUTO_TEST_CASE(ErrnoMapsToMfcCauses) {
    BOOST_TEST(FileException::CauseFromErrno(EACCES) == FileException::accessDenied);
    BOOST_TEST(FileException::CauseFromErrno(ENOSPC) == FileException::diskFull);
    BOOST_TEST(FileException::CauseFromErrno(EMFILE) == FileException::tooManyOpenFiles);
    BOOST_TEST(FileException::CauseFromErrno(0) == FileException::none);
}

BOOST_AUTO_TEST_SUITE_END()
