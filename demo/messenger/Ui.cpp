// Text shown to the user, made safe to print.
#include "Ui.h"

namespace messenger {

std::string Printable(std::string text) {
    for (char& c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            c = '?';
        }
    }
    return text;
}

}  // namespace messenger
