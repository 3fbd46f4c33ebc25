// Placeholder until the config loader lands.
#include "axolotl/config/loader.h"

namespace axolotl::config {
LoadResult load_file(const std::string& path, const std::vector<std::string>&) {
  LoadResult r;
  r.config.source_file = path;
  return r;
}
LoadResult load_string(const std::string&, const std::string& name, const std::vector<std::string>&) {
  LoadResult r;
  r.config.source_file = name;
  return r;
}
}  // namespace axolotl::config
