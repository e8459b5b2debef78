// SafeText: text that came from a peer, made safe to print on a terminal or to
// write in a log line.
//
// A peer's name, chat line, file name or error text must not move the cursor,
// change colours, retitle the window, reorder what is shown (bidirectional
// overrides) or start a new line that looks like the program's own. SafeText
// keeps valid, printable UTF-8 as it is and shows everything else visibly:
//
//   - C0 controls (0x00-0x1F, newline and tab included) and DEL as \xHH;
//   - a backslash as \\, so an escape shown can never be a peer's own text;
//   - C1 controls encoded as UTF-8 (U+0080-U+009F), bidirectional marks,
//     embeddings, overrides and isolates (U+061C, U+200E, U+200F,
//     U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators
//     (U+2028, U+2029) as \uHHHH;
//   - every byte that is not part of valid UTF-8 (a raw C1 byte such as 0x9B,
//     a stray continuation byte, overlong forms, surrogates, code points past
//     U+10FFFF, truncated sequences) as \xHH, byte by byte.
//
// SafeName is the rule for a peer's name, which the messenger prints at the
// start of its lines ("<NAME> text", "* NAME joined"): on top of SafeText it
// escapes every ASCII character but letters, digits and "-_.@+'" (so no space,
// '*', '<', '>', '(', ')', '[', ']' or ':' that the program's own lines use),
// and the Unicode spaces and invisible format characters (U+00A0, U+1680,
// U+180E, U+2000-U+200D, U+202F, U+205F-U+2064, U+3000, U+FEFF, U+00AD) that
// would let a name look like two words or like another name. A name shown
// unchanged by SafeName is a plain name; the messenger accepts only such names
// for its own user.
//
// MFC has no counterpart. Thread safety: pure functions. Errors: none; every
// input has an output.
#pragma once

#include <string>
#include <string_view>

namespace xsock::demo {

std::string SafeText(std::string_view text);
std::string SafeName(std::string_view name);

// Whether SafeName shows `name` as it is (and it is not empty).
bool IsPlainName(std::string_view name);

}  // namespace xsock::demo
