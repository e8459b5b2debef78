// Ui: how the mesh talks to the person (or script) using it, whatever the
// terminal mode: `print` adds a line of output, `status` shows a transient
// state such as a transfer's progress ("" clears it).
#pragma once

#include <functional>
#include <string>

namespace messenger {

struct Ui {
    std::function<void(const std::string&)> print;
    std::function<void(const std::string&)> status;
    bool terminal = false;
};

// Replaces control characters (a hostile peer's terminal escapes) with '?'.
std::string Printable(std::string text);

}  // namespace messenger
