// Implementation of schema_check.h.
#include "schema_check.h"

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

#include "test_support.h"

namespace axolotl::testing {
namespace fs = std::filesystem;

SchemaCheck check_schema(const fs::path& schema, const std::vector<fs::path>& configs, const fs::path& yaml_schema) {
  SchemaCheck r;
  const std::string py = python();
  if (py.empty()) {
    r.skipped = true;
    r.output = "no python3";
    return r;
  }
  TempDir dir;
  std::string list;
  for (const auto& c : configs) list += c.string() + "\n";
  write_file(dir / "list.txt", list);
  std::string cmd = "'" + py + "' '" + (source_dir() / "tests/reference/config_schema_check.py").string() + "' '" +
                    schema.string() + "' --list '" + (dir / "list.txt").string() + "'";
  if (!yaml_schema.empty()) cmd += " --yaml-schema '" + yaml_schema.string() + "'";
  cmd += " > '" + (dir / "out.txt").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  r.output = read_file(dir / "out.txt");
  r.skipped = r.exit_code == 77;
  std::stringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("ok ", 0) == 0) r.ok.insert(line.substr(3));
    if (line.rfind("invalid ", 0) != 0) continue;
    for (const auto& c : configs) {  // paths may hold spaces: match the known ones
      const std::string p = c.string();
      if (line.compare(8, p.size() + 1, p + " ") == 0) r.invalid[p] = line.substr(8 + p.size() + 1);
    }
  }
  return r;
}

}  // namespace axolotl::testing
