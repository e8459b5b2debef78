// What the messenger tests drive besides child processes (ChildProcess.h): a
// tmux server on a private socket for the interactive UI, raw TCP and TLS
// clients for bytes no messenger would send, and free or refused loopback
// ports.
#pragma once

#include "ChildProcess.h"

#include "Messages.h"

#include <Identity.h>
#include <xsock/Archive.h>
#include <xsock/ArchiveException.h>
#include <xsock/File.h>
#include <xsock/Socket.h>
#include <xsock/Tls.h>

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace messenger::test {

// A tmux server of our own (its socket in a temporary folder) running one
// program in a 100x30 pane.
class Tmux {
  public:
    Tmux(std::string tmux, const std::filesystem::path& socket, const std::string& command)
        : tmux_(std::move(tmux)), socket_(socket.string()) {
        std::string output;
        // The shell shows the program's exit status: tmux's #{pane_dead_status}
        // is sometimes never filled in when the terminal closes first. The
        // shell is sh whatever $SHELL says, for the $? syntax, and traps SIGINT
        // so that Ctrl-C ends only the program (the program still gets it).
        int status = Run({tmux_, "-S", socket_, "-f", "/dev/null", "set-option", "-g",
                          "default-shell", "/bin/sh", ";", "new-session", "-d", "-x", "100", "-y",
                          "30", "trap : INT; " + command + "; echo \"[exited $?]\""},
                         &output);
        BOOST_TEST_REQUIRE(status == 0, "tmux new-session failed:\n" << output);
        // Keep the pane after the program ends, to read its last lines.
        Tmux::Command({"set-option", "-g", "remain-on-exit", "on"});
    }
    ~Tmux() { Run({tmux_, "-S", socket_, "kill-server"}); }

    // Types text as it is (no key names).
    void Type(const std::string& text) { Tmux::Command({"send-keys", "-t", "0", "-l", text}); }
    // Presses keys by tmux's names: "Enter", "Up", "C-u".
    void Press(const std::string& key) { Tmux::Command({"send-keys", "-t", "0", key}); }

    void Resize(int width, int height) {
        Tmux::Command({"resize-window", "-t", "0", "-x", std::to_string(width), "-y",
                       std::to_string(height)});
    }

    std::string Screen() { return Tmux::Command({"capture-pane", "-p", "-t", "0"}); }
    // tmux's format variables, e.g. "#{cursor_x}".
    std::string Display(const std::string& format) {
        return Tmux::Command({"display-message", "-p", "-t", "0", format});
    }

    // Polls the pane until `done` holds for what it shows.
    std::string WaitForScreen(const std::function<bool(const std::string&)>& done,
                              const std::string& what) {
        auto deadline = std::chrono::steady_clock::now() + kDeadline;
        std::string screen;
        while (std::chrono::steady_clock::now() < deadline) {
            screen = Screen();
            if (done(screen)) {
                return screen;
            }
            // Each capture is a process run; this only paces them.
            ::poll(nullptr, 0, 50);
        }
        BOOST_FAIL("the screen never showed " + what + "; it shows:\n" + screen);
        return screen;
    }

    // Waits for the program in the pane to end; returns its exit status.
    // (tmux sees the terminal close a moment before it has the status.)
    int WaitForExit() {
        std::string screen = WaitForScreen(
            [](const std::string& shown) { return shown.find("[exited ") != std::string::npos; },
            "the program's exit");
        return std::stoi(screen.substr(screen.find("[exited ") + 8));
    }

    // Polls a tmux format (see Display) until it shows `expected`.
    void WaitForDisplay(const std::string& format, const std::string& expected) {
        auto deadline = std::chrono::steady_clock::now() + kDeadline;
        std::string shown;
        while (std::chrono::steady_clock::now() < deadline) {
            if ((shown = Display(format)) == expected) {
                return;
            }
            ::poll(nullptr, 0, 50);
        }
        BOOST_FAIL(format + " never showed " + expected + "; it shows " + shown);
    }

  private:
    std::string Command(std::vector<std::string> args) {
        args.insert(args.begin(), {tmux_, "-S", socket_});
        Child child(std::move(args));
        child.CloseInput();
        int status = child.WaitExit();
        BOOST_TEST_REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0),
                           "tmux failed:\n"
                               << child.Transcript());
        return child.Text();
    }

    std::string tmux_;
    std::string socket_;
};

// A TCP connection to 127.0.0.1:port through the plain socket API, for
// writing what no messenger would.
class RawClient {
  public:
    explicit RawClient(unsigned port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(port));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_TEST_REQUIRE(::connect(fd_.Get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    }
    void Write(const std::string& bytes) {
        BOOST_TEST_REQUIRE(::send(fd_.Get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size()));
    }
    // Reads (and discards) until the other side closes; false at the deadline.
    bool WaitClosed() {
        auto deadline = std::chrono::steady_clock::now() + kDeadline;
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd fd{fd_.Get(), POLLIN, 0};
            if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
                return false;
            }
            char buffer[4096];
            if (::recv(fd_.Get(), buffer, sizeof buffer, 0) <= 0) {
                return true;
            }
        }
    }

  private:
    xsock::Descriptor fd_;
};

// A TLS connection to 127.0.0.1:port with the key of `profile` in `config`
// (an XDG_CONFIG_HOME), as a messenger's would be, writing whatever it is told.
class TlsClient {
  public:
    TlsClient(unsigned port, const std::filesystem::path& config, const std::string& profile)
        : tls_(xsock::TlsContext::Client()) {
        ::setenv("XDG_CONFIG_HOME", config.c_str(), 1);
        std::string error;
        std::optional<demo::Identity> loaded = demo::LoadIdentity(profile, error);
        BOOST_TEST_REQUIRE(loaded.has_value(), error);
        identity = *loaded;
        fingerprint = identity.fingerprint;
        BOOST_TEST_REQUIRE(tls_.UseCertificate(identity.certificate.c_str(), identity.key.c_str()));
        tls_.AcceptAnyCertificate();
        socket_.SetTimeout(kDeadline);
        BOOST_TEST_REQUIRE(socket_.Create());
        BOOST_TEST_REQUIRE(xsock::StartTls(socket_, tls_));
        BOOST_TEST_REQUIRE(socket_.Connect("127.0.0.1", port),
                           xsock::AsyncSocket::GetLastErrorCode().message());
        peerKey = xsock::GetTlsInfo(socket_)->peerFingerprint;
    }
    void Write(const std::string& bytes) {
        BOOST_TEST_REQUIRE(socket_.Send(bytes.data(), static_cast<int>(bytes.size())) ==
                           static_cast<int>(bytes.size()));
    }
    // Sends a message through this connection's own storing archive, so that
    // a class name crosses once per connection, as a messenger sends it
    // (the messenger's archive counts each new class name as an object).
    // Not to be mixed with Write on one connection.
    void Send(xsock::Object& message) {
        WriteMessage(out_, message);
        out_.Flush();
        auto bytes = staging_.Contents();
        Write(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        staging_.SetLength(0);
        staging_.SeekToBegin();
    }
    // The next message the messenger sent; null if it closed or kDeadline passed.
    std::unique_ptr<xsock::Object> Read() {
        for (;;) {
            std::unique_ptr<xsock::Object> message;
            try {
                if (in_.TryLoad([&] { message = ReadMessage(in_); })) {
                    return message;
                }
            } catch (const xsock::ArchiveException&) {
                return nullptr;
            }
            char buffer[16384];
            int n = socket_.Receive(buffer, sizeof buffer);
            if (n <= 0) {
                return nullptr;
            }
            inbox_.Append(buffer, static_cast<std::size_t>(n));
        }
    }
    // Reads (and discards) until the other side closes; false at the deadline.
    bool WaitClosed() {
        char buffer[4096];
        int n;
        while ((n = socket_.Receive(buffer, sizeof buffer)) > 0) {
        }
        return n == 0 || xsock::AsyncSocket::GetLastError() != ETIMEDOUT;
    }

    demo::Identity identity;
    std::string fingerprint;  // this client's key
    std::string peerKey;      // the key the messenger proved

  private:
    xsock::TlsContext tls_;
    xsock::Socket socket_;
    xsock::MemFile inbox_;
    xsock::Archive in_{inbox_, xsock::Archive::load};
    xsock::MemFile staging_;
    xsock::Archive out_{staging_, xsock::Archive::store};
};

// A UDP port that was free a moment ago, for --discover-port.
inline unsigned FreeUdpPort() {
    xsock::Descriptor fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    socklen_t length = sizeof address;
    BOOST_TEST_REQUIRE(::bind(fd.Get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
    ::getsockname(fd.Get(), reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
}

// A port nothing listens on: bound (so no one else takes it) but not listening.
class ClosedPort {
  public:
    ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        BOOST_TEST_REQUIRE(::bind(fd_.Get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
        ::getsockname(fd_.Get(), reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
    unsigned Port() const noexcept { return port_; }

  private:
    xsock::Descriptor fd_;
    unsigned port_ = 0;
};

}  // namespace messenger::test
