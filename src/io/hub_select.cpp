// File selection rules; the tokenizer and weight file names are those of FORMATS.md §1.5, §2.5 and §3.1.
#include "axolotl/io/hub_select.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "axolotl/io/hub_cache.h"
#include "axolotl/util/error.h"

namespace axolotl::io {
namespace {

const std::vector<std::string> kTokenizerFiles = {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                                                  "special_tokens_map.json", "added_tokens.json"};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool top_level(const std::string& path) { return path.find('/') == std::string::npos; }

// Weights stored with Python's pickle, which we never load (arbitrary code on load).
bool is_pickled_weights(const std::string& path) {
  return ends_with(path, ".bin") || ends_with(path, ".pth") || ends_with(path, ".pt") || ends_with(path, ".ckpt") ||
         ends_with(path, ".pkl") || ends_with(path, "pytorch_model.bin.index.json");
}

std::string pickle_hint() {
  return "axolotl loads only safetensors. Look for a safetensors conversion (Hub pull requests by SFconvertbot: "
         "--revision refs/pr/N), or convert once in Python: AutoModelForCausalLM.from_pretrained(repo)"
         ".save_pretrained(dir, safe_serialization=True) and use that folder";
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& path) {
  std::string p = !pattern.empty() && pattern.back() == '/' ? pattern + "*" : pattern;
  return fnmatch(p.c_str(), path.c_str(), 0) == 0;
}

const char* hub_content_name(HubContent content) {
  switch (content) {
    case HubContent::kModel: return "model";
    case HubContent::kTokenizer: return "tokenizer";
    case HubContent::kAdapter: return "adapter";
    case HubContent::kDataset: return "dataset";
    case HubContent::kAll: return "all files";
  }
  return "model";
}

FileSelection select_files(const std::vector<std::string>& repo_files, HubContent content,
                           const std::vector<std::string>& globs) {
  std::set<std::string> have(repo_files.begin(), repo_files.end());
  bool any_safetensors = std::any_of(have.begin(), have.end(), [](const std::string& f) {
    return ends_with(f, ".safetensors") || f == kSafetensorsIndex;
  });
  std::set<std::string> pick;
  FileSelection sel;
  auto add_if_present = [&](const std::string& f) {
    if (have.count(f)) pick.insert(f);
  };

  if (!globs.empty() || content == HubContent::kAll) {
    for (const auto& f : have) {
      bool match = content == HubContent::kAll && globs.empty();
      for (const auto& g : globs) match = match || glob_match(g, f);
      if (match && !(any_safetensors && is_pickled_weights(f))) pick.insert(f);
    }
    if (pick.empty()) {
      sel.problem = "no file matches the --include patterns";
      sel.hint = "patterns use shell globs on repo paths, e.g. '*.json' or 'tokenizer*'";
    }
  } else if (content == HubContent::kDataset) {
    for (const auto& f : have) {
      std::string base = f.substr(f.rfind('/') + 1);
      bool metadata = base == "dataset_infos.json" || base == "dataset_info.json" || base == "state.json";
      if ((ends_with(f, ".json") || ends_with(f, ".jsonl")) && !metadata) pick.insert(f);
    }
    if (pick.empty()) {
      sel.problem = "no .json or .jsonl data files";
      sel.hint = "axolotl reads JSON / JSONL datasets; convert parquet or csv files to JSONL";
    }
  } else if (content == HubContent::kAdapter) {
    for (const char* f : {"adapter_config.json", "adapter_model.safetensors"}) add_if_present(f);
    for (const auto& f : kTokenizerFiles) add_if_present(f);
    if (!have.count("adapter_config.json")) {
      sel.problem = "no adapter_config.json (not a PEFT adapter)";
      sel.hint = "lora_model_dir must name a PEFT LoRA adapter repo or folder";
    } else if (!have.count("adapter_model.safetensors")) {
      sel.problem = have.count("adapter_model.bin") ? "the adapter has only pickled weights (adapter_model.bin)"
                                                    : "no adapter_model.safetensors";
      sel.hint = have.count("adapter_model.bin") ? pickle_hint() : "";
    }
  } else {  // kModel, kTokenizer
    add_if_present("config.json");
    for (const auto& f : kTokenizerFiles) add_if_present(f);
    bool has_tokenizer = std::any_of(kTokenizerFiles.begin(), kTokenizerFiles.end(),
                                     [&](const std::string& f) { return f != "added_tokens.json" && have.count(f); });
    if (content == HubContent::kTokenizer) {
      if (!has_tokenizer) {
        sel.problem = "no tokenizer files (tokenizer.model or tokenizer.json)";
        sel.hint = "set tokenizer_config to a repo or folder that has the tokenizer";
      }
    } else {
      add_if_present("generation_config.json");
      if (have.count(kSafetensorsIndex)) {
        pick.insert(kSafetensorsIndex);  // the shards it names are added once it is read
      } else if (have.count("model.safetensors")) {
        pick.insert("model.safetensors");
      } else {
        for (const auto& f : have) {
          if (top_level(f) && ends_with(f, ".safetensors")) pick.insert(f);
        }
      }
      bool has_weights = std::any_of(pick.begin(), pick.end(), [](const std::string& f) {
        return ends_with(f, ".safetensors") || f == kSafetensorsIndex;
      });
      if (!have.count("config.json")) {
        sel.problem = "no config.json (not a transformers model)";
        sel.hint = "base_model must name a Hugging Face transformers model repo or folder";
      } else if (!has_weights) {
        bool pickled = std::any_of(have.begin(), have.end(), [](const std::string& f) { return is_pickled_weights(f); });
        sel.problem = pickled ? "the model has only pickled PyTorch weights (*.bin / *.pth)" : "no *.safetensors weights";
        sel.hint = pickled ? pickle_hint() : "";
      }
    }
  }
  sel.files.assign(pick.begin(), pick.end());
  return sel;
}

std::vector<std::string> shards_from_index(const std::string& index_path) {
  std::ifstream f(index_path);
  if (!f) throw IoError(Diagnostic{{index_path}, {}, "cannot read the safetensors index", {}, {}, {}});
  std::set<std::string> shards;
  try {
    auto j = nlohmann::json::parse(f);
    for (const auto& [tensor, file] : j.at("weight_map").items()) shards.insert(file.get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw IoError(Diagnostic{{index_path}, "weight_map", "malformed safetensors index", e.what(),
                             "{\"metadata\": {...}, \"weight_map\": {tensor: file}}", {}});
  }
  for (const auto& s : shards) check_repo_path(s, index_path);
  return {shards.begin(), shards.end()};
}

}  // namespace axolotl::io
