// xsock-transfer: sends files and whole folders to a server that checks each
// one's SHA-256 on arrival and resumes interrupted transfers.
//
//   xsock-transfer serve --dir DIR [--listen [ADDR:]PORT] [--timeout SEC]
//                        [--handshake-timeout SEC]
//   xsock-transfer serve --pair | --list | --revoke FINGERPRINT
//   xsock-transfer send PATH... --to HOST:PORT [--code CODE] [--as NAME]
//                       [--limit-rate RATE] [--timeout SEC]
//
// TransferProtocol.h describes the messages, TransferServer.h and
// TransferSender.h the two sides.
#include "TransferSender.h"
#include "TransferServer.h"

#include <Identity.h>
#include <Pairing.h>

#include <xsock/SocketLoop.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

namespace {

constexpr unsigned kDefaultPort = 7070;

const char kServeHelp[] =
    "usage: xsock-transfer serve --dir DIR [--listen [ADDR:]PORT] [--timeout SEC] [LIMITS]\n"
    "                            [--handshake-timeout SEC]\n"
    "       xsock-transfer serve --pair | --list | --revoke FINGERPRINT\n"
    "\n"
    "Receives files and folders into DIR, which must exist, from senders paired\n"
    "with this server. Prints the address it listens on, its key and a one-time\n"
    "pairing code, then one line per received, refused or interrupted entry.\n"
    "A sender pairs once with 'send --code CODE'; the code works for one sender,\n"
    "within 10 minutes. Everything travels over TLS.\n"
    "\n"
    "  --dir DIR          where received files go\n"
    "  --listen ADDRESS   PORT (on 127.0.0.1), 0.0.0.0:PORT, [::1]:PORT, [::]:PORT;\n"
    "                     port 0 picks a free one (default 127.0.0.1:7070)\n"
    "  --timeout SEC      drop a sender when one message (a 1 MiB chunk at most)\n"
    "                     takes longer than this to arrive (default 300, 0: never)\n"
    "  --handshake-timeout SEC\n"
    "                     drop a connection that has not proved a paired key this\n"
    "                     long after it came (default 10)\n"
    "  --quota MIB        each paired sender may store at most MIB MiB in all\n"
    "                     (counted across runs; default 0: no quota)\n"
    "  --pair             print a new pairing code for the running server and exit\n"
    "  --list             list the paired senders\n"
    "  --revoke FINGERPRINT\n"
    "                     unpair the senders whose key starts with FINGERPRINT\n"
    "\n"
    "Keys and lists live in $XDG_CONFIG_HOME/xsock/transfer (~/.config/...).\n"
    "\n"
    "A file is written as DIR/.xsock-parts/HASH.xsock-part and renamed to its name\n"
    "only once its SHA-256 matches the sender's; sending it again after an\n"
    "interruption resumes from what arrived. Absolute paths, '..', empty components\n"
    "and symbolic links inside DIR are refused. Modes pass through the umask.\n";

const char kSendHelp[] =
    "usage: xsock-transfer send PATH... --to HOST:PORT [--code CODE] [--as NAME]\n"
    "                           [--limit-rate RATE] [--timeout SEC]\n"
    "\n"
    "Sends each file or folder (with everything in it) to a server started with\n"
    "'xsock-transfer serve', over TLS. The first time, give the code the server\n"
    "printed: it pairs the two, and later sends need no code. A server whose key\n"
    "changed since is refused. A file arrives as its own name, a folder as its name\n"
    "with the same tree below it; symbolic links inside folders are skipped.\n"
    "Prints one line per entry; shows a progress bar while stderr is a terminal.\n"
    "Exit status: 0 when everything arrived, 1 if anything was refused or failed.\n"
    "\n"
    "  --to HOST:PORT     the server: 127.0.0.1:7070, [::1]:7070, localhost:7070\n"
    "  --code CODE        the server's pairing code, to pair on first contact; with\n"
    "                     no PATH, pair and send nothing\n"
    "  --as NAME          store the one PATH under NAME ('a/b.txt') instead; the\n"
    "                     server checks NAME, which is also how its checks are tested\n"
    "  --limit-rate RATE  at most RATE bytes per second (suffix k, M or G), for\n"
    "                     sharing a link or for interrupting a transfer in a test\n"
    "  --timeout SEC      give up when one network call waits this long (default 300,\n"
    "                     0: never)\n";

const char kUsage[] =
    "usage: xsock-transfer serve --dir DIR [--listen [ADDR:]PORT]\n"
    "       xsock-transfer send PATH... --to HOST:PORT [--code CODE]\n"
    "'xsock-transfer serve --help' and 'xsock-transfer send --help' say more.\n";

std::optional<xsock::SocketAddress> ParseListen(const std::string& text) {
    std::error_code error;
    if (!text.empty() && text.size() <= 5 &&
        text.find_first_not_of("0123456789") == std::string::npos) {
        auto address = xsock::SocketAddress::FromHostAndPort(
            "127.0.0.1", static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 10)), error);
        return error ? std::nullopt : std::optional(address);
    }
    auto address = xsock::SocketAddress::Parse(text, error);
    return error ? std::nullopt : std::optional(address);
}

std::optional<long> ParseSeconds(const char* text) {
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    return end != text && *end == '\0' && value >= 0 ? std::optional(value) : std::nullopt;
}

std::optional<std::uint64_t> ParseRate(const std::string& text) {
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    std::string suffix = end;
    double scale = suffix.empty()                   ? 1
                   : suffix == "k" || suffix == "K" ? 1e3
                   : suffix == "M"                  ? 1e6
                   : suffix == "G"                  ? 1e9
                                                    : -1;
    if (end == text.c_str() || scale < 0 || value <= 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(value * scale);
}

int Bad(const std::string& message, const char* help) {
    std::cerr << "xsock-transfer: " << message << "\n" << help;
    return 2;
}

// The profile every xsock-transfer command uses.
constexpr const char* kProfile = "transfer";
constexpr std::chrono::minutes kCodeLifetime{10};

std::optional<demo::Identity> Identity() {
    std::string problem;
    std::optional<demo::Identity> identity = demo::LoadIdentity(kProfile, problem);
    if (!identity) {
        std::cerr << "xsock-transfer: " << problem << "\n";
    }
    return identity;
}

// Opens a fresh pairing code and prints it; false if it cannot.
bool PrintNewCode(const demo::Identity& identity) {
    std::string code = demo::OpenCode(identity.folder + "/pairing-code").Open(kCodeLifetime);
    if (code.empty()) {
        std::cerr << "xsock-transfer: cannot write a pairing code in " << identity.folder << "\n";
        return false;
    }
    std::cout << "pairing code: " << code << " (for one sender, within " << kCodeLifetime.count()
              << " minutes: send ... --code " << code << ")" << std::endl;
    return true;
}

int ServeCommand(const std::string& command, const std::string& argument) {
    std::optional<demo::Identity> identity = Identity();
    if (!identity) {
        return 1;
    }
    demo::KnownPeers authorized(identity->folder + "/authorized.list");
    if (command == "--pair") {
        return PrintNewCode(*identity) ? 0 : 1;
    }
    if (command == "--list") {
        for (const demo::KnownPeers::Peer& peer : authorized.Load()) {
            std::cout << peer.fingerprint << " " << peer.label << "\n";
        }
        return 0;
    }
    int removed = authorized.Remove(argument);
    std::cout << "revoked " << removed << " sender" << (removed == 1 ? "" : "s") << std::endl;
    return removed > 0 ? 0 : 1;
}

int Serve(int argc, char** argv) {
    std::optional<std::string> dir;
    xsock::SocketAddress where = xsock::SocketAddress::Loopback(AF_INET, kDefaultPort);
    long timeout = 300;
    long handshakeTimeout = 10;
    std::uint64_t quota = 0;
    transfer::ServeLimits limits;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kServeHelp << "\nLimits on what a sender can do to the disk:\n"
                      << transfer::kServeLimitsHelp;
            return 0;
        }
        if (arg == "--pair" || arg == "--list") {
            return ServeCommand(arg, {});
        }
        if (i + 1 >= argc) {
            return Bad("unknown option or missing value: " + arg, kServeHelp);
        }
        if (arg == "--revoke") {
            std::string prefix = argv[++i];
            if (prefix.size() < 8) {
                return Bad("--revoke needs at least 8 digits of a fingerprint", kServeHelp);
            }
            return ServeCommand(arg, prefix);
        }
        std::string error;
        if (transfer::ParseServeLimit(arg, argv[i + 1], limits, error)) {
            ++i;
            if (!error.empty()) {
                return Bad(error, kServeHelp);
            }
        } else if (arg == "--quota") {
            auto mib = ParseSeconds(argv[++i]);  // a whole number, 0 for none
            if (!mib) {
                return Bad(std::string("bad quota '") + argv[i] + "'", kServeHelp);
            }
            quota = static_cast<std::uint64_t>(*mib) << 20;
        } else if (arg == "--dir") {
            dir = argv[++i];
        } else if (arg == "--listen") {
            auto parsed = ParseListen(argv[++i]);
            if (!parsed) {
                return Bad(std::string("bad address '") + argv[i] + "'", kServeHelp);
            }
            where = *parsed;
        } else if (arg == "--timeout" || arg == "--handshake-timeout") {
            auto seconds = ParseSeconds(argv[++i]);
            if (!seconds || (arg == "--handshake-timeout" && *seconds == 0)) {
                return Bad(std::string("bad timeout '") + argv[i] + "'", kServeHelp);
            }
            (arg == "--timeout" ? timeout : handshakeTimeout) = *seconds;
        } else {
            return Bad("unknown option " + arg, kServeHelp);
        }
    }
    if (!dir) {
        return Bad("serve needs --dir DIR", kServeHelp);
    }
    std::optional<demo::Identity> identity = Identity();
    if (!identity) {
        return 1;
    }
    // A file-size limit makes write() fail with EFBIG, reported to the sender,
    // instead of killing the server.
    std::signal(SIGXFSZ, SIG_IGN);
    xsock::SocketLoop loop;
    transfer::ServerOptions options;
    options.folder = *dir;
    options.idleTimeout = std::chrono::seconds(timeout);
    options.handshakeTimeout = std::chrono::seconds(handshakeTimeout);
    options.identity = *identity;
    options.authorizedFile = identity->folder + "/authorized.list";
    options.codeFile = identity->folder + "/pairing-code";
    options.quotaBytes = quota;
    options.usageFile = identity->folder + "/usage.list";
    transfer::TransferServer server(
        options, [](const std::string& line) { std::cout << line << std::endl; });
    server.SetLimits(limits);
    std::string error;
    if (!server.Start(where, error)) {
        std::cerr << "xsock-transfer: " << error << "\n";
        return 1;
    }
    std::cout << "xsock-transfer serving " << *dir << " on " << server.LocalAddress().ToString()
              << std::endl;
    std::cout << "server key: " << demo::ShortFingerprint(identity->fingerprint) << std::endl;
    if (!PrintNewCode(*identity)) {
        return 1;
    }
    return server.Run();
}

int Send(int argc, char** argv) {
    transfer::SendOptions options;
    options.timeout = std::chrono::seconds(300);
    bool haveTo = false;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kSendHelp;
            return 0;
        }
        if (arg.rfind("--", 0) != 0) {
            options.paths.push_back(arg);
            continue;
        }
        if (i + 1 >= argc) {
            return Bad("unknown option or missing value: " + arg, kSendHelp);
        }
        if (arg == "--to") {
            options.to = argv[++i];
            haveTo = true;
        } else if (arg == "--code") {
            options.code = argv[++i];
        } else if (arg == "--as") {
            options.as = argv[++i];
        } else if (arg == "--limit-rate") {
            auto rate = ParseRate(argv[++i]);
            if (!rate) {
                return Bad(std::string("bad rate '") + argv[i] + "'", kSendHelp);
            }
            options.limitRate = *rate;
        } else if (arg == "--timeout") {
            auto seconds = ParseSeconds(argv[++i]);
            if (!seconds) {
                return Bad(std::string("bad timeout '") + argv[i] + "'", kSendHelp);
            }
            options.timeout = std::chrono::seconds(*seconds);
        } else {
            return Bad("unknown option " + arg, kSendHelp);
        }
    }
    if (!haveTo) {
        return Bad("send needs --to HOST:PORT", kSendHelp);
    }
    if (options.paths.empty() && !options.code) {
        return Bad("send needs at least one PATH (or --code alone, to pair)", kSendHelp);
    }
    if (options.as && options.paths.size() != 1) {
        return Bad("--as names a single PATH", kSendHelp);
    }
    xsock::SocketLoop loop;
    return transfer::RunSender(options);
}

}  // namespace

int main(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "";
    if (command == "serve") {
        return Serve(argc, argv);
    }
    if (command == "send") {
        return Send(argc, argv);
    }
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << kUsage;
        return 0;
    }
    std::cerr << kUsage;
    return 2;
}
