// Path safety for the receiving side: a sender names files by paths relative
// to the server's folder, and nothing it sends may reach outside that folder.
//
// CheckRelativePath refuses, before touching the disk, absolute paths, empty
// paths and empty components ("a//b", "a/"), "." and ".." components, NUL
// bytes, names longer than NAME_MAX (255 bytes), names that end like a part
// file, and the part files' folder (kPartsFolder). OpenParent then walks the
// folders one component at a time from a descriptor of the root with
// openat(O_DIRECTORY | O_NOFOLLOW), creating missing ones, so a symbolic link
// planted anywhere on the way (by a sender or by anyone with access to the
// folder) fails the walk instead of being followed. Nothing here resolves a
// path string against the root again after checking it.
//
// Errors: every function returns a reason a person can read, empty on success.
#pragma once

#include <xsock/Descriptor.h>

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace transfer {

// Empty if `path` is acceptable, otherwise why not.
std::string CheckRelativePath(std::string_view path);

// The components of a path that CheckRelativePath accepted.
std::vector<std::string> SplitPath(std::string_view path);

// Opens (creating as needed, mode 0755) every folder of `components` below
// `root`, all of them when `includeLast`, else all but the last. On failure
// returns a closed xsock::Descriptor and sets `error`. Adds to `*created`, if
// given, how many folders it created.
xsock::Descriptor OpenFolders(int root, const std::vector<std::string>& components,
                              bool includeLast, std::string& error, std::size_t* created = nullptr);

// The folder at the top of the served folder where files are written until
// their checksum matches; no sender may name it.
inline constexpr const char* kPartsFolder = ".xsock-parts";

// The name, inside kPartsFolder, of the part file of `path` from `senderId`:
// a SHA-256 of both, so that it never exceeds NAME_MAX whatever the name, and
// one sender can neither find nor touch another's.
std::string PartName(std::string_view senderId, std::string_view path);

// Opens kPartsFolder below `root`, creating it (mode 0700) if `create`. On
// failure returns a closed Descriptor and sets `error` (left empty when the
// folder simply does not exist and `create` is false). A folder that is not
// the server's own, or that others can write to, is refused: in a shared
// receiving folder another user could have made it first, to read, plant,
// replace or swap part files under the server.
xsock::Descriptor OpenPartsFolder(int root, bool create, std::string& error);

// Why the open folder `folder` is no safe place for part files of user
// `owner` (not owned by it, or writable by group or others); empty if it is.
std::string UnsafeFolderReason(int folder, uid_t owner);

// Why the open part file `file` must not be written to by user `owner`: not
// a regular file, someone else's, or with other names (a hard link planted
// to make the server overwrite a file elsewhere); empty if it may.
std::string UnsafePartFileReason(int file, uid_t owner);

}  // namespace transfer
