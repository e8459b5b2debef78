// Downloads: the receiving side's disk work for /accept, in the downloads
// folder, never overwriting anything there.
//
// A partial file is created with O_EXCL, mode 0600, under a name that starts
// with a dot (".xsock-part-" and random hex): a received file name never
// starts with one, so the two cannot collide, and no existing file is opened.
// A finished file is placed under the offered name, or the first free
// "name (1).ext", "name (2).ext"...: each candidate is created with O_EXCL
// (so another process creating the same name at the same moment cannot be
// overwritten either) and the partial file is renamed over that placeholder,
// which is ours.
//
// A partial file is locked (flock) while its transfer runs; one that no
// process holds and that was not written for a minute is stale (its
// messenger was killed) and RemoveStalePartials removes it.
//
// Thread safety: plain functions. Errors: returned as texts a person can read.
#pragma once

#include <xsock/Descriptor.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace messenger {

// Empty if the disk holding `folder` keeps `margin` bytes free once `needed`
// more are written; otherwise why not, with the numbers.
std::string CheckFreeSpace(const std::filesystem::path& folder, std::uint64_t needed,
                           std::uint64_t margin);

// Creates `folder` (0700) if needed and a new partial file in it; the
// descriptor is closed with `why` set on failure.
xsock::Descriptor CreatePartial(const std::filesystem::path& folder, std::filesystem::path& partial,
                                std::string& why);

// Removes the stale partial files in `folder`; returns how many.
std::size_t RemoveStalePartials(const std::filesystem::path& folder);

// "name.ext" with a number: "name (N).ext" (a name with no dot after its
// first character: "name (N)").
std::string NumberedName(const std::string& name, int number);

// Moves `partial` into `folder` under `name` or the first free numbered
// name; returns the name used, or "" with `why` set (the partial file is
// left for the caller to remove).
std::string PlaceFile(const std::filesystem::path& partial, const std::filesystem::path& folder,
                      const std::string& name, std::string& why);

}  // namespace messenger
