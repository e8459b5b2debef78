// Child processes for the demo tests: piped standard input and output, read
// line by line with a deadline and matched against POSIX regular expressions,
// and killed at the end even when a check fails; plus a temporary folder.
// Nothing here sleeps: every wait is for a line or an exit, bounded by
// kDeadline.
#pragma once

#include <xsock/Descriptor.h>

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace messenger::test {

// Generous for a loaded CI machine under sanitizers; a passing test never waits it out.
inline constexpr std::chrono::seconds kDeadline{30};

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "xsock-messenger-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& Path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
};

// A POSIX extended regular expression (std::regex trips GCC 12's
// maybe-uninitialized warning in sanitizer builds).
class Pattern {
  public:
    explicit Pattern(const std::string& pattern) {
        if (::regcomp(&regex_, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
            throw std::invalid_argument("bad pattern: " + pattern);
        }
    }
    ~Pattern() { ::regfree(&regex_); }
    Pattern(const Pattern&) = delete;
    Pattern& operator=(const Pattern&) = delete;

    bool Matches(const std::string& line) const {
        return ::regexec(&regex_, line.c_str(), 0, nullptr, 0) == 0;
    }

  private:
    regex_t regex_;
};

// `text` as a pattern that matches it literally.
inline std::string Escape(const std::string& text) {
    std::string escaped;
    for (char c : text) {
        if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) {
            escaped += '\\';
        }
        escaped += c;
    }
    return escaped;
}

// A process whose stdin we write and whose stdout and stderr we read.
class Child {
  public:
    explicit Child(std::vector<std::string> args) {
        // A child that died must fail a check, not kill the test with SIGPIPE.
        ::signal(SIGPIPE, SIG_IGN);
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2: " + std::string(std::strerror(errno)));
        }
        xsock::Descriptor inRead(in[0]), outWrite(out[1]);
        stdin_ = xsock::Descriptor(in[1]);
        stdout_ = xsock::Descriptor(out[0]);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, inRead.Get(), STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, outWrite.Get(), STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, outWrite.Get(), STDERR_FILENO);
        std::vector<char*> argv;
        for (std::string& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        int error = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (error != 0) {
            throw std::runtime_error("posix_spawn " + args[0] + ": " + std::strerror(error));
        }
        // Named in failures by its --name, if it has one (a messenger).
        auto named = std::find(args.begin(), args.end(), "--name");
        name_ = named != args.end() && named + 1 != args.end() ? *(named + 1) : args[0];
    }

    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            Reap();
        }
    }

    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    void Send(const std::string& line) {
        std::string data = line + "\n";
        BOOST_TEST_REQUIRE(::write(stdin_.Get(), data.data(), data.size()) ==
                           static_cast<ssize_t>(data.size()));
    }
    void CloseInput() { stdin_.Reset(); }
    bool Running() const noexcept { return pid_ > 0; }
    pid_t Pid() const noexcept { return pid_; }

    // Sends a last line and waits for the exit; never throws (for destructors).
    int Finish(const std::string& line) noexcept {
        std::string data = line + "\n";
        [[maybe_unused]] ssize_t ignored = ::write(stdin_.Get(), data.data(), data.size());
        try {
            return WaitExit();
        } catch (...) {
            return -1;
        }
    }

    // The first line from `from` on that matches; fails the test at the deadline.
    std::string WaitFor(const std::string& pattern, std::size_t from = 0) {
        Pattern wanted(pattern);
        auto deadline = std::chrono::steady_clock::now() + kDeadline;
        for (std::size_t i = from;; ++i) {
            while (i >= lines_.size()) {
                if (!Read(deadline)) {
                    BOOST_FAIL(name_ + ": no line matching '" + pattern + "' in time; output:\n" +
                               Transcript());
                }
            }
            if (wanted.Matches(lines_[i])) {
                return lines_[i];
            }
        }
    }

    // Takes in the output that has arrived, without waiting for more (for a
    // test that runs an event loop meanwhile); whether a line from `from` on
    // matches.
    bool Seen(const std::string& pattern, std::size_t from = 0) {
        for (pollfd fd{stdout_.Get(), POLLIN, 0}; fd.fd >= 0 && ::poll(&fd, 1, 0) > 0;
             fd.fd = stdout_.Get()) {
            Read(std::chrono::steady_clock::now() + kDeadline);
        }
        Pattern wanted(pattern);
        for (std::size_t i = from; i < lines_.size(); ++i) {
            if (wanted.Matches(lines_[i])) {
                return true;
            }
        }
        return false;
    }

    // How many lines read so far match.
    std::size_t Count(const std::string& pattern) const {
        Pattern wanted(pattern);
        std::size_t count = 0;
        for (const std::string& line : lines_) {
            count += wanted.Matches(line) ? 1 : 0;
        }
        return count;
    }

    std::size_t LineCount() const noexcept { return lines_.size(); }

    void Kill(int signal) { ::kill(pid_, signal); }

    // Waits for the process to end; returns its wait status.
    int WaitExit() {
        auto deadline = std::chrono::steady_clock::now() + kDeadline;
        while (Read(deadline)) {
        }
        return Reap();
    }

    // The output read so far, as it came.
    std::string Text() const {
        std::string text;
        for (const std::string& line : lines_) {
            text += line + "\n";
        }
        return text + partial_;
    }

    std::string Transcript() const {
        std::string text;
        for (const std::string& line : lines_) {
            text += "  " + line + "\n";
        }
        return text + (partial_.empty() ? "" : "  " + partial_ + " (no newline)\n");
    }

  private:
    // Reads what arrives until at least one more line; false at the end of
    // the output or the deadline.
    bool Read(std::chrono::steady_clock::time_point deadline) {
        std::size_t before = lines_.size();
        while (lines_.size() == before) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || stdout_.Get() < 0) {
                return false;
            }
            pollfd fd{stdout_.Get(), POLLIN, 0};
            int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) {
                continue;
            }
            if (ready <= 0) {
                return false;
            }
            char buffer[4096];
            ssize_t n = ::read(stdout_.Get(), buffer, sizeof buffer);
            if (n <= 0) {
                stdout_.Reset();
                return false;
            }
            partial_.append(buffer, static_cast<std::size_t>(n));
            for (std::size_t end; (end = partial_.find('\n')) != std::string::npos;) {
                lines_.push_back(partial_.substr(0, end));
                partial_.erase(0, end + 1);
            }
        }
        return true;
    }

    int Reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = 0;
        return status;
    }

    pid_t pid_ = 0;
    std::string name_;
    xsock::Descriptor stdin_, stdout_;
    std::string partial_;
    std::vector<std::string> lines_;
};

// Runs a command to its end; returns its exit status, with its output in *output.
inline int Run(std::vector<std::string> args, std::string* output = nullptr) {
    Child child(std::move(args));
    child.CloseInput();
    int status = child.WaitExit();
    if (output != nullptr) {
        *output = child.Transcript();
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace messenger::test
