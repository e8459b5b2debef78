// The per-thread error slot behind AsyncSocket::GetLastError, as Winsock keeps
// WSAGetLastError per thread.
#pragma once

#include <system_error>

namespace xsock::detail {

void SetLastError(int posixError) noexcept;
void SetLastError(std::error_code code) noexcept;
std::error_code LastError() noexcept;

// getaddrinfo's EAI_* codes, so a failed lookup keeps its own message.
const std::error_category& ResolverCategory() noexcept;
std::error_code MakeResolverError(int eaiCode) noexcept;

// The errno a resolver failure is reported as through GetLastError().
int ResolverErrno(int eaiCode) noexcept;

}  // namespace xsock::detail
