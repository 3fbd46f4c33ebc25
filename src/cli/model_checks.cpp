// Model-side checks of a config (see model_checks.h).
#include "axolotl/cli/model_checks.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer.h"
#include "axolotl/io/hub_cache.h"
#include "axolotl/io/hub_download.h"
#include "axolotl/io/hub_env.h"
#include "axolotl/model/family.h"
#include "axolotl/model/llama_config.h"
#include "axolotl/util/log.h"
#include "axolotl/util/path_hint.h"

namespace axolotl::cli {
namespace fs = std::filesystem;
namespace {

// A Hub id's snapshot folder in the local cache, or "" when it is not cached (no network).
std::string cached_snapshot(std::string repo, std::string revision) {
  if (const auto at = repo.find('@'); at != std::string::npos) {
    if (revision.empty()) revision = repo.substr(at + 1);
    repo = repo.substr(0, at);
  }
  try {
    const io::HubEnv env = io::HubEnv::from_environment();
    io::HubCache cache(env.hub_cache, io::RepoType::kModel, repo);
    const auto commit = cache.cached_commit(revision.empty() ? "main" : revision);
    if (!commit) return {};
    const std::string dir = cache.snapshot_dir(*commit);
    std::error_code ec;
    return fs::is_directory(dir, ec) ? dir : std::string();
  } catch (const Error&) {
    return {};
  }
}

nlohmann::json read_json_file(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in, nullptr, false);
}

Diagnostic problem(const std::string& file, const std::string& key, const std::string& message,
                   const std::string& found, const std::string& expected, const std::string& hint) {
  return Diagnostic{{file, 0, 0}, key, message, found, expected, hint};
}

// The folder holds a PEFT adapter (adapter_config.json) and no base model config.
void check_not_adapter(const fs::path& dir, const std::string& source, ModelCheck& out) {
  std::error_code ec;
  if (!fs::exists(dir / "adapter_config.json", ec) || fs::exists(dir / "config.json", ec)) return;
  std::string base;
  const auto j = read_json_file(dir / "adapter_config.json");
  if (j.is_object() && j.contains("base_model_name_or_path") && j["base_model_name_or_path"].is_string()) {
    base = j["base_model_name_or_path"].get<std::string>();
  }
  out.problems.push_back(problem(source, "base_model", "this is a PEFT adapter, not a base model", dir.string(),
                                 "a model folder with config.json",
                                 "set lora_model_dir: " + dir.string() + " and point base_model at its base" +
                                     (base.empty() ? "" : " (the adapter names " + base + ")")));
}

void check_config_json(const fs::path& dir, const config::Config& c, ModelCheck& out, int64_t& vocab) {
  std::error_code ec;
  fs::path cfg_dir = dir;
  if (!c.model.config_path.empty()) cfg_dir = c.model.config_path;
  const fs::path file = fs::is_directory(cfg_dir, ec) ? cfg_dir / "config.json" : cfg_dir;
  if (!fs::exists(file, ec)) {
    if (c.model.config_path.empty() && fs::exists(dir / "adapter_config.json", ec)) return;  // reported as adapter
    // A parent folder given as the model (outputs instead of outputs/tiny-model): name the model
    // folders inside it rather than suggesting a download.
    std::string hint = did_you_mean_paths(folders_holding(cfg_dir.string(), "config.json"));
    if (hint.empty()) hint = "download the model (axolotl download) or create one (axolotl create-tiny)";
    out.problems.push_back(problem(file.string(), c.model.config_path.empty() ? "base_model" : "base_model_config",
                                   "not a model folder: no config.json", cfg_dir.string(),
                                   "a Hugging Face model folder", hint));
    return;
  }
  const auto j = read_json_file(file);
  if (j.is_discarded() || !j.is_object()) {
    out.problems.push_back(problem(file.string(), "base_model", "config.json is not a JSON object", {}, "valid JSON",
                                   "is the download complete?"));
    return;
  }
  try {
    const model::LlamaConfig lc = model::parse_llama_config(model::with_config_overrides(j, c.model.config_overrides),
                                                            file.string());
    vocab = lc.vocab_size;
    out.notes.push_back(file.string() + ": " + lc.architecture + ", " + std::to_string(lc.num_hidden_layers) +
                        " layers, hidden " + std::to_string(lc.hidden_size) + ", vocab " + std::to_string(lc.vocab_size));
    if (!c.model.config_class.empty()) {
      const auto classes = model::config_classes_of(lc.architecture);
      if (std::find(classes.begin(), classes.end(), c.model.config_class) == classes.end()) {
        std::string expected;
        for (const auto& k : classes) expected += (expected.empty() ? "" : " or ") + k;
        out.problems.push_back(problem(c.source_file, "cls_model_config", "not the configuration class of this "
                                       "checkpoint's family", c.model.config_class + " for " + lc.architecture,
                                       expected.empty() ? "a served family's class" : expected,
                                       "remove cls_model_config: config.json's model_type picks the class"));
      }
    }
    // A classifier checkpoint (a reward model) trains only as the same kind of classifier.
    const std::string held = model::classifier_of(lc.architecture, lc.token_classifier) + " with " +
                             std::to_string(lc.num_labels) + " labels";
    if (lc.num_labels > 0 && c.model.num_labels == 0) {
      out.problems.push_back(problem(file.string(), "base_model", "this is a classification (reward) model, not a "
                                     "causal LM", held, "a *ForCausalLM checkpoint",
                                     "reward models are trained with reward_model or process_reward_model: true"));
    } else if (lc.num_labels > 0 &&
               (lc.token_classifier != c.model.token_classification || lc.num_labels != c.model.num_labels)) {
      out.problems.push_back(problem(file.string(), "base_model", "the checkpoint is a different classifier", held,
                                     model::classifier_of(lc.architecture, c.model.token_classification) + " with " +
                                         std::to_string(c.model.num_labels) + " labels",
                                     "start from its base causal LM, or match num_labels and the trainer to the "
                                     "checkpoint"));
    } else if (c.model.num_labels > 0 && model::classifier_of(lc.architecture, c.model.token_classification).empty()) {
      out.problems.push_back(problem(file.string(), "base_model", "transformers has no token-classification class "
                                     "for this family", lc.architecture, "a family with one",
                                     "process reward models need a *ForTokenClassification class (Gemma-3 has none)"));
    }
  } catch (const ConfigError& e) {
    for (auto d : e.problems()) {
      if (d.where.file.empty()) d.where.file = file.string();
      if (d.hint.empty()) d.hint = "base_model must be a supported architecture with consistent sizes";
      d.key = "base_model: config.json " + d.key;
      out.problems.push_back(std::move(d));
    }
  }
}

void check_tokenizer(const fs::path& dir, const config::Config& c, ModelCheck& out, int64_t vocab) {
  std::string path = c.tokenizer.path.empty() ? dir.string() : c.tokenizer.path;
  const std::string key = c.tokenizer.path.empty() ? "base_model" : "tokenizer_config";
  std::error_code ec;
  if (!c.tokenizer.path.empty() && !fs::exists(path, ec)) {
    if (!io::is_repo_id(path)) {
      out.problems.push_back(problem(c.source_file, key, "tokenizer not found", path, "a folder or Hub id",
                                     "leave tokenizer_config unset to use the model's tokenizer"));
      return;
    }
    path = cached_snapshot(path, "");
    if (path.empty()) return;  // fetched when training starts
  }
  try {
    config::TokenizerConfig plain;  // the tokenizer's own vocabulary, before added tokens
    const auto tok = data::Tokenizer::load(path, plain);
    if (vocab > 0 && tok->vocab_size() > vocab) {
      out.problems.push_back(problem(path, key, "the tokenizer has more tokens than the model's embedding rows",
                                     std::to_string(tok->vocab_size()) + " tokens",
                                     "at most vocab_size " + std::to_string(vocab),
                                     "is tokenizer_config the tokenizer of this model?"));
    }
  } catch (const Error& e) {
    Diagnostic d = e.diagnostic();
    if (d.where.file.empty()) d.where.file = path;
    d.key = key;
    if (d.message.empty()) d.message = e.what();
    if (d.hint.empty()) d.hint = "a usable tokenizer must be in the model folder or at tokenizer_config";
    out.problems.push_back(std::move(d));
  }
}

void check_device(const config::Config& c, ModelCheck& out) {
  if (c.model.device != config::Device::kCuda) return;
  std::error_code ec;
  if (fs::exists("/dev/nvidiactl", ec) || fs::exists("/dev/nvidia0", ec)) return;
  out.problems.push_back(problem(c.source_file, "device", "CUDA requested but no NVIDIA device is present", "cuda",
                                 "cpu or auto", "remove device: cuda (auto picks CUDA when there is one)"));
}

// The first component of `name` is an existing local folder ("outputs" of "outputs/tiny-modle").
bool local_parent(const std::string& name) {
  const auto slash = name.find('/');
  std::error_code ec;
  return slash != std::string::npos && slash > 0 && fs::is_directory(name.substr(0, slash), ec);
}

}  // namespace

ModelCheck check_model_side(const config::Config& c, bool model_required) {
  ModelCheck out;
  check_device(c, out);
  const std::string& name = c.model.name;
  std::error_code ec;
  fs::path dir;
  if (fs::is_directory(name, ec)) {
    dir = name;
  } else if (fs::exists(name, ec)) {
    out.problems.push_back(problem(c.source_file, "base_model", "not a model folder", name, "a folder holding config.json",
                                   "point base_model at the folder, not at a file in it"));
    return out;
  } else if (const std::string typo = local_parent(name) ? close_existing_path(name) : ""; !typo.empty()) {
    // org/name whose org is a local folder holding a close match: a mistyped path, not a Hub id.
    if (!model_required) {
      out.notes.push_back("base_model " + name + " does not exist (did you mean " + typo +
                          "?): its files are checked when it does");
      return out;
    }
    out.problems.push_back(problem(c.source_file, "base_model", "no such folder", name,
                                   "a folder holding config.json, or a Hub id org/name",
                                   "did you mean " + typo + "?"));
    return out;
  } else if (io::is_repo_id(name)) {
    const std::string snap = cached_snapshot(name, c.model.revision);
    if (snap.empty()) {
      out.notes.push_back(name + " is not in the Hub cache yet: its files are checked when they are downloaded");
      return out;
    }
    dir = snap;
  } else if (!model_required) {
    const std::string close = close_existing_path(name);
    out.notes.push_back("base_model " + name + " does not exist yet: its files are checked when it does" +
                        (close.empty() ? "" : " (did you mean " + close + "?)"));
    return out;
  } else {
    // A close existing name is the likely meaning; create-tiny only when nothing is close.
    const std::string close = close_existing_path(name);
    out.problems.push_back(problem(c.source_file, "base_model", "not a local folder or a Hub repo id", name,
                                   "a folder holding config.json, or org/name",
                                   close.empty() ? "create a local model with `axolotl create-tiny`"
                                                 : "did you mean " + close + "?"));
    return out;
  }
  out.model_dir = dir.string();
  check_not_adapter(dir, c.source_file, out);
  int64_t vocab = 0;
  check_config_json(dir, c, out, vocab);
  // A parent of model folders (reported above with their names) has no tokenizer either: not said twice.
  const bool parent_of_models = !fs::exists(dir / "config.json", ec) && c.model.config_path.empty() &&
                                !folders_holding(dir.string(), "config.json").empty();
  if ((!fs::exists(dir / "adapter_config.json", ec) || fs::exists(dir / "config.json", ec)) && !parent_of_models) {
    check_tokenizer(dir, c, out, vocab);
  }
  if (!c.adapter.model_dir.empty() && fs::is_directory(c.adapter.model_dir, ec) &&
      !fs::exists(fs::path(c.adapter.model_dir) / "adapter_config.json", ec)) {
    out.problems.push_back(problem(c.adapter.model_dir, "lora_model_dir", "no adapter_config.json in this folder",
                                   c.adapter.model_dir, "a PEFT adapter folder",
                                   "point lora_model_dir at a folder written by train (or PEFT)"));
  }
  return out;
}

void require_model_side(const config::Config& config, bool model_required) {
  ModelCheck r = check_model_side(config, model_required);
  for (const auto& n : r.notes) log::info("validate", "{}", n);
  if (!r.problems.empty()) throw ConfigError(std::move(r.problems));
}

}  // namespace axolotl::cli
