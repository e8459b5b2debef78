// The echo demo's blocking client: xsock::Socket used the way CSocket code is,
// top to bottom. It sends standard input in pieces, reads each piece's echo
// back before sending the next, and writes the echoes to standard output.
#pragma once

#include <chrono>
#include <string>

namespace echo {

// `address`: "127.0.0.1:7007", "[::1]:7007", "localhost:7007", "unix:/path" or
// "unix:@name". A zero timeout waits as long as it takes. Returns the exit
// status: 0 when everything came back, 1 on a network error, 2 for a bad address.
int RunBlockingClient(const std::string& address, std::chrono::milliseconds timeout);

}  // namespace echo
