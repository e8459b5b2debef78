// The far ends of a benchmark's connections, in a child process so
// that their memory is not counted: connects `count` times to a port it is
// told through a pipe, then on command sends one byte on every connection
// (to prove they are all alive), then closes them all and exits.
#pragma once

#include "BenchUtil.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <vector>

namespace bench {

class Peer {
  public:
    // Forks the peer; it waits for Start(port).
    explicit Peer(std::size_t count) {
        int toPeer[2];
        if (::pipe2(toPeer, O_CLOEXEC) != 0) {
            Fail("pipe");
        }
        xsock::Descriptor readEnd(toPeer[0]);
        command_.Reset(toPeer[1]);
        pid_ = ::fork();
        if (pid_ < 0) {
            Fail("fork");
        }
        if (pid_ == 0) {
            command_.Reset();
            ::_exit(Run(readEnd.Get(), count));
        }
    }
    ~Peer() {
        Command('q');
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    void Start(unsigned port) {
        const std::uint32_t value = port;
        if (::write(command_.Get(), &value, sizeof value) != sizeof value) {
            Fail("write to peer");
        }
    }
    void SendOneByteEach() { Command('s'); }

  private:
    void Command(char c) {
        if (command_.Get() >= 0 && ::write(command_.Get(), &c, 1) != 1) {
            command_.Reset();
        }
    }

    static int Run(int command, std::size_t count) {
        std::uint32_t port = 0;
        if (::read(command, &port, sizeof port) != sizeof port) {
            return 1;
        }
        std::vector<xsock::Descriptor> connections;
        connections.reserve(count);
        linger reset{1, 0};  // no TIME_WAIT left behind by thousands of closes
        unsigned sourcePort = 10000;
        for (std::size_t i = 0; i < count; ++i) {
            connections.push_back(RawConnectFrom(port, sourcePort));
            ::setsockopt(connections.back().Get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        }
        char c = 0;
        while (::read(command, &c, 1) == 1 && c == 's') {
            for (xsock::Descriptor& fd : connections) {
                ::send(fd.Get(), "x", 1, MSG_NOSIGNAL);
            }
        }
        return 0;
    }

    pid_t pid_ = -1;
    xsock::Descriptor command_;
};

}  // namespace bench
