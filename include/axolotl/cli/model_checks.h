// The model side of a config, checked before anything heavy runs (`validate`, and `train` before it
// reads any dataset): base_model is a local or already cached model folder whose config.json names a
// supported architecture with consistent sizes, a tokenizer loads, the requested device exists, and
// a PEFT adapter folder is not mistaken for a base model. Torch-free; reads only small files.
// A Hub model that is not cached yet is not checked (validate stays offline): the result says so.
#pragma once

#include <string>
#include <vector>

#include "axolotl/config/config.h"
#include "axolotl/util/error.h"

namespace axolotl::cli {

struct ModelCheck {
  std::string model_dir;           // the folder that was checked; empty when none was available
  std::vector<Diagnostic> problems;  // each with file, key and hint
  std::vector<std::string> notes;    // what was checked or skipped, for the log
};

// `model_required`: a base_model path that does not exist is a problem (train), else a note (validate
// of a config whose model is made later, e.g. by create-tiny).
ModelCheck check_model_side(const config::Config& config, bool model_required);

// Throws ConfigError with every problem of check_model_side; logs its notes.
void require_model_side(const config::Config& config, bool model_required);

}  // namespace axolotl::cli
