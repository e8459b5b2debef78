// TLS peers no one here wrote (openssl, python3, curl) as child processes of
// a test. A program is found by name on PATH, and a missing one fails the test
// with the package that brings it. The child is started with posix_spawn (an
// argument vector, never a shell line); its standard input, output and error
// are socket pairs whose test ends are attached to the thread's SocketLoop, so
// the test waits for the child's output with RunUntil like for any socket,
// and a child that died costs a failed check, never a SIGPIPE. The child is
// killed and reaped when the object goes, even when a check failed.
#pragma once

#include "TestSupport.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace xsock::test {

// The full path of `name` on PATH; fails the test if it is not there.
inline std::string FindProgram(const std::string& name, const char* package) {
    const char* path = std::getenv("PATH");
    std::string_view rest = path != nullptr ? path : "";
    while (!rest.empty()) {
        std::size_t colon = rest.find(':');
        std::string dir(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        struct stat info {};
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    BOOST_FAIL(name << " is not on PATH: these tests need the Debian package " << package
                    << " (./run test installs it)");
    return {};
}

// One end of a child's output: collects what arrives until the child closes it.
class ChildOutput : public AsyncSocket {
  public:
    std::string text;
    bool ended = false;

  protected:
    void OnReceive(int) override { ended = !Drain(*this, text) || ended; }
    void OnClose(int) override {
        Drain(*this, text);
        ended = true;
    }
};

class ExternalPeer {
  public:
    // `args[0]` is a program name looked up on PATH; `package` names the
    // Debian package that brings it, for the failure when it is missing.
    ExternalPeer(std::vector<std::string> args, const char* package) {
        args[0] = FindProgram(args[0], package);
        command_ = args[0];
        for (std::size_t i = 1; i < args.size(); ++i) {
            command_ += " " + args[i];
        }
        int in[2], out[2], err[2];
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) == 0);
        Descriptor inChild(in[0]);
        input_.Reset(in[1]);
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) == 0);
        Descriptor outChild(out[1]);
        BOOST_REQUIRE(output_.Attach(out[0], FD_READ | FD_CLOSE));
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, err) == 0);
        Descriptor errChild(err[1]);
        BOOST_REQUIRE(errors_.Attach(err[0], FD_READ | FD_CLOSE));

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, inChild.Get(), STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, outChild.Get(), STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, errChild.Get(), STDERR_FILENO);
        std::vector<char*> argv;
        for (std::string& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        int error = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        BOOST_REQUIRE_MESSAGE(error == 0,
                              "posix_spawn " << command_ << ": " << std::strerror(error));
    }

    ~ExternalPeer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            Reap();
        }
    }

    ExternalPeer(const ExternalPeer&) = delete;
    ExternalPeer& operator=(const ExternalPeer&) = delete;

    // What the child wrote so far on its standard output and error.
    const std::string& Output() const noexcept { return output_.text; }
    const std::string& Errors() const noexcept { return errors_.text; }
    std::string Transcript() const {
        return command_ + "\n--- stdout:\n" + output_.text + "\n--- stderr:\n" + errors_.text;
    }

    // Writes to the child's standard input; small writes only, which the
    // socket buffer always takes.
    void Write(const std::string& data) {
        BOOST_REQUIRE(input_.IsOpen());
        ssize_t n = ::send(input_.Get(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        BOOST_REQUIRE_MESSAGE(n == static_cast<ssize_t>(data.size()),
                              "writing to " << command_ << " failed: " << std::strerror(errno));
    }
    void CloseInput() { input_.Reset(); }

    // Runs `loop` until `text` appeared on the child's output (or error, with
    // `onErrors`); fails the test with the transcript at the deadline.
    void WaitForOutput(SocketLoop& loop, const std::string& text, bool onErrors = false) {
        const std::string& where = onErrors ? errors_.text : output_.text;
        BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return where.find(text) != std::string::npos; }),
                              "no '" << text << "' from the peer; " << Transcript());
    }

    // Runs `loop` until the child closed its output and error, then reaps
    // it; returns its exit code (128 + the signal if one killed it).
    int WaitExit(SocketLoop& loop) {
        BOOST_REQUIRE_MESSAGE(RunUntil(loop, [&] { return output_.ended && errors_.ended; }),
                              "the peer did not end; " << Transcript());
        int status = Reap();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

  private:
    int Reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = 0;
        return status;
    }

    std::string command_;
    pid_t pid_ = 0;
    Descriptor input_;
    ChildOutput output_, errors_;
};

// The port in a line "<prefix><port>" the child printed, once it has.
inline unsigned PortAfter(SocketLoop& loop, ExternalPeer& peer, const std::string& prefix) {
    peer.WaitForOutput(loop, prefix);
    std::size_t at = peer.Output().find(prefix) + prefix.size();
    BOOST_REQUIRE_MESSAGE(
        RunUntil(loop, [&] { return peer.Output().find('\n', at) != std::string::npos; }),
        "no end of line after '" << prefix << "'; " << peer.Transcript());
    unsigned long port = std::strtoul(peer.Output().c_str() + at, nullptr, 10);
    BOOST_REQUIRE_MESSAGE(port > 0 && port < 65536,
                          "no port after '" << prefix << "'; " << peer.Transcript());
    return static_cast<unsigned>(port);
}

}  // namespace xsock::test
