// The bulk competitor: `openssl s_client` sends its standard input (the
// bytes, in memory) to `openssl s_server`, whose standard output comes back
// here through a pipe and is thrown away with splice, so reading it costs no
// copy. Both are started with posix_spawn on 127.0.0.1 and a port found free
// by binding port 0 first.
#include "BenchUtil.h"
#include "TlsBench.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tlsbench {
namespace {

[[noreturn]] void Die(const char* what) {
    std::fprintf(stderr, "TlsBench: openssl: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

unsigned FreePort() {
    unsigned port = 0;
    bench::RawListen(port);  // closed again at once
    return port;
}

// Whether something listens on 127.0.0.1:port (/proc/net/tcp, state 0A).
bool Listening(unsigned port) {
    std::ifstream table("/proc/net/tcp");
    char wanted[32];
    std::snprintf(wanted, sizeof wanted, "0100007F:%04X", port);
    std::string line;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        if (local == wanted && state == "0A") {
            return true;
        }
    }
    return false;
}

// A file in memory holding `bytes` bytes, read from its start.
xsock::Descriptor MemoryFile(const char* name, std::uint64_t bytes) {
    xsock::Descriptor fd(::memfd_create(name, MFD_CLOEXEC));
    if (fd.Get() < 0) {
        Die("memfd_create");
    }
    const std::vector<char> block(1 << 20, 'x');
    for (std::uint64_t left = bytes; left > 0;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size()));
        if (::write(fd.Get(), block.data(), n) != static_cast<ssize_t>(n)) {
            Die("write");
        }
        left -= n;
    }
    ::lseek(fd.Get(), 0, SEEK_SET);
    return fd;
}

class Process {
  public:
    // Runs `argv` with standard input, output and error on these descriptors.
    Process(const std::vector<std::string>& argv, int in, int out, int err) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in, 0);
        posix_spawn_file_actions_adddup2(&actions, out, 1);
        posix_spawn_file_actions_adddup2(&actions, err, 2);
        std::vector<char*> args;
        for (const std::string& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        const int error = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (error != 0) {
            pid_ = -1;
            errno = error;
            Die("posix_spawn openssl (is the openssl program installed?)");
        }
    }
    ~Process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            Wait();
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    bool Exited() { return Reap(WNOHANG); }
    void Wait() { Reap(0); }
    // User and system time, once it has exited.
    double CpuSeconds() const { return cpu_; }

  private:
    bool Reap(int options) {
        rusage usage{};
        int status = 0;
        if (pid_ > 0 && ::wait4(pid_, &status, options, &usage) == pid_) {
            pid_ = -1;
            cpu_ = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                   static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
        }
        return pid_ < 0;
    }

    pid_t pid_ = -1;
    double cpu_ = 0;
};

// The value after `key` on a line of `text` ("Ciphersuite: TLS_AES_...").
std::string Field(const std::string& text, const std::string& key) {
    const std::size_t at = text.find(key);
    if (at == std::string::npos) {
        return "?";
    }
    const std::size_t start = at + key.size();
    return text.substr(start, text.find('\n', start) - start);
}

std::string ReadAll(int fd) {
    ::lseek(fd, 0, SEEK_SET);
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

}  // namespace

Result OpenSslBulk(const BenchPki& pki, std::uint64_t bytes) {
    xsock::Descriptor input = MemoryFile("tlsbench-input", bytes);
    xsock::Descriptor report = MemoryFile("tlsbench-report", 0);
    xsock::Descriptor devNull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    int pipeFds[2];
    if (devNull.Get() < 0 || ::pipe2(pipeFds, O_CLOEXEC) != 0) {
        Die("pipe");
    }
    xsock::Descriptor fromServer(pipeFds[0]);
    xsock::Descriptor serverOut(pipeFds[1]);
    ::fcntl(fromServer.Get(), F_SETPIPE_SZ, 1 << 20);
    // s_server ends the connection when its standard input ends, even with
    // -quiet: it gets a pipe that stays open and empty.
    if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
        Die("pipe");
    }
    xsock::Descriptor serverIn(pipeFds[0]);
    xsock::Descriptor keepOpen(pipeFds[1]);

    // Another program may take the port between the probe and s_server's
    // bind: then s_server exits and another port is tried.
    std::unique_ptr<Process> server;
    std::string port;
    for (int attempt = 0; attempt < 5 && !server; ++attempt) {
        const unsigned number = FreePort();
        port = std::to_string(number);
        server = std::make_unique<Process>(
            std::vector<std::string>{"openssl", "s_server", "-accept", "127.0.0.1:" + port,
                                     "-naccept", "1", "-quiet", "-cert", pki.Certificate(), "-key",
                                     pki.Key()},
            serverIn.Get(), serverOut.Get(), devNull.Get());
        const double deadline = bench::WallSeconds() + 10;
        while (!Listening(number)) {
            if (server->Exited() || bench::WallSeconds() > deadline) {
                server.reset();
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    if (!server) {
        errno = EADDRINUSE;
        Die("s_server did not start");
    }
    serverOut.Reset();
    Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername",
                    "localhost", "-verify_hostname", "localhost", "-CAfile", pki.Ca(),
                    "-verify_return_error", "-brief", "-no_ign_eof", "-nocommands"},
                   input.Get(), devNull.Get(), report.Get());

    std::uint64_t received = 0;
    std::uint64_t first = 0;
    double start = 0;
    double end = 0;
    for (;;) {
        const ssize_t n =
            ::splice(fromServer.Get(), nullptr, devNull.Get(), nullptr, 1 << 20, SPLICE_F_MOVE);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            Die("splice");
        }
        if (n == 0) {
            break;
        }
        if (first == 0) {
            first = static_cast<std::uint64_t>(n);
            start = bench::WallSeconds();
        }
        received += static_cast<std::uint64_t>(n);
        if (received >= bytes && end == 0) {
            end = bench::WallSeconds();
        }
    }
    client.Wait();
    server->Wait();
    if (received != bytes) {
        std::fprintf(stderr, "TlsBench: openssl: s_server wrote %llu bytes of %llu\n",
                     static_cast<unsigned long long>(received),
                     static_cast<unsigned long long>(bytes));
        std::exit(1);
    }
    const std::string text = ReadAll(report.Get());
    const double rate = end > start ? static_cast<double>(bytes - first) / (end - start) : 0;
    const double cpu = client.CpuSeconds() + server->CpuSeconds();
    return {rate, cpu / static_cast<double>(bytes),
            Field(text, "Protocol version: ") + " " + Field(text, "Ciphersuite: ")};
}

}  // namespace tlsbench
