// Ui: how the mesh talks to the person (or script) using it, whatever the
// terminal mode: `print` adds a line of output, `status` shows a transient
// state such as a transfer's progress ("" clears it).
#pragma once

#include <SafeText.h>

#include <functional>
#include <string>

namespace messenger {

struct Ui {
    std::function<void(const std::string&)> print;
    std::function<void(const std::string&)> status;
    bool terminal = false;
};

// Everything a peer sends (names, lines, file names, error texts) goes through
// SafeName or SafeText before it reaches `print` (see SafeText.h).
using xsock::demo::IsPlainName;
using xsock::demo::SafeName;
using xsock::demo::SafeText;

}  // namespace messenger
