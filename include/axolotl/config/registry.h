// The documentation view of the config field table: every key with its nested path, Axolotl's flat
// spelling(s), type, default and one line of help. `axolotl validate --help` prints field_table().
#pragma once

#include <string>
#include <vector>

namespace axolotl::config {

struct FieldDoc {
  std::string nested;              // "training.learning_rate"; "datasets[].format" for dataset keys; "" = flat only
  std::vector<std::string> flat;   // Axolotl spellings ("learning_rate"); empty = nested only
  std::string type;                // "float > 0", "true | false | auto", ...
  std::string default_value;       // as JSON ("0.0002", "\"adamw_torch\"", "null")
  std::string help;
};

std::vector<FieldDoc> field_docs();
// A plain-text table of field_docs(), one key per line.
std::string field_table();

}  // namespace axolotl::config
