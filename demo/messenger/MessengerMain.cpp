// xsock-messenger: a terminal chat between peers that form a mesh, with no
// server. Each peer listens and connects; joining through any one peer
// connects a newcomer to all of them. See Mesh.h for the protocol.
//
//   xsock-messenger --name NAME [--listen [ADDR:]PORT] [--connect HOST:PORT [--code CODE] ...]
//                   [--discover] [--downloads DIR] [--max-file MIB] [--offer-timeout SEC]
//                   [--line-mode] [bounds, see the usage]
//   xsock-messenger --name NAME --blocking HOST:PORT
//
// One thread runs everything. xsock's SocketLoop watches the sockets, but it
// cannot watch standard input (AsyncSocket::Attach refuses a descriptor that
// is not a socket), and readline's callback interface wants to be called on
// the main thread whenever a key arrives. So the loop is embedded the way
// SocketLoop documents for GUI toolkits: the epoll backend's NativeHandle()
// is readable whenever the loop has work, and main() poll()s it together with
// standard input, feeding keys to the Console and running loop.RunOnce(0ms).
#include "BlockingClient.h"
#include "Commands.h"
#include "Console.h"
#include "Discovery.h"
#include "Mesh.h"

#include <Pairing.h>

#include <xsock/SocketLoop.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace messenger;

constexpr std::chrono::seconds kGoodbyeTime{2};

volatile std::sig_atomic_t gCaught = 0;  // the last signal ppoll let in

struct Options {
    std::string name;
    std::string listen;
    std::vector<std::string> connect;
    std::string code;
    bool discover = false;
    unsigned discoverPort = Discovery::kDefaultPort;
    std::string discoverGroup = Discovery::kDefaultGroup;
    std::string discoverInterface;
    std::string downloads = "downloads";
    Transfers::Limits files;
    bool lineMode = false;
    std::string blocking;
    Bounds bounds;
};

const char* const kUsage =
    "usage: xsock-messenger --name NAME [--listen [ADDR:]PORT] [--connect HOST:PORT\n"
    "                       [--code CODE] ...]\n"
    "                       [--discover [--discover-port PORT] [--discover-group ADDR]\n"
    "                        [--discover-interface ADDR]] [--downloads DIR] [--max-file MIB]\n"
    "                       [--offer-timeout SEC] [--line-mode]\n"
    "                       [--handshake-timeout SECONDS] [--max-unauthenticated N]\n"
    "                       [--max-per-address N] [--max-queued MIB] [--max-queued-total MIB]\n"
    "       xsock-messenger --name NAME --blocking HOST:PORT\n"
    "\n"
    "  --listen      where to accept peers (default 127.0.0.1, any free port;\n"
    "                0.0.0.0 with --discover); PORT alone means 127.0.0.1:PORT\n"
    "  --listen      also prints a one-time invite code for one newcomer\n"
    "  --connect     join the mesh through this peer (repeatable)\n"
    "  --code        the invite code that peer printed (first contact)\n"
    "  --discover    find peers on this host or LAN by multicast (or broadcast)\n"
    "  --downloads   where received files go (default ./downloads)\n"
    "  --max-file    the largest file /accept takes, in MiB (default 4096)\n"
    "  --offer-timeout  seconds an offer waits for /accept or /reject (default 600)\n"
    "  --line-mode   plain lines even on a terminal (the default on a pipe)\n"
    "  --blocking    a minimal client built on Socket + SocketFile + Archive\n"
    "\n"
    "bounds on what others can make this peer spend (see Mesh.h for all of them):\n"
    "  --handshake-timeout   TLS and hello within this many seconds (default 10)\n"
    "  --max-unauthenticated connections not yet past their hello (default 64)\n"
    "  --max-per-address     of those, from one address (default 8)\n"
    "  --max-queued          MiB waiting for a peer that does not read before it\n"
    "                        is dropped (default 8)\n"
    "  --max-queued-total    MiB waiting for all peers together (default 64)\n";

// A whole number in [1, max], or 0.
std::size_t Count(const char* text, std::size_t max) {
    char* end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(text, &end, 10);
    return errno == 0 && end != text && *end == '\0' && value >= 1 && value <= max
               ? static_cast<std::size_t>(value)
               : 0;
}

std::optional<Options> Parse(int argc, char** argv, int& status) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool hasValue = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            status = 0;
            return std::nullopt;
        } else if (arg == "--name" && hasValue) {
            options.name = argv[++i];
        } else if (arg == "--listen" && hasValue) {
            options.listen = argv[++i];
        } else if (arg == "--connect" && hasValue) {
            options.connect.emplace_back(argv[++i]);
        } else if (arg == "--code" && hasValue) {
            options.code = demo::NormalizeCode(argv[++i]);
            if (options.code.empty()) {
                std::cerr << "xsock-messenger: '" << argv[i] << "' is not an invite code\n";
                status = 2;
                return std::nullopt;
            }
        } else if (arg == "--discover") {
            options.discover = true;
        } else if (arg == "--discover-port" && hasValue) {
            options.discoverPort = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        } else if (arg == "--discover-group" && hasValue) {
            options.discoverGroup = argv[++i];
        } else if (arg == "--discover-interface" && hasValue) {
            options.discoverInterface = argv[++i];
        } else if (arg == "--downloads" && hasValue) {
            options.downloads = argv[++i];
        } else if ((arg == "--max-file" || arg == "--offer-timeout") && hasValue) {
            std::optional<std::uint64_t> value = Number(argv[++i]);
            // At most 2^40 MiB, or a week: the timer's clock must not overflow.
            const std::uint64_t most = arg == "--max-file" ? std::uint64_t{1} << 40 : 604800;
            if (!value || *value == 0 || *value > most) {
                std::cerr << "xsock-messenger: " << arg << " takes a number from 1 to " << most
                          << "\n";
                status = 2;
                return std::nullopt;
            }
            if (arg == "--max-file") {
                options.files.maxFile = *value << 20;
            } else {
                options.files.answerTime = std::chrono::seconds(*value);
            }
        } else if (arg == "--line-mode") {
            options.lineMode = true;
        } else if (arg == "--blocking" && hasValue) {
            options.blocking = argv[++i];
        } else if (arg.starts_with("--max-") || arg == "--handshake-timeout") {
            std::size_t value = hasValue ? Count(argv[++i], 1 << 20) : 0;
            if (value == 0) {
                std::cerr << "xsock-messenger: " << arg << " takes a whole number from 1\n";
                status = 2;
                return std::nullopt;
            }
            Bounds& bounds = options.bounds;
            if (arg == "--handshake-timeout") {
                bounds.handshakeTimeout = std::chrono::seconds(std::min<std::size_t>(value, 3600));
            } else if (arg == "--max-unauthenticated") {
                bounds.maxUnauthenticated = value;
            } else if (arg == "--max-per-address") {
                bounds.maxUnauthenticatedPerAddress = value;
            } else if (arg == "--max-queued") {
                bounds.maxQueued = std::min<std::size_t>(value, 4096) << 20;
            } else if (arg == "--max-queued-total") {
                bounds.maxQueuedTotal = std::min<std::size_t>(value, 65536) << 20;
            } else {
                std::cerr << "xsock-messenger: unknown option '" << arg << "'\n" << kUsage;
                status = 2;
                return std::nullopt;
            }
        } else {
            std::cerr << "xsock-messenger: unknown or incomplete option '" << arg << "'\n"
                      << kUsage;
            status = 2;
            return std::nullopt;
        }
    }
    if (!IsPlainName(options.name)) {
        std::cerr << "xsock-messenger: --name NAME is required (one word of letters, digits "
                     "and -_.@+')\n"
                  << kUsage;
        status = 2;
        return std::nullopt;
    }
    return options;
}

}  // namespace

int main(int argc, char** argv) {
    int status = 0;
    std::optional<Options> options = Parse(argc, argv, status);
    if (!options) {
        return status;
    }
    if (!options->blocking.empty()) {
        return RunBlockingClient(options->blocking, options->name);
    }
    std::optional<xsock::SocketAddress> listen =
        ListenAddress(options->listen, options->discover ? "0.0.0.0" : "127.0.0.1");
    if (!listen) {
        std::cerr << "xsock-messenger: bad --listen address '" << options->listen
                  << "' (use PORT, 127.0.0.1:PORT or [::1]:PORT)\n";
        return 2;
    }

    // SIGINT, SIGTERM and SIGWINCH are taken only inside ppoll, so one
    // arriving at any other moment waits there instead of being missed.
    sigset_t handled, waitMask;
    sigemptyset(&handled);
    for (int signal : {SIGINT, SIGTERM, SIGWINCH}) {
        sigaddset(&handled, signal);
    }
    sigprocmask(SIG_BLOCK, &handled, &waitMask);
    struct sigaction note {};
    note.sa_handler = [](int signal) { gCaught = signal; };
    for (int signal : {SIGINT, SIGTERM, SIGWINCH}) {
        sigdelset(&waitMask, signal);
        sigaction(signal, &note, nullptr);
    }
    signal(SIGPIPE, SIG_IGN);

    xsock::SocketLoop loop({xsock::SocketLoop::Backend::Epoll});
    bool quitting = false;
    bool interactive = !options->lineMode && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    // One key pair per name, so that peers started side by side under one
    // account are different peers.
    std::string why;
    std::optional<demo::Identity> identity = demo::LoadIdentity("messenger-" + options->name, why);
    if (!identity) {
        std::cerr << "xsock-messenger: " << why << "\n";
        return 1;
    }
    Ui ui;
    std::optional<Mesh> built;
    try {
        built.emplace(loop, ui, options->name, options->downloads, *identity, options->bounds,
                      options->files);
    } catch (const std::runtime_error& error) {
        std::cerr << "xsock-messenger: cannot use the key pair in " << identity->folder << ": "
                  << error.what() << "\n";
        return 1;
    }
    Mesh& mesh = *built;
    Console console(
        interactive, options->name + "> ",
        [&](const std::string& line) {
            if (!quitting && !RunCommand(mesh, ui, line, [&](const std::string& name) {
                    console.SetPrompt(name + "> ");
                })) {
                quitting = true;
            }
        },
        [&] { quitting = true; });
    ui.print = [&](const std::string& line) { console.Print(line); };
    ui.status = [&](const std::string& text) { console.Status(text); };
    ui.terminal = interactive;

    if (!mesh.Listen(*listen, why)) {
        std::cerr << "xsock-messenger: cannot listen on " << listen->ToString() << ": " << why
                  << "\n";
        return 1;
    }
    console.Print("* listening on " + mesh.ListenAddress().ToString() + " as " + mesh.Name() +
                  (interactive ? " (/help for commands)" : ""));
    console.Print("* your key: " + demo::ShortFingerprint(mesh.Id()));
    mesh.Files().RemoveStalePartials();
    std::optional<Discovery> discovery;
    if (options->discover) {
        discovery.emplace(
            loop,
            [&] {
                Hello self;
                self.id = mesh.Id();
                self.name = mesh.Name();
                self.listenPort = mesh.ListenPort();
                return self;
            },
            [&](const Hello& hello, const std::string& host) { mesh.OnAnnouncement(hello, host); });
        if (!discovery->Start(options->discoverPort, options->discoverGroup,
                              options->discoverInterface, why)) {
            std::cerr << "xsock-messenger: --discover: " << why << "\n";
            return 1;
        }
        console.Print("* discovering peers by " + discovery->Describe());
    }
    if (!options->listen.empty()) {
        console.Print("* invite code: " + mesh.Invite() + " (one peer, within 10 minutes: " +
                      "--connect " + mesh.ListenAddress().ToString() + " --code CODE)");
    }
    for (const std::string& peer : options->connect) {
        mesh.Connect(peer, options->code);
    }

    std::optional<std::chrono::steady_clock::time_point> goodbyeBy;
    for (;;) {
        if (quitting && !goodbyeBy) {
            mesh.Leave();
            goodbyeBy = std::chrono::steady_clock::now() + kGoodbyeTime;
        }
        if (goodbyeBy && (mesh.Idle() || std::chrono::steady_clock::now() >= *goodbyeBy)) {
            break;
        }
        pollfd fds[] = {{loop.NativeHandle(), POLLIN, 0},
                        {console.AtEnd() ? -1 : STDIN_FILENO, POLLIN, 0}};
        timespec tick{0, 100'000'000};  // only while saying goodbye
        if (::ppoll(fds, 2, goodbyeBy ? &tick : nullptr, &waitMask) < 0) {
            if (errno == EINTR) {
                if (gCaught == SIGWINCH) {
                    console.Resized();
                } else if (gCaught != 0) {
                    quitting = true;  // SIGINT or SIGTERM
                }
                gCaught = 0;
                continue;
            }
            std::cerr << "xsock-messenger: poll: " << std::strerror(errno) << "\n";
            return 1;
        }
        if (fds[1].revents != 0) {
            console.OnReadable();
        }
        loop.RunOnce(std::chrono::milliseconds(0));
    }
    return 0;
}
