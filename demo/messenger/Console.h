// Console: the messenger's terminal side.
//
// On a terminal it uses GNU readline's callback interface, so the program's
// own loop stays in charge: the loop tells the Console when standard input is
// readable, and each keystroke goes to rl_callback_read_char. Line editing,
// history (Up/Down) and Ctrl-R come from readline. Incoming lines are printed
// above the line being typed: the visible line is cleared, the text printed,
// then readline redraws the prompt and the unfinished input, cursor included.
//
// Otherwise (a pipe or file, or --line-mode) it reads plain lines and prints
// plain lines, flushed one by one, for scripts and tests.
//
// Thread safety: one Console per process (readline's state is global), used
// from the main thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace messenger {

class Console {
  public:
    using LineHandler = std::function<void(const std::string&)>;

    // onEnd: end of input (Ctrl-D on an empty line, or the end of the pipe).
    Console(bool interactive, std::string prompt, LineHandler onLine, std::function<void()> onEnd);
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    // Standard input is readable.
    void OnReadable();
    void Print(const std::string& line);
    // A transient status (transfer progress) shown in the prompt on a
    // terminal, or printed as "* STATUS" in line mode; "" clears it.
    void Status(const std::string& status);
    void SetPrompt(std::string prompt);
    // The terminal changed size (SIGWINCH).
    void Resized();
    bool AtEnd() const noexcept { return atEnd_; }

  private:
    static void OnReadlineLine(char* line);
    void ShowPrompt();
    void Deliver();

    static Console* instance_;
    bool interactive_;
    bool atEnd_ = false;
    std::string prompt_;
    std::string status_;
    std::string partial_;                // line mode: bytes after the last newline
    std::vector<std::string> accepted_;  // lines readline handed over, not yet handled
    LineHandler onLine_;
    std::function<void()> onEnd_;
};

}  // namespace messenger
