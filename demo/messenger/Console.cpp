// Console: readline's callback interface on a terminal, plain lines elsewhere
// (see Console.h).
#include "Console.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace messenger {

Console* Console::instance_ = nullptr;

Console::Console(bool interactive, std::string prompt, LineHandler onLine,
                 std::function<void()> onEnd)
    : interactive_(interactive),
      prompt_(std::move(prompt)),
      onLine_(std::move(onLine)),
      onEnd_(std::move(onEnd)) {
    instance_ = this;
    if (interactive_) {
        // Readline's own signal handlers would run only inside
        // rl_callback_read_char; the main loop takes SIGINT, SIGTERM and
        // SIGWINCH and tells the Console.
        rl_catch_signals = 0;
        rl_catch_sigwinch = 0;
        rl_callback_handler_install(prompt_.c_str(), &Console::OnReadlineLine);
    }
}

Console::~Console() {
    if (interactive_) {
        rl_callback_handler_remove();  // gives the terminal its settings back
        std::fputs("\n", stdout);
        std::fflush(stdout);
    }
    instance_ = nullptr;
}

void Console::OnReadlineLine(char* line) {
    // Only collected here: readline is still finishing the line, so printing
    // (or exiting) waits until rl_callback_read_char has returned.
    Console& console = *instance_;
    if (line == nullptr) {
        console.atEnd_ = true;
        return;
    }
    if (*line != '\0') {
        add_history(line);
    }
    console.accepted_.emplace_back(line);
    std::free(line);
}

void Console::OnReadable() {
    if (atEnd_) {
        return;
    }
    if (interactive_) {
        rl_callback_read_char();
    } else {
        char buffer[4096];
        ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return;
        }
        if (n <= 0) {
            atEnd_ = true;
        } else {
            partial_.append(buffer, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (std::size_t end; (end = partial_.find('\n', start)) != std::string::npos;
                 start = end + 1) {
                std::string line = partial_.substr(start, end - start);
                if (!line.empty() && line.back() == '\r') {
                    line.pop_back();
                }
                accepted_.push_back(std::move(line));
            }
            partial_.erase(0, start);
        }
    }
    Deliver();
}

void Console::Deliver() {
    std::vector<std::string> lines;
    lines.swap(accepted_);
    for (const std::string& line : lines) {
        onLine_(line);
    }
    if (atEnd_) {
        if (!partial_.empty()) {
            onLine_(partial_);  // a last line without its newline
            partial_.clear();
        }
        onEnd_();
    }
}

void Console::Print(const std::string& line) {
    if (!interactive_) {
        std::cout << line << std::endl;
        return;
    }
    // Clear what readline shows, print above it, and let readline redraw the
    // prompt with the unfinished input and the cursor where they were.
    rl_clear_visible_line();
    std::fputs(line.c_str(), stdout);
    std::fputs("\n", stdout);
    std::fflush(stdout);
    rl_on_new_line();
    rl_redisplay();
}

void Console::Status(const std::string& status) {
    if (!interactive_) {
        if (!status.empty()) {
            Print("* " + status);
        }
        return;
    }
    status_ = status;
    ShowPrompt();
}

void Console::SetPrompt(std::string prompt) {
    prompt_ = std::move(prompt);
    ShowPrompt();
}

void Console::Resized() {
    if (interactive_) {
        rl_resize_terminal();
    }
}

void Console::ShowPrompt() {
    if (!interactive_) {
        return;
    }
    std::string shown = status_.empty() ? prompt_ : "[" + status_ + "] " + prompt_;
    rl_set_prompt(shown.c_str());
    rl_redisplay();
}

}  // namespace messenger
