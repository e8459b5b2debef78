// CHATSRVR's OnReceive throws when a client sends half a message and hangs
// up: the archive's read meets the end of the data. Under MFC the window
// procedure reports it and keeps pumping; AfxSocketInit gives xsock's loop the
// same handler (SPEC 2), so the server reports the CArchiveException on
// stderr, frees it, and goes on serving the other clients.
// The server runs on a std::thread of its own (ChatSupport.h).
#include "ChatSupport.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

using namespace chat;

namespace {

// Sends stderr to a file while it lives.
class CapturedStderr {
  public:
    CapturedStderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
        std::fflush(stderr);
        ::dup2(::fileno(file_), STDERR_FILENO);
    }
    ~CapturedStderr() {
        Restore();
        std::fclose(file_);
    }
    CapturedStderr(const CapturedStderr&) = delete;
    CapturedStderr& operator=(const CapturedStderr&) = delete;

    std::string Text() {
        Restore();
        std::string text;
        std::rewind(file_);
        for (int ch = std::fgetc(file_); ch != EOF; ch = std::fgetc(file_)) {
            text += static_cast<char>(ch);
        }
        return text;
    }

  private:
    void Restore() {
        if (saved_ >= 0) {
            std::fflush(stderr);
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
        }
    }

    std::FILE* file_;
    int saved_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(AHalfMessageIsReportedAndTheServerGoesOn) {
    CapturedStderr captured;
    ClientCount clients;
    ServerThread server(clients.Setup());

    CChatClient good;
    BOOST_REQUIRE(good.ConnectSocket(server.Port()));
    good.SendMsg(_T("before"));
    BOOST_REQUIRE(RunUntil([&] { return good.m_received.size() == 1; }));

    // BOOL m_bClose, then a string of 10 characters of which 3 arrive.
    CSocket rude;
    BOOST_REQUIRE(rude.Create());
    BOOST_REQUIRE(rude.Connect(_T("127.0.0.1"), server.Port()));
    const BYTE half[] = {0, 0, 0, 0, 10, 'a', 'b', 'c'};
    BOOST_REQUIRE_EQUAL(rude.Send(half, sizeof half), static_cast<int>(sizeof half));
    BOOST_REQUIRE(RunUntil([&] { return clients.Get() == 2; }));
    rude.Close();
    BOOST_REQUIRE(RunUntil([&] { return clients.Get() == 1; }));

    good.SendMsg(_T("after"));
    BOOST_REQUIRE(RunUntil([&] { return good.m_received.size() == 2; }));
    BOOST_CHECK(good.m_received[1] == "after");
    server.Stop();

    const std::string report = captured.Text();
    BOOST_TEST_MESSAGE("server stderr: " << report);
    BOOST_CHECK_NE(report.find("CArchiveException"), std::string::npos);
    BOOST_CHECK_NE(report.find("unexpected end of file"), std::string::npos);
}
