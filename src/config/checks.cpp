// Cross-field checks of a loaded config; each problem points at the key that was set last.
#include "checks.h"

#include <algorithm>

#include "axolotl/config/resolve.h"

namespace axolotl::config::detail {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void check_names(const std::vector<std::string>& names, const std::vector<std::string>& allowed,
                 const std::string& path, const std::string& flat, State& st) {
  for (const auto& n : names) {
    if (contains(allowed, n)) continue;
    std::string guess = did_you_mean(n, allowed);
    st.error(st.where(path), st.was_set(path) ? path : flat, "not a module of a LLaMA model", "'" + n + "'",
             "one of " + join(allowed), guess.empty() ? "" : "did you mean '" + guess + "'?");
  }
}

// Both of two alternatives set: name both and where they are.
void exclusive(bool a, const char* pa, bool b, const char* pb, State& st) {
  if (!a || !b || st.is_bad(pa) || st.is_bad(pb)) return;
  st.error(st.where(pb), pb, std::string("set together with ") + pa + " (" + st.where(pa).str() + ")",
           std::string("both"), "one of them");
}

// rl: and the datasets, adapter and options it can run with (train/objective_preference.h).
void check_preference(const Config& c, State& st) {
  const auto& p = c.preference;
  const bool rl = !p.method.empty();
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets}) {
    for (const auto& d : *list) {
      const bool pref = d.format == DatasetFormat::kPreference;
      if (pref && !rl) {
        st.error(st.where("datasets"), "datasets", "a preference dataset type in supervised training", d.type_name,
                 "rl: dpo, ipo or orpo", "set rl: dpo, or use an SFT type such as chat_template");
      } else if (rl && !pref) {
        st.error(st.where("datasets"), "datasets", "rl: " + p.method + " needs preference rows",
                 d.type_name.empty() ? "pre-tokenized rows" : d.type_name,
                 "chatml.{default,intel,icr,prompt_pairs,argilla_chat,ultra} or llama3.<same>");
      }
    }
  }
  if (!rl) return;
  if (p.method == "simpo") {
    st.error(st.where("preference.method"), "rl", "SimPO's dataset tokenization (TRL CPOTrainer) is not wired yet",
             p.method, "dpo, ipo or orpo", "the SimPO loss exists (train/objective_preference.h); its data path does not");
  }
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets}) {
    for (const auto& d : *list) {
      const bool orpo_type = d.type_name == "chat_template.argilla";
      if (d.format == DatasetFormat::kPreference && orpo_type != (p.method == "orpo")) {
        st.error(st.where("datasets"), "datasets", orpo_type ? "chat_template.argilla is ORPO's dataset type"
                                                             : "rl: orpo reads Axolotl's ORPO dataset type",
                 d.type_name, orpo_type ? "rl: orpo" : "chat_template.argilla");
      }
    }
  }
  if (c.adapter.type == AdapterType::kNone) {
    st.error(st.where("preference.method"), "rl", "full fine-tuning needs a frozen reference model, not implemented",
             "adapter: none", "adapter: lora or qlora (the reference is the base with the adapter switched off)");
  }
  if (!c.adapter.modules_to_save.empty()) {
    st.error(st.where("adapter.modules_to_save"), "lora_modules_to_save",
             "modules_to_save are trained in place, so the adapter-off reference would not be the base model",
             join(c.adapter.modules_to_save), "none with rl");
  }
  if (p.dpo_use_weighting)
    st.error(st.where("preference.use_weighting"), "dpo_use_weighting", "WPO weighting is not implemented", "true", "false");
  if (p.precompute_ref_log_probs)
    st.error(st.where("preference.precompute_ref_log_probs"), "precompute_ref_log_probs",
             "precomputed reference log-probs are not implemented", "true", "false",
             "with an adapter the reference pass reuses the policy's weights; no second copy is held");
}

}  // namespace

void check_config(const Config& c, State& st) {
  const auto& q = c.quantization;
  if (c.model.name.empty() && !st.is_bad("model.name")) {
    st.error(Location{st.source(), 1, 1}, "model.name", "no base model", "nothing", "base_model: (flat) or model.name: (nested)",
             "a local folder such as ./outputs/tiny-model or a Hub id such as meta-llama/Llama-2-7b-hf");
  }
  if (c.adapter.type == AdapterType::kQlora && !q.load_in_4bit && !st.is_bad("quantization.load_in_4bit")) {
    st.error(st.where("adapter.type"), "adapter.type", "qlora needs 4-bit base weights", "load_in_4bit: false",
             "load_in_4bit: true", "add load_in_4bit: true, or use adapter: lora");
  }
  exclusive(q.load_in_4bit, "quantization.load_in_4bit", q.load_in_8bit, "quantization.load_in_8bit", st);
  if (q.load_in_4bit && c.adapter.type == AdapterType::kNone && !st.is_bad("adapter.type")) {
    st.error(st.where("quantization.load_in_4bit"), "quantization.load_in_4bit",
             "4-bit weights cannot be trained without an adapter", "adapter: none", "adapter: qlora");
  }
  exclusive(c.training.warmup_steps > 0, "training.warmup_steps", c.training.warmup_ratio > 0,
            "training.warmup_ratio", st);
  exclusive(c.eval.eval_steps > 0, "eval.steps", c.eval.evals_per_epoch > 0, "eval.per_epoch", st);
  exclusive(c.checkpoint.save_steps > 0, "checkpoint.save_steps", c.checkpoint.saves_per_epoch > 0,
            "checkpoint.per_epoch", st);
  if (c.adapter.type != AdapterType::kNone) {
    check_names(c.adapter.target_modules, llama_linear_names(), "adapter.target_modules", "lora_target_modules", st);
    check_names(c.adapter.modules_to_save, llama_saveable_modules(), "adapter.modules_to_save",
                "lora_modules_to_save", st);
  }
  double v = c.data.val_set_size;
  if (v >= 1 && v != static_cast<double>(static_cast<int64_t>(v))) {
    st.error(st.where("data.val_set_size"), "data.val_set_size", "a row count must be whole", std::to_string(v),
             "a share below 1 or a whole number of rows");
  }
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets}) {
    for (const auto& d : *list) {
      if (d.format == DatasetFormat::kCustom && d.field_instruction.empty()) {
        st.error(st.where("datasets"), "datasets", "custom format without an instruction column", d.path,
                 "columns: {instruction: ...}");
      }
    }
  }
  check_preference(c, st);
}

}  // namespace axolotl::config::detail
