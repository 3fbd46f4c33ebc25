// Terminal and colour checks (see terminal.h).
#include "axolotl/util/terminal.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace axolotl {

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

bool colour_allowed(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return is_terminal(fd);
}

}  // namespace axolotl
