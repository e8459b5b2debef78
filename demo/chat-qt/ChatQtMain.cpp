// xsock-chat-qt: the messenger as a Qt window. The same mesh, keys, invites
// and commands as the terminal program (xsock-messenger, whose peers it talks
// to); the loop runs inside QApplication::exec() through xsock::AttachToQt.
//
//   xsock-chat-qt --name NAME [--listen [ADDR:]PORT] [--connect HOST:PORT [--code CODE] ...]
//                 [--downloads DIR]
#include <Commands.h>
#include "ChatWindow.h"

#include <Pairing.h>

#include <xsock/Qt.h>
#include <xsock/SocketLoop.h>

#include <QApplication>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace {

const char* const kUsage =
    "usage: xsock-chat-qt --name NAME [--listen [ADDR:]PORT] [--connect HOST:PORT\n"
    "                     [--code CODE] ...] [--downloads DIR]\n"
    "  --listen      where to accept peers (default 127.0.0.1, any free port);\n"
    "                PORT alone means 127.0.0.1:PORT; also shows an invite code\n"
    "  --connect     join the mesh through this peer (repeatable)\n"
    "  --code        the invite code that peer printed (first contact)\n"
    "  --downloads   where received files go (default ./downloads)\n";

struct Options {
    std::string name;
    std::string listen;
    std::vector<std::string> connect;
    std::string code;
    std::string downloads = "downloads";
};

// The options, or the exit status in `status`.
std::optional<Options> Parse(int argc, char** argv, int& status) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool hasValue = i + 1 < argc;
        std::string value = hasValue ? argv[i + 1] : "";
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            status = 0;
            return std::nullopt;
        } else if (arg == "--name" && hasValue) {
            options.name = value;
        } else if (arg == "--listen" && hasValue) {
            options.listen = value;
        } else if (arg == "--connect" && hasValue) {
            options.connect.push_back(value);
        } else if (arg == "--code" && hasValue) {
            options.code = demo::NormalizeCode(value);
            if (options.code.empty()) {
                std::cerr << "xsock-chat-qt: '" << value << "' is not an invite code\n";
                status = 2;
                return std::nullopt;
            }
        } else if (arg == "--downloads" && hasValue) {
            options.downloads = value;
        } else {
            std::cerr << "xsock-chat-qt: unknown or incomplete option '" << arg << "'\n" << kUsage;
            status = 2;
            return std::nullopt;
        }
        ++i;
    }
    if (!messenger::IsPlainName(options.name)) {
        std::cerr << "xsock-chat-qt: --name NAME is required (one word of letters, digits "
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
    // Before Qt, so that --help and mistakes need no display.
    std::optional<Options> options = Parse(argc, argv, status);
    if (!options) {
        return status;
    }
    std::optional<xsock::SocketAddress> listen =
        messenger::ListenAddress(options->listen, "127.0.0.1");
    if (!listen) {
        std::cerr << "xsock-chat-qt: bad --listen address '" << options->listen << "'\n";
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    QApplication app(argc, argv);

    xsock::SocketLoop loop({xsock::SocketLoop::Backend::Epoll});
    xsock::QtAttachment attachment = xsock::AttachToQt(loop);
    std::string why;
    // The terminal program's profile for the same name: the same key and peers.
    std::optional<demo::Identity> identity = demo::LoadIdentity("messenger-" + options->name, why);
    if (!identity) {
        std::cerr << "xsock-chat-qt: " << why << "\n";
        return 1;
    }
    std::optional<chatqt::ChatWindow> window;
    try {
        window.emplace(loop, options->name, options->downloads, *identity);
    } catch (const std::runtime_error& error) {
        std::cerr << "xsock-chat-qt: cannot use the key pair in " << identity->folder << ": "
                  << error.what() << "\n";
        return 1;
    }
    messenger::Mesh& mesh = window->Mesh();
    if (!mesh.Listen(*listen, why)) {
        std::cerr << "xsock-chat-qt: cannot listen on " << listen->ToString() << ": " << why
                  << "\n";
        return 1;
    }
    window->Print("* listening on " + mesh.ListenAddress().ToString() + " as " + mesh.Name() +
                  " (/help for commands)");
    window->Print("* your key: " + demo::ShortFingerprint(mesh.Id()));
    mesh.Files().RemoveStalePartials();
    if (!options->listen.empty()) {
        window->ShowInvite();
    }
    for (const std::string& peer : options->connect) {
        mesh.Connect(peer, options->code);
    }
    window->show();
    status = QApplication::exec();
    // Closing the window said goodbye; give it a moment to be sent.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!mesh.Idle() && std::chrono::steady_clock::now() < until) {
        loop.RunOnce(std::chrono::milliseconds(100));
    }
    return status;
}
