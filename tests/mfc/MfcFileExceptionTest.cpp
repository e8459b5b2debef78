// CFile, CMemFile and MFC's exception pointers: CFile(LPCTSTR, UINT), Open,
// Seek and CArchive over a disk file; failures thrown as CFileException* and
// CArchiveException*; TRY/CATCH/AND_CATCH/END_CATCH deleting the exception,
// THROW_LAST passing it on, and Delete() inside a CATCH block (the sanitizer
// build turns a leak or a double delete into a failure).
#include <afx.h>

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

namespace {

struct TempPath {
    TempPath()
        : path((std::filesystem::temp_directory_path() /
                ("xsock-mfc-" + std::to_string(::getpid()) + ".bin"))
                   .string()) {}
    ~TempPath() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
    std::string path;
};

}  // namespace

BOOST_AUTO_TEST_CASE(DiskFileWritesSeeksAndReads) {
    TempPath temp;
    {
        CFile file(temp.path.c_str(), CFile::modeCreate | CFile::modeWrite | CFile::typeBinary);
        file.Write("abcdef", 6);
        BOOST_CHECK_EQUAL(file.GetLength(), 6u);
        file.Close();
    }
    CFile file;
    BOOST_REQUIRE(file.Open(temp.path.c_str(), CFile::modeRead | CFile::typeBinary));
    BOOST_CHECK_EQUAL(file.Seek(2, CFile::begin), 2u);
    char buffer[8] = {};
    BOOST_CHECK_EQUAL(file.Read(buffer, 8), 4u);
    BOOST_CHECK_EQUAL(std::string(buffer, 4), "cdef");
    file.SeekToBegin();
    BOOST_CHECK_EQUAL(file.Read(buffer, 1), 1u);
    BOOST_CHECK_EQUAL(buffer[0], 'a');
    BOOST_CHECK(file.GetFileName() == CString(std::filesystem::path(temp.path).filename().c_str()));
}

BOOST_AUTO_TEST_CASE(ArchiveOverADiskFile) {
    TempPath temp;
    {
        CFile file(temp.path.c_str(), CFile::modeCreate | CFile::modeWrite);
        CArchive ar(&file, CArchive::store);
        ar << CString("saved") << DWORD{9};
        ar.Close();
        file.Close();
    }
    CFile file(temp.path.c_str(), CFile::modeRead);
    CArchive ar(&file, CArchive::load);
    CString text;
    DWORD number = 0;
    ar >> text >> number;
    BOOST_CHECK(text == "saved");
    BOOST_CHECK_EQUAL(number, 9u);
    BOOST_CHECK(ar.GetFile() == &file);
}

BOOST_AUTO_TEST_CASE(AMissingFileThrowsACFileExceptionPointer) {
    const CString missing = "/nonexistent-xsock-dir/file.bin";
    try {
        CFile file(missing, CFile::modeRead);
        BOOST_FAIL("opening a missing file did not throw");
    } catch (CFileException* e) {
        BOOST_CHECK_EQUAL(e->m_cause, CFileException::fileNotFound);
        BOOST_CHECK_EQUAL(e->m_lOsError, ENOENT);
        BOOST_CHECK(e->m_strFileName == missing);
        e->Delete();
    }
    CFile file;
    CFileException error;
    BOOST_CHECK(!file.Open(missing, CFile::modeRead, &error));
    BOOST_CHECK_EQUAL(error.m_cause, CFileException::fileNotFound);
}

BOOST_AUTO_TEST_CASE(AFixedMemFileThatFillsUpThrowsDiskFull) {
    BYTE buffer[4] = {};
    CMemFile file(buffer, sizeof buffer);
    CArchive ar(&file, CArchive::store);
    ar << DWORD{1} << DWORD{2};
    try {
        ar.Flush();
        BOOST_FAIL("writing past a fixed buffer did not throw");
    } catch (CFileException* e) {
        BOOST_CHECK_EQUAL(e->m_cause, CFileException::diskFull);
        e->Delete();
    }
    ar.Abort();
}

BOOST_AUTO_TEST_CASE(TryCatchDeletesTheExceptionAndPicksTheRightBlock) {
    int caught = 0;
    TRY {
        AfxThrowArchiveException(CArchiveException::badSchema);
    }
    CATCH(CFileException, e) {
        caught = 1;
    }
    AND_CATCH(CArchiveException, e) {
        caught = e->m_cause;
    }
    END_CATCH
    BOOST_CHECK_EQUAL(caught, CArchiveException::badSchema);

    // Delete() inside the block as well is safe.
    TRY {
        AfxThrowFileException(CFileException::hardIO, EIO);
    }
    CATCH_ALL(e) {
        BOOST_CHECK(e->IsKindOf(RUNTIME_CLASS(CFileException)));
        e->Delete();
    }
    END_CATCH_ALL
}

BOOST_AUTO_TEST_CASE(ThrowLastPassesTheExceptionOn) {
    CException* outer = nullptr;
    try {
        TRY {
            AfxThrowArchiveException(CArchiveException::endOfFile);
        }
        CATCH(CArchiveException, e) {
            THROW_LAST();
        }
        END_CATCH
    } catch (CException* e) {
        outer = e;
    }
    BOOST_REQUIRE(outer != nullptr);
    BOOST_CHECK_EQUAL(static_cast<CArchiveException*>(outer)->m_cause,
                      CArchiveException::endOfFile);
    TCHAR message[64];
    BOOST_CHECK(outer->GetErrorMessage(message, 64));
    BOOST_CHECK(CString(message) == "unexpected end of file");
    outer->Delete();
}
