// xsock-transfer's logic without a network: the path checks, the part file's
// resume and verification rules, the messages' wire behaviour, and the demos'
// SHA-256 against published test vectors.
#include "BlockPipeline.h"
#include "PartFile.h"
#include "PathSafety.h"
#include "TransferProtocol.h"

#include <Sha256.h>
#include <xsock/Archive.h>
#include <xsock/Descriptor.h>
#include <xsock/File.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>

namespace {

namespace fs = std::filesystem;
using namespace transfer;
using xsock::demo::Sha256;

std::string HexOf(std::string_view text) {
    Sha256 sha;
    sha.Update(text.data(), text.size());
    return Sha256::Hex(sha.Finish());
}

Digest DigestOf(std::string_view text) {
    Sha256 sha;
    sha.Update(text.data(), text.size());
    return sha.Finish();
}

// A temporary folder, removed with everything in it.
struct TempFolder {
    TempFolder() {
        std::string pattern = (fs::temp_directory_path() / "xsock-transfer-test-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
        root = xsock::Descriptor(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    ~TempFolder() { fs::remove_all(path); }
    std::string Read(const std::string& name) const {
        std::ifstream in(path / name, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    // Where PartFile keeps the part file of `name` for the sender "".
    fs::path Part(const std::string& name) const {
        return path / ".xsock-parts" / PartName("", name);
    }
    fs::path path;
    xsock::Descriptor root;
};

FileHeader Header(std::string path, std::uint64_t size) {
    FileHeader header;
    header.path = std::move(path);
    header.size = size;
    header.mode = 0640;
    header.mtimeSeconds = 981173106;
    header.mtimeNanoseconds = 789000000;
    return header;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(PathChecks)

BOOST_AUTO_TEST_CASE(AcceptsPlainRelativePathsWithSpacesAndUtf8) {
    for (const char* path :
         {"a", "a/b", "with space/ünïcödé ✓.txt", "..dots", "dots..", ".hidden", "a/...", "a\\b"}) {
        BOOST_TEST(CheckRelativePath(path).empty(), path);
    }
}

BOOST_AUTO_TEST_CASE(RefusesEveryWayOutOfTheFolder) {
    const std::string withNul("a\0b", 3);
    for (const std::string& path :
         {std::string(), std::string("/etc/passwd"), std::string("/"), std::string(".."),
          std::string("../x"), std::string("a/../../x"), std::string("a/.."), std::string("."),
          std::string("./a"), std::string("a//b"), std::string("a/"), std::string("//a"), withNul,
          std::string("f.xsock-part"), std::string("d.xsock-part/f"), std::string(".xsock-parts"),
          std::string(".xsock-parts/x"), std::string(256, 'n'), "d/" + std::string(256, 'n')}) {
        BOOST_TEST(!CheckRelativePath(path).empty(), "accepted '" << path << "'");
    }
    BOOST_TEST(CheckRelativePath("a/../b") == "the path has a '..' component");
    BOOST_TEST(CheckRelativePath("/a") == "the path is absolute");
    BOOST_TEST(CheckRelativePath(withNul) == "the path contains a NUL byte");
    BOOST_TEST(CheckRelativePath(std::string(256, 'n')) ==
               "a name in the path is longer than 255 bytes");
    BOOST_TEST(CheckRelativePath(std::string(255, 'n')).empty());
}

BOOST_AUTO_TEST_CASE(SplitsAtSlashes) {
    std::vector<std::string> expected{"a", "b c", "d"};
    BOOST_TEST(SplitPath("a/b c/d") == expected, boost::test_tools::per_element());
    // A hash of (sender, path): 64 hex digits whatever the name's length.
    BOOST_TEST(PartName("", "f.bin") == HexOf(std::string("\0f.bin", 6)) + ".xsock-part");
    BOOST_TEST(PartName("10.0.0.1", "f.bin") != PartName("10.0.0.2", "f.bin"));
    BOOST_TEST(PartName("a", "b/c") != PartName("a/b", "c"));
}

BOOST_AUTO_TEST_CASE(WalkRefusesASymbolicLinkOnTheWay) {
    TempFolder temp;
    TempFolder outside;
    fs::create_directory(temp.path / "real");
    fs::create_directory_symlink(outside.path, temp.path / "real" / "link");
    std::string error;
    xsock::Descriptor folder = OpenFolders(temp.root.Get(), {"real", "link", "x"}, false, error);
    BOOST_TEST(!folder.IsOpen());
    BOOST_TEST(error == "'real/link' is a symbolic link, which is never followed");
    BOOST_TEST(fs::is_empty(outside.path));

    folder = OpenFolders(temp.root.Get(), {"new", "deeper", "file"}, false, error);
    BOOST_TEST(folder.IsOpen());
    BOOST_TEST(fs::is_directory(temp.path / "new" / "deeper"));
    BOOST_TEST(!fs::exists(temp.path / "new" / "deeper" / "file"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(PartFiles)

BOOST_AUTO_TEST_CASE(RenamesOnlyAfterTheChecksumMatchesAndAppliesModeAndTime) {
    TempFolder temp;
    const std::string data = "hello, transfer";
    PartFile part;
    BOOST_TEST(part.Open(temp.root.Get(), Header("d/f.txt", data.size())).empty());
    BOOST_TEST(part.Offset() == 0u);
    part.StartAt(0);
    part.Write(data.data(), data.size());
    BOOST_TEST(fs::exists(temp.Part("d/f.txt")));
    BOOST_TEST(!fs::exists(temp.path / "d" / "f.txt"));
    BOOST_TEST(part.Finish(DigestOf(data)).empty());
    BOOST_TEST(temp.Read("d/f.txt") == data);
    BOOST_TEST(!fs::exists(temp.Part("d/f.txt")));
    struct stat info {};
    BOOST_REQUIRE(::stat((temp.path / "d" / "f.txt").c_str(), &info) == 0);
    BOOST_TEST((info.st_mode & 07777) == 0640u);
    BOOST_TEST(info.st_mtim.tv_sec == 981173106);
    BOOST_TEST(info.st_mtim.tv_nsec == 789000000);
}

BOOST_AUTO_TEST_CASE(AMismatchRemovesThePartFileAndLeavesNoFinalFile) {
    TempFolder temp;
    const std::string data = "the real bytes";
    PartFile part;
    BOOST_TEST(part.Open(temp.root.Get(), Header("f", data.size())).empty());
    part.StartAt(0);
    part.Write(data.data(), data.size());
    std::string problem = part.Finish(DigestOf("other bytes"));
    BOOST_TEST(problem.find("checksum mismatch for 'f'") == 0u, problem);
    BOOST_TEST(!fs::exists(temp.path / "f"));
    BOOST_TEST(!fs::exists(temp.Part("f")));
}

BOOST_AUTO_TEST_CASE(AnInterruptedFileIsOfferedForResumeWithItsPrefixDigest) {
    TempFolder temp;
    const std::string data = "0123456789abcdefghij";
    {
        PartFile part;
        BOOST_TEST(part.Open(temp.root.Get(), Header("f", data.size())).empty());
        part.StartAt(0);
        part.Write(data.data(), 12);
    }  // the connection broke here
    BOOST_TEST(!fs::exists(temp.path / "f"));
    PartFile again;
    BOOST_TEST(again.Open(temp.root.Get(), Header("f", data.size())).empty());
    BOOST_TEST(again.Offset() == 12u);
    BOOST_TEST(Sha256::Hex(again.PrefixDigest()) == HexOf(data.substr(0, 12)));
    again.StartAt(12);
    again.Write(data.data() + 12, data.size() - 12);
    BOOST_TEST(again.Finish(DigestOf(data)).empty());
    BOOST_TEST(temp.Read("f") == data);
}

BOOST_AUTO_TEST_CASE(StartingOverDropsTheOldPrefix) {
    TempFolder temp;
    {
        PartFile part;
        BOOST_TEST(part.Open(temp.root.Get(), Header("f", 10)).empty());
        part.StartAt(0);
        part.Write("old--", 5);
    }
    PartFile again;
    BOOST_TEST(again.Open(temp.root.Get(), Header("f", 10)).empty());
    BOOST_TEST(again.Offset() == 5u);
    again.StartAt(0);
    again.Write("new bytes!", 10);
    BOOST_TEST(again.Finish(DigestOf("new bytes!")).empty());
    BOOST_TEST(temp.Read("f") == "new bytes!");
    BOOST_CHECK_THROW(PartFile().StartAt(3), std::runtime_error);  // not what was offered
}

// The server's path for chunks: hashed and written on the PartFile's threads.
BOOST_AUTO_TEST_CASE(BlocksHandedToTheWritingThreadsArriveWholeAndInOrder) {
    TempFolder temp;
    std::string data;
    for (int i = 0; i < 40000; ++i) {
        data += std::to_string(i) + ",";
    }
    PartFile part;
    BOOST_TEST(part.Open(temp.root.Get(), Header("big", data.size())).empty());
    part.StartAt(0);
    std::vector<char> block;
    for (std::size_t at = 0; at < data.size(); at += 7001) {
        const std::size_t length = std::min<std::size_t>(7001, data.size() - at);
        block.assign(data.begin() + static_cast<std::ptrdiff_t>(at),
                     data.begin() + static_cast<std::ptrdiff_t>(at + length));
        part.Write(block);
    }
    BOOST_TEST(part.Finish(DigestOf(data)).empty());
    BOOST_TEST(temp.Read("big") == data);
}

BOOST_AUTO_TEST_CASE(AnInterruptionKeepsEveryBlockHandedToTheWritingThreads) {
    TempFolder temp;
    const std::string data(300000, 'z');
    {
        PartFile part;
        BOOST_TEST(part.Open(temp.root.Get(), Header("f", data.size())).empty());
        part.StartAt(0);
        for (int i = 0; i < 20; ++i) {
            std::vector<char> block(10000, 'z');
            part.Write(block);
        }
    }  // the connection broke with blocks still queued
    PartFile again;
    BOOST_TEST(again.Open(temp.root.Get(), Header("f", data.size())).empty());
    BOOST_TEST(again.Offset() == 200000u);
    BOOST_TEST(Sha256::Hex(again.PrefixDigest()) == HexOf(data.substr(0, 200000)));
    again.StartAt(200000);
    std::vector<char> rest(100000, 'z');
    again.Write(rest);
    BOOST_TEST(again.Finish(DigestOf(data)).empty());
    BOOST_TEST(temp.Read("f") == data);
}

BOOST_AUTO_TEST_CASE(RefusesMoreBytesThanAnnouncedAndASecondWriter) {
    TempFolder temp;
    PartFile part;
    BOOST_TEST(part.Open(temp.root.Get(), Header("f", 4)).empty());
    part.StartAt(0);
    BOOST_CHECK_THROW(part.Write("12345", 5), std::runtime_error);
    PartFile second;
    BOOST_TEST(second.Open(temp.root.Get(), Header("f", 4)) ==
               "another sender is sending 'f' right now");
}

BOOST_AUTO_TEST_CASE(RefusesSymbolicLinksForTheFileAndItsPartFile) {
    TempFolder temp;
    TempFolder outside;
    std::ofstream(outside.path / "target") << "secret";
    fs::create_symlink(outside.path / "target", temp.path / "link");
    fs::create_directory(temp.path / ".xsock-parts");
    fs::create_symlink(outside.path / "target", temp.Part("planted"));
    PartFile link;
    BOOST_TEST(link.Open(temp.root.Get(), Header("link", 3)).find("symbolic link") !=
               std::string::npos);
    PartFile planted;
    BOOST_TEST(planted.Open(temp.root.Get(), Header("planted", 3)) ==
               "the part file for 'planted' is a symbolic link");
    BOOST_TEST(outside.Read("target") == "secret");
}

// In a receiving folder others can write to, another user may have made the
// part files' folder first, to read, plant or swap part files under the
// server: such a folder is refused, and nothing is written into it.
BOOST_AUTO_TEST_CASE(RefusesAPartsFolderOthersCanWriteTo) {
    TempFolder temp;
    fs::create_directory(temp.path / ".xsock-parts");
    fs::permissions(temp.path / ".xsock-parts", fs::perms::all);  // 0777, whatever the umask
    PartFile part;
    std::string refusal = part.Open(temp.root.Get(), Header("f", 4));
    BOOST_TEST(refusal.find("can be written by others") != std::string::npos, refusal);
    BOOST_TEST(fs::is_empty(temp.path / ".xsock-parts"));
    BOOST_TEST(!fs::exists(temp.path / "f"));

    fs::permissions(temp.path / ".xsock-parts", fs::perms::owner_all);
    PartFile fixed;
    BOOST_TEST(fixed.Open(temp.root.Get(), Header("f", 4)).empty());
}

// Ownership is checked against the server's user: a folder or part file of
// anyone else is refused (here the "server" is another user than the one
// that made them).
BOOST_AUTO_TEST_CASE(RefusesAFolderOrPartFileOfAnotherUser) {
    TempFolder temp;
    std::ofstream(temp.path / "mine") << "x";
    xsock::Descriptor file(::open((temp.path / "mine").c_str(), O_RDONLY | O_CLOEXEC));
    BOOST_REQUIRE(file.IsOpen());
    BOOST_TEST(UnsafeFolderReason(temp.root.Get(), ::geteuid()).empty());
    BOOST_TEST(UnsafePartFileReason(file.Get(), ::geteuid()).empty());
    const uid_t other = ::geteuid() + 1;
    BOOST_TEST(UnsafeFolderReason(temp.root.Get(), other) ==
               "belongs to user " + std::to_string(::geteuid()));
    BOOST_TEST(UnsafePartFileReason(file.Get(), other) ==
               "belongs to user " + std::to_string(::geteuid()));
}

// A part file with another name elsewhere (a hard link planted in its place)
// would make the server write through to that file: it is refused, and the
// file it names is left as it was.
BOOST_AUTO_TEST_CASE(RefusesAPartFileWithOtherNames) {
    TempFolder temp;
    TempFolder outside;
    std::ofstream(outside.path / "target") << "secret";
    fs::create_directory(temp.path / ".xsock-parts");
    fs::permissions(temp.path / ".xsock-parts", fs::perms::owner_all);
    fs::create_hard_link(outside.path / "target", temp.Part("planted"));
    PartFile planted;
    std::string refusal = planted.Open(temp.root.Get(), Header("planted", 3));
    if (refusal.empty()) {
        planted.StartAt(0);  // what the server does next with a file it took
        planted.Write("new", 3);
        planted.Settle();
    }
    BOOST_TEST(refusal == "the part file for 'planted' has other names (hard links)");
    BOOST_TEST(outside.Read("target") == "secret");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(BlockPipelines)

BOOST_AUTO_TEST_CASE(EveryStageSeesEveryBlockInOrderInABoundedSetOfBuffers) {
    // Each vector belongs to one stage's thread until the pipeline is gone.
    std::vector<int> first;
    std::vector<int> second;
    std::set<const char*> buffers;
    std::atomic<std::size_t> firstDone{0};
    bool secondRanAhead = false;
    {
        BlockPipeline pipeline({[&](const char* data, std::size_t length) {
                                    first.push_back(std::stoi(std::string(data, length)));
                                    buffers.insert(data);
                                    ++firstDone;
                                },
                                [&](const char* data, std::size_t length) {
                                    // Only once the first stage is done with this block.
                                    secondRanAhead |= firstDone.load() <= second.size();
                                    second.push_back(std::stoi(std::string(data, length)));
                                }},
                               3);
        std::vector<char> block;
        for (int i = 1000; i < 1500; ++i) {
            std::string text = std::to_string(i);
            block.assign(text.begin(), text.end());
            pipeline.Hand(block);
        }
        pipeline.Drain();
        BOOST_TEST(second.size() == 500u);
    }
    std::vector<int> expected;
    for (int i = 1000; i < 1500; ++i) {
        expected.push_back(i);
    }
    BOOST_TEST(!secondRanAhead);
    BOOST_TEST(first == expected, boost::test_tools::per_element());
    BOOST_TEST(second == expected, boost::test_tools::per_element());
    BOOST_TEST(buffers.size() <= 4u);  // three in the pipeline, one in the caller's hand
}

BOOST_AUTO_TEST_CASE(AStagesExceptionComesBackToTheOwnerOnce) {
    int seen = 0;
    BlockPipeline pipeline({[&](const char*, std::size_t) {
                               if (++seen == 3) {
                                   throw std::runtime_error("no more");
                               }
                           }},
                           2);
    std::vector<char> block(8, 'b');
    bool thrown = false;
    try {
        for (int i = 0; i < 10; ++i) {
            pipeline.Hand(block);
        }
        pipeline.Drain();
    } catch (const std::runtime_error& e) {
        thrown = std::string(e.what()) == "no more";
    }
    BOOST_TEST(thrown);
    pipeline.Drain();  // reported once; the blocks after it skipped the stage
    BOOST_TEST(seen == 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Messages)

BOOST_AUTO_TEST_CASE(MessagesTravelWithTheirClassTags) {
    xsock::MemFile file;
    {
        xsock::Archive out(file, xsock::Archive::store);
        FileHeader header = Header("dir/ü.txt", 5);
        Store(out, header);
        Chunk chunk;
        chunk.bytes = {'a', 'b', 'c'};
        Store(out, chunk);
        Store(out, chunk);  // the same object twice: no back-reference, both arrive
        FileDone done;
        done.sha256 = DigestOf("x");
        Store(out, done);
        out.Close();
    }
    file.Seek(0, xsock::File::begin);
    xsock::Archive in(file, xsock::Archive::load);
    BOOST_TEST(NextMessage(in) == XSOCK_RUNTIME_CLASS(FileHeader));
    FileHeader header;
    header.Serialize(in);
    BOOST_TEST(header.path == "dir/ü.txt");
    BOOST_TEST(header.size == 5u);
    BOOST_TEST(header.mtimeNanoseconds == 789000000u);
    for (int i = 0; i < 2; ++i) {
        Chunk chunk;
        Expect(in, chunk);
        BOOST_TEST(std::string(chunk.bytes.begin(), chunk.bytes.end()) == "abc");
    }
    FileDone done;
    Expect(in, done);
    BOOST_TEST(done.sha256 == DigestOf("x"));
    BOOST_CHECK_THROW(NextMessage(in), xsock::ArchiveException);
}

BOOST_AUTO_TEST_CASE(RefusesOversizedChunksAndPathsAndTheWrongMessage) {
    xsock::MemFile file;
    {
        xsock::Archive out(file, xsock::Archive::store);
        out.WriteClass(XSOCK_RUNTIME_CLASS(Chunk));
        out << std::uint32_t{kMaxChunk + 1};
        out.Close();
    }
    file.Seek(0, xsock::File::begin);
    xsock::Archive in(file, xsock::Archive::load);
    Chunk chunk;
    try {
        Expect(in, chunk);
        BOOST_FAIL("an oversized chunk was accepted");
    } catch (const xsock::ArchiveException& e) {
        BOOST_TEST(e.m_cause == xsock::ArchiveException::limitExceeded);
    }

    xsock::MemFile second;
    {
        xsock::Archive out(second, xsock::Archive::store);
        Store(out, Header(std::string(5000, 'a'), 1));
        Store(out, StartAt());
        out.Close();
    }
    second.Seek(0, xsock::File::begin);
    xsock::Archive in2(second, xsock::Archive::load);
    FileHeader header;
    try {
        Expect(in2, header);
        BOOST_FAIL("a 5000-byte path was accepted");
    } catch (const xsock::ArchiveException& e) {
        BOOST_TEST(e.m_cause == xsock::ArchiveException::limitExceeded);
    }
}

BOOST_AUTO_TEST_CASE(ExpectRefusesAnotherClass) {
    xsock::MemFile file;
    {
        xsock::Archive out(file, xsock::Archive::store);
        Store(out, StartAt());
        out.Close();
    }
    file.Seek(0, xsock::File::begin);
    xsock::Archive in(file, xsock::Archive::load);
    FileDone done;
    try {
        Expect(in, done);
        BOOST_FAIL("a StartAt was taken for a FileDone");
    } catch (const xsock::ArchiveException& e) {
        BOOST_TEST(e.m_cause == xsock::ArchiveException::badClass);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Sha256Vectors)

// FIPS 180-2 appendix B and the NIST example values.
BOOST_AUTO_TEST_CASE(MatchesThePublishedVectors) {
    BOOST_TEST(HexOf("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(HexOf("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(HexOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    BOOST_TEST(HexOf(std::string(1000000, 'a')) ==
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(PiecesGiveTheSameDigestAndFinishStartsOver) {
    const std::string text(100003, 'q');
    Sha256 sha;
    for (std::size_t at = 0; at < text.size(); at += 4093) {
        sha.Update(text.data() + at, std::min<std::size_t>(4093, text.size() - at));
    }
    BOOST_TEST(Sha256::Hex(sha.Finish()) == HexOf(text));
    BOOST_TEST(Sha256::Hex(sha.Finish()) == HexOf(""));
}

BOOST_AUTO_TEST_SUITE_END()
