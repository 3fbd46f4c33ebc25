// Whether an output stream is a terminal and may carry ANSI colours (NO_COLOR, no-color.org).
#pragma once

namespace axolotl {

// True when `fd` is a terminal; false for pipes and files (CI logs).
bool is_terminal(int fd);

// True when text written to `fd` may carry ANSI colours: a terminal, NO_COLOR unset or empty, TERM
// not "dumb". Read at each call.
bool colour_allowed(int fd);

}  // namespace axolotl
