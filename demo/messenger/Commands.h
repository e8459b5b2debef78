// The messenger's slash commands, shared by its front ends (the terminal
// program and the Qt window): a typed line is either a chat line for every
// peer or one of /connect, /invite, /trust, /peers, /whois, /nick, /send,
// /accept, /reject, /help and /quit, run on a Mesh with its answers printed
// through the Ui. Thread safety: the loop thread's only, as the Mesh.
#pragma once

#include "Mesh.h"
#include "Ui.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace messenger {

extern const char* const kHelp;

// A decimal number with nothing around it (at most 15 digits).
std::optional<std::uint64_t> Number(const std::string& text);

// A --listen value: a port alone (on `host`), ADDR:PORT or [ADDR]:PORT, or
// "" for any free port on `host`; nothing if it is none of those.
std::optional<xsock::SocketAddress> ListenAddress(const std::string& listen,
                                                  const std::string& host);

// Runs one typed line; false for /quit. `renamed` (may be empty) is told the
// new name after /nick, for a front end that shows it.
bool RunCommand(Mesh& mesh, Ui& ui, const std::string& line,
                const std::function<void(const std::string&)>& renamed = {});

}  // namespace messenger
