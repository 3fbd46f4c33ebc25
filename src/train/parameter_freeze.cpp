// unfrozen_parameters (see parameter_freeze.h).
#include "axolotl/train/parameter_freeze.h"

#include <algorithm>

#include "axolotl/config/unfreeze_pattern.h"
#include "axolotl/model/family.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {

namespace {

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  if (auto at = s.find(from); at != std::string::npos) s.replace(at, from.size(), to);
}

bool is_lora(const std::string& name) {
  return name.find(".lora_A.") != std::string::npos || name.find(".lora_B.") != std::string::npos;
}

// The name Axolotl matches: PEFT's in-memory name under an adapter. `saved`: a modules_to_save
// parameter (trainable and not LoRA when the adapter was set up).
std::string axolotl_name(const model::LlamaConfig& config, const std::string& name, bool adapter, bool saved) {
  if (!adapter) return name;
  std::string peft = model::peft_name(config, name);
  replace_once(peft, ".lora_A.", ".lora_A.default.");
  replace_once(peft, ".lora_B.", ".lora_B.default.");
  if (saved) {
    const auto dot = peft.rfind('.');
    peft = peft.substr(0, dot) + ".modules_to_save.default" + peft.substr(dot);
  }
  return "base_model.model." + peft;
}

ConfigError freeze_error(const std::string& message, const std::string& found, const std::string& hint) {
  Diagnostic d;
  d.key = "unfrozen_parameters";
  d.message = message;
  d.found = found;
  d.hint = hint;
  return ConfigError({d});
}

}  // namespace

void apply_unfrozen_parameters(model::LlamaForCausalLMImpl& m, const std::vector<std::string>& patterns, bool adapter) {
  if (patterns.empty()) return;
  std::vector<config::UnfreezePattern> parsed;
  for (const auto& p : patterns) parsed.push_back(config::parse_unfreeze_pattern(p));
  int64_t kept = 0, total = 0;
  bool base_match = false;  // a pattern matches a parameter's own (unwrapped) name
  std::vector<std::string> unsaved, example_names;
  std::vector<std::pair<torch::Tensor, bool>> before;  // each parameter's trainability on entry
  for (auto& item : m.named_parameters()) {
    torch::Tensor& p = item.value();
    before.emplace_back(p, p.requires_grad());
    const bool saved = adapter && p.requires_grad() && !is_lora(item.key());
    const std::string name = axolotl_name(m.config(), item.key(), adapter, saved);
    if (example_names.size() < 2) example_names.push_back(name);
    ++total;
    bool on = false, whole = false;
    std::vector<std::pair<int64_t, int64_t>> rows;  // trained rows [begin, end) of dim 0
    const int64_t n0 = p.dim() > 0 ? p.size(0) : 1;
    for (const auto& pat : parsed) {
      if (adapter && pat.matches(item.key())) base_match = true;
      if (!pat.matches(name)) continue;
      on = true;
      if (!pat.row_begin) {
        whole = true;
        continue;
      }
      const int64_t end = pat.row_end.value_or(n0);
      if (*pat.row_begin < 0 || end > n0 || *pat.row_begin >= end) {
        throw freeze_error("the row range is outside the parameter " + name + " (" + std::to_string(n0) + " rows)",
                           "'" + pat.raw + "'", "a range within 0 .. " + std::to_string(n0));
      }
      rows.emplace_back(*pat.row_begin, end);
    }
    p.set_requires_grad(on);
    if (!on) continue;
    ++kept;
    if (adapter && !saved && !is_lora(item.key())) unsaved.push_back(name);
    log::debug("train", "unfrozen: {}", name);
    if (whole || rows.empty()) continue;
    std::sort(rows.begin(), rows.end());
    std::vector<std::pair<int64_t, int64_t>> frozen;  // the complement of the merged trained rows
    int64_t at = 0;
    for (const auto& [b, e] : rows) {
      if (b > at) frozen.emplace_back(at, b);
      at = std::max(at, e);
    }
    if (at < n0) frozen.emplace_back(at, n0);
    p.register_hook([frozen](torch::Tensor grad) {
      grad = grad.clone();
      for (const auto& [b, e] : frozen) grad.narrow(0, b, e - b).zero_();
      return grad;
    });
  }
  if (!unsaved.empty()) {
    throw freeze_error("with an adapter these base weights would be trained but the adapter files cannot hold them",
                       unsaved.front() + (unsaved.size() > 1 ? " and " + std::to_string(unsaved.size() - 1) + " more" : ""),
                       "match LoRA weights (…lora_A.default.weight) or list the module in lora_modules_to_save");
  }
  // Patterns that name PEFT's wrapped weights (base_model.model…, lora_A/B) but match none are a typo:
  // refused below. Others were written for the base model (or another model of the family).
  const bool peft_style = std::any_of(patterns.begin(), patterns.end(), [](const std::string& p) {
    return p.find("base_model") != std::string::npos || p.find("lora_") != std::string::npos;
  });
  if (kept == 0 && adapter && !peft_style) {
    // Axolotl's own Gemma-3 QLoRA examples do this: patterns written for the multimodal base model's
    // names (^model.language_model.*) meet PEFT's wrapped ones and freeze everything, the adapter
    // included, so Axolotl trains nothing. Here the patterns are dropped and the adapter trains.
    for (auto& [p, on] : before) p.set_requires_grad(on);
    log::warn("train",
              "unfrozen_parameters ('{}'{}) match {} but none of PEFT's wrapped names (e.g. {}); "
              "Axolotl would freeze every parameter, the adapter's too, and train nothing. Here they are ignored "
              "and the adapter trains as without them",
              patterns.front(), patterns.size() > 1 ? " and " + std::to_string(patterns.size() - 1) + " more" : "",
              base_match ? "the base model's names" : "no parameter of this model", example_names.front());
    return;
  }
  if (kept == 0) {
    throw freeze_error(
        "unfrozen_parameters matches none of the model's " + std::to_string(total) + " parameters, so nothing would train",
        "'" + patterns.front() + "'" + (patterns.size() > 1 ? " and " + std::to_string(patterns.size() - 1) + " more" : ""),
        adapter ? "with an adapter Axolotl matches PEFT's wrapped names (e.g. " + example_names.front() +
                      "), so patterns written for the base model freeze everything there too"
                : "names look like " + example_names.front());
  }
  log::info("train", "unfrozen_parameters: {} of {} parameters trainable", kept, total);
}

}  // namespace axolotl::train
