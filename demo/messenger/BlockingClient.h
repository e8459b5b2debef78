// The --blocking client: MFC's CSocket + CSocketFile + CArchive style, kept
// short to read as an example. It joins the mesh through one peer (which
// forwards its chats to everyone and everyone's to it), sends each line of
// standard input as a chat and prints the chats that arrive, each checked
// against its author's signature as a mesh peer checks it (the peer only
// relays them; one that relays more than three forgeries is left, and a
// line replayed, at or below its author's last sequence number, is not shown
// again). It takes
// no files: an offer is refused at once, so its sender is not left waiting.
#pragma once

#include <string>

namespace messenger {

// Returns the process exit status.
int RunBlockingClient(const std::string& address, const std::string& name);

}  // namespace messenger
