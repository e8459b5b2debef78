// The typed lines of Commands.h, parsed into calls on the Mesh.
#include "Commands.h"

#include <Pairing.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sstream>

namespace messenger {

const char* const kHelp =
    "commands: /connect HOST:PORT [CODE]  /invite  /trust NAME  /peers  /whois NAME\n"
    "          /nick NAME  /send PEER PATH  /accept N  /reject N  /help  /quit\n"
    "anything else is sent to every peer";

std::optional<std::uint64_t> Number(const std::string& text) {
    if (text.empty() || text.size() > 15 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    return std::stoull(text);
}

bool RunCommand(Mesh& mesh, Ui& ui, const std::string& line,
                const std::function<void(const std::string&)>& renamed) {
    if (line.empty()) {
        return true;
    }
    if (line[0] != '/') {
        mesh.Say(line);
        return true;
    }
    std::istringstream words(line);
    std::string command, first, rest;
    words >> command >> first;
    std::getline(words >> std::ws, rest);
    if (command == "/quit") {
        return false;
    } else if (command == "/connect" && !first.empty()) {
        std::string code = demo::NormalizeCode(rest);
        if (!rest.empty() && code.empty()) {
            ui.print("* '" + rest + "' is not an invite code");
        } else {
            mesh.Connect(first, code);
        }
    } else if (command == "/invite") {
        ui.print("* invite code: " + mesh.Invite() + " (one peer, within 10 minutes)");
    } else if (command == "/trust" && !first.empty()) {
        mesh.Trust(first);
    } else if (command == "/peers") {
        mesh.ListPeers();
    } else if (command == "/whois" && !first.empty()) {
        mesh.WhoIs(first);
    } else if (command == "/nick" && IsPlainName(first)) {
        mesh.Rename(first);
        if (renamed) {
            renamed(first);
        }
    } else if (command == "/send" && !first.empty() && !rest.empty()) {
        mesh.SendFile(first, rest);
    } else if ((command == "/accept" || command == "/reject") && Number(first) && rest.empty()) {
        int number = static_cast<int>(std::min<std::uint64_t>(*Number(first), INT_MAX));
        if (command == "/accept") {
            mesh.Files().Accept(number);
        } else {
            mesh.Files().Reject(number);
        }
    } else if (command == "/help") {
        ui.print(kHelp);
    } else {
        ui.print("* unknown or incomplete command: " + line + " (try /help)");
    }
    return true;
}

std::optional<xsock::SocketAddress> ListenAddress(const std::string& listen,
                                                  const std::string& host) {
    std::string text = listen.empty() ? "0" : listen;
    std::error_code error;
    if (text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 5) {
        auto address = xsock::SocketAddress::FromHostAndPort(
            host, static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 10)), error);
        return error || address.Port() > 65535 ? std::nullopt : std::optional(address);
    }
    auto address = xsock::SocketAddress::Parse(text, error);
    return error ? std::nullopt : std::optional(address);
}

}  // namespace messenger
