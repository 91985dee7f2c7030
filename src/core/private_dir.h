// Directories that hold code or data the host will trust (the OCI cache, the unpacked
// provider libraries): under a shared $TMPDIR, any user could otherwise have made them
// first and planted what the host then loads.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace wasmcloud {

// Makes `dir` (and its missing parents, as mkdir -p) with mode 0700 when absent, then checks that
// it is a directory (not a symbolic link) owned by this user that nobody else can write. One of
// ours that others can only read (0755, as older versions made it) is tightened to 0700.
// Otherwise kPermissionDenied naming `what`, the directory and the reason ("is owned by
// uid 1001, not this user (uid 1000)", "is writable by others (mode 0777)", "is a
// symbolic link"), and what to do about it.
Status EnsurePrivateDirectory(const std::string& dir, std::string_view what);

}  // namespace wasmcloud
