// output_dir/README.md: the model card Trainer.create_model_card writes after an Axolotl run
// (transformers' modelcard.py TrainingSummary, Axolotl's badge and config block, PEFT's additions for
// adapters), with the YAML front matter the Hub reads. The results come from trainer_state's
// log_history as transformers' parse_log_history reads it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace axolotl::train {

struct ModelCard {
  std::string model_name;      // the heading and model-index name: output_dir less leading "./" (Axolotl)
  std::string base_model;      // as the user gave it
  bool base_model_on_hub = false;  // a Hub id: base_model metadata, link and adapter tag; a local folder: named only
  bool adapter = false;        // a PEFT adapter (library_name peft, PEFT's tags and version line)
  std::string license;         // empty: unknown, left out
  std::vector<std::string> datasets;  // Hub-style dataset names (Axolotl: paths that are not folders or URLs)
  std::vector<std::string> extra_tags;  // e.g. the preference method
  std::vector<std::pair<std::string, std::string>> hyperparameters;  // Trainer's names and wording, in order
  std::string config_text;     // the YAML file as written (Axolotl's "See axolotl config"); empty: left out
  std::string tool_version;    // this program's version
  std::string transformers_version, peft_version, torch_version;
};

// Trainer's _maybe_round: a float whose repr has more than 4 decimals as "%.4f", everything else as
// Python's str() (ints, "No log", None).
std::string card_value(const nlohmann::json& v);

// The "### Training results" table of parse_log_history + make_markdown_table: one row per eval
// record before the train_runtime record (Training Loss | Epoch | Step | Validation Loss | ...);
// empty when there is no train_runtime record or no eval record.
std::string results_table(const std::vector<nlohmann::json>& log_history);

// The whole README.md text.
std::string model_card_markdown(const ModelCard& card, const std::vector<nlohmann::json>& log_history);

// The README.md that PEFT's save_pretrained leaves in every adapter checkpoint-N/ (create_or_update_model_card
// on huggingface_hub's template): its front matter and "- PEFT x" version line, with a short body in place
// of the template's empty sections.
std::string peft_checkpoint_card(const ModelCard& card);

// Written atomically (io/atomic_file.h).
void write_model_card(const std::string& path, const ModelCard& card, const std::vector<nlohmann::json>& log_history);

}  // namespace axolotl::train
