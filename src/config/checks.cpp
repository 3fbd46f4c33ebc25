// Cross-field checks of a loaded config; each problem points at the key that was set last.
#include "checks.h"
#include "pretrain_fields.h"
#include "qat_fields.h"
#include "relora_fields.h"
#include "reward_fields.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "axolotl/config/resolve.h"
#include "axolotl/config/unfreeze_pattern.h"
#include "axolotl/data/chat_template.h"

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

// Module paths of one LLaMA decoder layer (layer 0), as Hugging Face names them; also as PEFT names
// them in the text tower of a multimodal Gemma-3 (model.language_model.layers.0..., model/family.h).
std::vector<std::string> llama_module_paths() {
  std::vector<std::string> out;
  for (const char* prefix : {"model.layers.0.", "model.language_model.layers.0."}) {
    for (const auto& n : llama_linear_names()) {
      const bool attn = n == "q_proj" || n == "k_proj" || n == "v_proj" || n == "o_proj";
      out.push_back(std::string(prefix) + (attn ? "self_attn." : "mlp.") + n);
    }
  }
  return out;
}

// lora_target_modules entries: a name (q_proj) or a dotted suffix of a module path (self_attn.q_proj,
// layers.3.mlp.up_proj), as PEFT matches list entries.
void check_target_modules(const std::vector<std::string>& names, State& st) {
  std::vector<std::string> dotted;
  for (const auto& n : names) {
    if (n.find('.') != std::string::npos) dotted.push_back(n);
  }
  std::vector<std::string> plain_names;
  for (const auto& n : names) {
    if (n.find('.') == std::string::npos) plain_names.push_back(n);
  }
  check_names(plain_names, llama_linear_names(), "adapter.target_modules", "lora_target_modules", st);
  for (const auto& entry : dotted) {
    std::string norm;  // layer numbers compared as layer 0
    size_t i = 0;
    while (i < entry.size()) {
      size_t j = entry.find('.', i);
      if (j == std::string::npos) j = entry.size();
      const std::string seg = entry.substr(i, j - i);
      const bool digits = !seg.empty() && std::all_of(seg.begin(), seg.end(), [](unsigned char ch) { return std::isdigit(ch); });
      norm += (norm.empty() ? "" : ".") + (digits ? std::string("0") : seg);
      i = j + 1;
    }
    bool found = false;
    for (const auto& p : llama_module_paths()) {
      if (p == norm || (p.size() > norm.size() && p.compare(p.size() - norm.size(), norm.size(), norm) == 0 &&
                        p[p.size() - norm.size() - 1] == '.')) {
        found = true;
      }
    }
    if (!found) {
      st.error(st.where("adapter.target_modules"), "lora_target_modules", "not a module suffix of a LLaMA model",
               "'" + entry + "'", "a name (q_proj) or a suffix of model.layers.N.self_attn.q_proj / mlp.up_proj");
    }
  }
}

// lora_target_modules as one regex: it must fully match some LLaMA module path.
void check_target_regex(const std::string& rx, State& st) {
  std::regex re;
  try {
    re = std::regex(rx);
  } catch (const std::regex_error&) {
    return;  // reported where it was read
  }
  for (const auto& p : llama_module_paths()) {
    if (std::regex_match(p, re)) return;
  }
  st.error(st.where("adapter.target_modules"), "lora_target_modules", "the regex matches no module of a LLaMA model",
           "'" + rx + "'", "a full match of names such as model.layers.0.self_attn.q_proj",
           "is this config for another architecture (a vision or MoE model)?");
}

// Both of two alternatives set: name both and where they are.
void exclusive(bool a, const char* pa, bool b, const char* pb, State& st) {
  if (!a || !b || st.is_bad(pa) || st.is_bad(pb)) return;
  st.error(st.where(pb), pb, std::string("set together with ") + pa + " (" + st.where(pa).str() + ")",
           std::string("both"), "one of them");
}

// The keys user_defined.default reads for `rl` (Axolotl prompt_strategies/{dpo,kto}/user_defined.py).
std::vector<std::string> user_defined_keys(const std::string& rl) {
  if (rl == "kto") return {"field_prompt", "field_system", "field_completion", "field_label", "prompt_format", "completion_format"};
  return {"field_prompt", "field_system", "field_chosen", "field_rejected", "prompt_format", "chosen_format", "rejected_format"};
}

// Axolotl's prompt_strategies/kto/{chatml,llama3,user_defined}.py (data/kto_strategy.h renders them).
bool kto_type(const std::string& type) {
  if (type == "user_defined.default") return true;
  for (const char* prefix : {"chatml.", "llama3."}) {
    if (type.rfind(prefix, 0) != 0) continue;
    const std::string v = type.substr(std::string(prefix).size());
    return v == "argilla" || v == "argilla_chat" || v == "intel" || v == "prompt_pairs" || v == "ultra";
  }
  return false;
}

// rl: and the datasets, adapter and options it can run with (train/objective_factory.h).
void check_preference(const Config& c, State& st) {
  const auto& p = c.preference;
  const bool rl = !p.method.empty();
  const bool kto = p.method == "kto";
  // Online methods are refused alone: their datasets are prompts, not rows to check against DPO's.
  if (p.method == "grpo" || p.method == "gdpo" || p.method == "ebft") {
    st.error(st.where("preference.method"), "rl", "online RL (generating completions during training and scoring "
             "them) is not implemented", p.method, "dpo, ipo, orpo, simpo or kto",
             "the offline preference methods train on chosen/rejected or labelled completions");
    return;
  }
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets}) {
    for (const auto& d : *list) {
      const bool pref = d.format == DatasetFormat::kPreference;
      if (pref && !rl) {
        st.error(st.where("datasets"), "datasets", "a preference dataset type in supervised training", d.type_name,
                 "rl: dpo, ipo, orpo, simpo or kto", "set rl: dpo, or use an SFT type such as chat_template");
      } else if (rl && !pref) {
        st.error(st.where("datasets"), "datasets", "rl: " + p.method + " needs preference rows",
                 d.type_name.empty() ? "pre-tokenized rows" : d.type_name,
                 kto ? "chatml.{argilla,argilla_chat,intel,prompt_pairs,ultra}, llama3.<same>, a user_defined `type:` "
                       "map, or no `type:` (rows already {prompt, completion, label})"
                     : "chatml.{default,intel,icr,prompt_pairs,argilla_chat,ultra}, llama3.<same>, chat_template.*, "
                       "zephyr.nectar, passthrough, a user_defined `type:` map, or no `type:` (rows already "
                       "{prompt, chosen, rejected})");
      } else if (kto && pref && !kto_type(d.type_name)) {
        st.error(st.where("datasets"), "datasets", "rl: kto reads Axolotl's KTO dataset types (one completion and a "
                 "label per row)", d.type_name, "chatml.{argilla,argilla_chat,intel,prompt_pairs,ultra}, llama3.<same> or a user_defined `type:` map");
      }
    }
  }
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets}) {
    for (const auto& d : *list) {
      if (rl && d.type_map) {  // the supervised user-defined keys mean nothing to user_defined.default
        const DatasetConfig plain;
        std::vector<std::string> sft;
        if (d.field_instruction != plain.field_instruction) sft.push_back("field_instruction");
        if (d.field_input != plain.field_input) sft.push_back("field_input");
        if (d.field_output != plain.field_output) sft.push_back("field_output");
        if (!d.prompt_format.empty()) sft.push_back("format");
        if (!d.no_input_format.empty()) sft.push_back("no_input_format");
        if (!d.system_prompt.empty()) sft.push_back("system_prompt");
        if (d.system_format != plain.system_format) sft.push_back("system_format");
        if (!sft.empty())
          st.error(st.where("datasets"), "datasets", "rl: " + p.method + "'s user_defined.default does not read " +
                   "the supervised user-defined keys", join(sft), join(user_defined_keys(p.method)));
      }
      const auto allowed = user_defined_keys(p.method);
      for (const auto& [k, v] : d.user_defined) {
        if (!rl) {
          st.error(st.where("datasets"), "datasets", "'" + k + "' in a user-defined type is read by rl's user_defined.default",
                   k + ": " + v, "field_instruction, field_input, field_output, field_system, format, ... without rl",
                   "set rl: dpo or rl: kto to train on preference rows");
        } else if (rl && std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
          st.error(st.where("datasets"), "datasets", "rl: " + p.method + "'s user_defined.default does not read '" + k + "'",
                   k + ": " + v, join(allowed));
        }
      }
    }
  }
  if (!rl) return;
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets}) {
    for (const auto& d : *list) {
      // passthrough.default: also a dataset without `type:` (rows as they are), which ORPO reads too.
      const bool orpo_type = d.type_name == "chat_template.argilla";
      const bool as_is = d.type_name == "passthrough.default" && p.method == "orpo";
      if (!kto && d.format == DatasetFormat::kPreference && !as_is && orpo_type != (p.method == "orpo")) {
        st.error(st.where("datasets"), "datasets", orpo_type ? "chat_template.argilla is ORPO's dataset type"
                                                             : "rl: orpo reads Axolotl's ORPO dataset type",
                 d.type_name, orpo_type ? "rl: orpo" : "chat_template.argilla");
      }
    }
  }
  if (kto && c.training.micro_batch_size < 2 && !st.is_bad("training.micro_batch_size")) {
    st.error(st.where("training.micro_batch_size"), "micro_batch_size",
             "KTO estimates its KL term from the other rows of a micro-batch", std::to_string(c.training.micro_batch_size),
             "2 or more", "TRL refuses a per-device batch of 1: the KL term would equal the implied reward");
  }
  // Axolotl passes dpo_use_weighting to TRL's DPOConfig only (rl: dpo, ipo); the other trainers never read it.
  if (p.dpo_use_weighting && !p.method.empty() && p.method != "dpo" && p.method != "ipo")
    st.note(st.where("preference.use_weighting"), "dpo_use_weighting",
            "ignored: WPO weighting applies to rl: dpo and ipo, not rl: " + p.method, "remove dpo_use_weighting");
}

// chat_template names (data::resolve_chat_template's choices) and their chat_template_jinja, for the
// top level and each dataset entry, so a typo fails at validate rather than at preprocess.
void check_chat_template(const std::string& choice, const std::string& jinja, const std::string& fallback_jinja,
                         const std::string& key, const std::string& jinja_key, const Location& at, State& st) {
  const std::string kFallback = "tokenizer_default_fallback_";
  std::vector<std::string> names = data::named_chat_templates();
  names.push_back("mistral");
  auto known = [&](const std::string& n) { return contains(names, n); };
  if (choice.empty() || choice == "tokenizer_default") return;
  if (choice == "jinja") {
    if (jinja.empty() && fallback_jinja.empty()) {
      st.error(at, jinja_key, "chat_template: jinja needs the template text", "nothing",
               "chat_template_jinja: inline Jinja text or a file path");
    }
    return;
  }
  if (!jinja.empty()) {
    st.note(at, jinja_key, "ignored: chat_template is " + choice + ", not jinja",
            "drop chat_template (or set it to jinja) to use this text");
  }
  std::string name = choice.rfind(kFallback, 0) == 0 ? choice.substr(kFallback.size()) : choice;
  if (known(name)) return;
  // Axolotl's other bundled templates (utils/chat_templates/templates/): real names, not carried here.
  static const char* const kAxolotlOnly[] = {
      "aya", "cohere", "command_a", "command_a_rag", "command_a_tool_use", "deepseek_v2", "deepseek_v3", "exaone",
      "exaone4", "falcon_h1", "gemma3n", "gemma4", "gemma4_unified", "jamba", "llama3_2_vision", "llama4", "llava",
      "metharme", "mistral_v7_tekken", "nemotron_h", "phi_35", "pixtral", "qwen2_vl", "qwen3_5"};
  for (const char* a : kAxolotlOnly) {
    if (name == a) {
      return st.error(at, key, "Axolotl's chat template '" + name + "' is not supported here (not bundled)", "'" + choice + "'",
                      "one of " + join(names),
                      "use tokenizer_default (the model's own template) or chat_template: jinja with its text");
    }
  }
  std::vector<std::string> all = names;
  all.push_back("tokenizer_default");
  all.push_back("jinja");
  for (const auto& n : names) all.push_back(kFallback + n);
  std::string guess = did_you_mean(choice, all);
  st.error(at, key, "unknown chat template", "'" + choice + "'",
           "tokenizer_default, tokenizer_default_fallback_<name>, jinja, or one of " + join(names),
           guess.empty() ? "" : "did you mean '" + guess + "'?");
}

void check_chat_templates(const Config& c, State& st) {
  const auto& d = c.data;
  if (!st.is_bad("data.chat_template")) {
    check_chat_template(d.chat_template, d.chat_template_jinja, "", "chat_template", "chat_template_jinja",
                        st.where(st.was_set("data.chat_template") ? "data.chat_template" : "data.chat_template_jinja"),
                        st);
  }
  for (const auto* list : {&d.datasets, &d.test_datasets}) {
    const std::string base = list == &d.datasets ? "datasets" : "test_datasets";
    for (size_t i = 0; i < list->size(); ++i) {
      const auto& ds = (*list)[i];
      if (ds.chat_template.empty() && ds.chat_template_jinja.empty()) continue;
      const std::string key = base + "[" + std::to_string(i) + "].chat_template";
      check_chat_template(ds.chat_template.empty() ? "jinja" : ds.chat_template, ds.chat_template_jinja,
                          d.chat_template_jinja, key, key + "_jinja", st.where(base), st);
    }
  }
}

// Axolotl's check_evals: eval_steps and evals_per_epoch only go with eval_strategy steps (or unset).
void check_eval_strategy(const EvalConfig& e, State& st) {
  if (e.strategy == EvalStrategy::kAuto || e.strategy == EvalStrategy::kSteps || st.is_bad("eval.strategy")) return;
  const char* name = e.strategy == EvalStrategy::kEpoch ? "epoch" : "no";
  if (e.eval_steps > 0) {
    st.error(st.where("eval.strategy"), "eval_strategy", "eval_strategy and eval_steps mismatch",
             std::string("eval_strategy: ") + name + " with eval_steps: " + std::to_string(e.eval_steps),
             "eval_strategy: steps", "set eval_strategy to steps or remove eval_steps (as Axolotl requires)");
  }
  if (e.evals_per_epoch > 0) {
    st.error(st.where("eval.strategy"), "eval_strategy", "evals_per_epoch needs eval_strategy steps or unset",
             std::string("eval_strategy: ") + name + " with evals_per_epoch: " + std::to_string(e.evals_per_epoch),
             "eval_strategy: steps (or unset)", "remove one of the two (as Axolotl requires)");
  }
}

// LISA (Axolotl's LISACallback): on only with both keys, full fine-tuning of the decoder layers.
void check_lisa(const Config& c, State& st) {
  const auto& t = c.training;
  if ((t.lisa_n_layers > 0) != (t.lisa_step_interval > 0)) {
    const bool n = t.lisa_n_layers > 0;
    st.note(st.where(n ? "training.lisa_n_layers" : "training.lisa_step_interval"), n ? "lisa_n_layers" : "lisa_step_interval",
            "LISA is off: it needs both lisa_n_layers and lisa_step_interval", "set the other key too");
    return;
  }
  if (t.lisa_n_layers == 0) return;
  if (c.adapter.type != AdapterType::kNone && !st.is_bad("adapter.type")) {
    st.error(st.where("training.lisa_n_layers"), "lisa_n_layers", "LISA trains whole decoder layers: full fine-tuning only",
             "adapter: " + std::string(c.adapter.type == AdapterType::kQlora ? "qlora" : "lora"), "no adapter",
             "drop the adapter keys (Axolotl's callback would unfreeze the base weights under PEFT)");
  }
  if (t.lisa_layers_attribute != "model.layers" && t.lisa_layers_attribute != "model.language_model.layers") {
    st.error(st.where("training.lisa_layers_attribute"), "lisa_layers_attribute", "not where this model keeps its layers",
             t.lisa_layers_attribute, "model.layers (or model.language_model.layers for a multimodal Gemma-3)");
  }
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
  if (c.model.reinit_weights && (q.load_in_4bit || q.load_in_8bit)) {
    // Axolotl's from_config path drops the quantization config: its "QLoRA" would train a dense model.
    st.error(st.where("model.reinit_weights"), "reinit_weights",
             "random weights cannot be combined with a quantized base", q.load_in_4bit ? "load_in_4bit: true" : "load_in_8bit: true",
             "load_in_4bit and load_in_8bit false", "Axolotl would build the random model unquantized; use adapter: lora or full fine-tuning");
  }
  check_lisa(c, st);
  if (c.adapter.loftq_bits > 0 && (c.adapter.type != AdapterType::kLora || q.load_in_4bit || q.load_in_8bit)) {
    st.error(st.where("adapter.peft"), "peft.loftq_config", "LoftQ initialises a LoRA adapter over the dense base "
             "(it stands in for the quantized base)", q.load_in_4bit || q.load_in_8bit ? "a quantized base" : "no lora adapter",
             "adapter: lora without load_in_4bit / load_in_8bit", "as Axolotl's examples/llama-2/loftq.yml");
  }
  if (c.data.sample_packing_sequentially && c.data.sample_packing && !c.data.curriculum_sampling) {
    st.note(st.where("data.sample_packing_sequentially"), "sample_packing_sequentially",
            "rows are shuffled before the in-order packing (as Axolotl's random sampler does); add "
            "curriculum_sampling: true to pack them in dataset order");
  }
  exclusive(c.training.warmup_steps > 0, "training.warmup_steps", c.training.warmup_ratio > 0,
            "training.warmup_ratio", st);
  exclusive(c.eval.eval_steps > 0, "eval.steps", c.eval.evals_per_epoch > 0, "eval.per_epoch", st);
  check_eval_strategy(c.eval, st);
  exclusive(c.checkpoint.save_steps > 0, "checkpoint.save_steps", c.checkpoint.saves_per_epoch > 0,
            "checkpoint.per_epoch", st);
  // Supervised runs evaluate loss, perplexity, runtime and tokens (train/trainer_eval.cpp); a
  // preference objective's metric names are checked when its trainer starts.
  if (!c.eval.metric_for_best_model.empty() && c.preference.method.empty() && !c.preference.reward_model &&
      !c.preference.process_reward_model) {
    const std::string& m = c.eval.metric_for_best_model;
    const std::string bare = m.rfind("eval_", 0) == 0 ? m.substr(5) : m;
    if (bare != "loss" && bare != "perplexity" && bare != "runtime" && bare != "tokens") {
      st.error(st.where("eval.metric_for_best_model"), "metric_for_best_model", "not an eval metric of this run", m,
               "loss, perplexity, runtime or tokens (the eval_ prefix is optional)");
    }
  }
  // Axolotl's check_save_strategy_best_requires_metric.
  if (c.checkpoint.save_strategy == SaveStrategy::kBest && c.eval.metric_for_best_model.empty() &&
      !st.is_bad("checkpoint.save_strategy")) {
    st.error(st.where("checkpoint.save_strategy"), "save_strategy", "save_strategy: best needs metric_for_best_model",
             "no metric_for_best_model", "metric_for_best_model: eval_loss (or another eval metric)",
             "Axolotl requires it as well");
  }
  if (c.adapter.type != AdapterType::kNone) {
    if (!st.is_bad("adapter.target_modules")) {
      check_target_modules(c.adapter.target_modules, st);
      if (!c.adapter.target_regex.empty()) check_target_regex(c.adapter.target_regex, st);
    }
    check_names(c.adapter.modules_to_save, llama_saveable_modules(), "adapter.modules_to_save",
                "lora_modules_to_save", st);
  }
  for (const auto& pattern : c.training.unfrozen_parameters) {
    try {
      parse_unfreeze_pattern(pattern);
    } catch (const ConfigError& e) {
      for (const auto& d : e.problems()) st.error(st.where("training.unfrozen_parameters"), d.key, d.message, d.found,
                                                  d.expected, d.hint);
    }
  }
  // Read, but with nothing to do here (Axolotl's examples set them): one warning each.
  if (c.training.tf32) {
    st.note(st.where("training.tf32"), "tf32", "TF32 matmuls are not enabled: CUDA matmuls run in the training "
            "precision (no effect on CPU)");
  }
  if (c.training.use_eaft && (!c.preference.method.empty() || c.preference.reward_model ||
                               c.preference.process_reward_model)) {
    st.note(st.where("training.use_eaft"), "use_eaft", "EAFT weights the supervised loss only (Axolotl's causal "
            "trainer): this run's " + std::string(c.preference.method.empty() ? "reward" : c.preference.method) +
            " loss is not weighted");
  }
  if (c.eval.eval_table_size > 0) {
    st.note(st.where("eval.table_size"), "eval_table_size", "sample generations are not logged during evaluation; "
            "run `axolotl inference` on a checkpoint");
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
  check_pretraining(c, st);
  check_qat(c, st);
  check_relora(c, st);
  check_reward(c, st);
  check_chat_templates(c, st);
}

void derive_config(Config& c, State& st) {
  derive_reward(c, st);
  // Axolotl's MuonOptimizerFactory: its AdamW groups take (adam_beta1, adam_beta2) only when both are
  // set, else Muon's own (0.9, 0.95).
  if (c.training.optimizer == Optimizer::kMuon &&
      !(st.was_set("training.adam_beta1") && st.was_set("training.adam_beta2"))) {
    c.training.adam_beta1 = 0.9;
    c.training.adam_beta2 = 0.95;
  }
  // Axolotl's check_chat_template_config: chat_template_jinja alone means chat_template: jinja.
  if (c.data.chat_template.empty() && !c.data.chat_template_jinja.empty()) c.data.chat_template = "jinja";
  c.data.rl = c.preference.method;  // SimPO (CPO) and KTO tokenize their rows their own way
  // Axolotl's rl loader (utils/data/rl.py _load_split): a `type:` map is user_defined.default; without
  // `type:` the rows are taken as they are ({prompt, chosen, rejected}; KTO's {prompt, completion,
  // label}, which KTO's user_defined.default with its defaults reads unchanged). Online methods keep
  // their own refusal (check_preference).
  const std::string& rl = c.preference.method;
  if (!rl.empty() && rl != "grpo" && rl != "gdpo" && rl != "ebft")
    for (auto* list : {&c.data.datasets, &c.data.test_datasets})
      for (auto& d : *list)
        if (d.type_map || d.format == DatasetFormat::kPretokenized) {  // (no `type:` reads as pretokenized)
          d.type_name = d.type_map || rl == "kto" ? "user_defined.default" : "passthrough.default";
          d.format = DatasetFormat::kPreference;
        }
  // Axolotl's builder (core/builders/causal.py): load_best_model_at_end holds only with an eval split
  // and save_steps a multiple of eval_steps; early_stopping_patience turns it on as well.
  auto& ck = c.checkpoint;
  const bool eval_split = c.data.test_datasets.empty() ? c.data.val_set_size > 0 : c.data.val_set_size == 0;
  const bool aligned = ck.save_steps > 0 && c.eval.eval_steps > 0 && ck.save_steps % c.eval.eval_steps == 0;
  if (ck.load_best_model_at_end && !(eval_split && aligned)) {
    st.note(st.where("checkpoint.load_best_model_at_end"), "load_best_model_at_end",
            "off: as in Axolotl it needs an eval split (val_set_size or test_datasets) and save_steps a multiple of "
            "eval_steps (found save_steps " + std::to_string(ck.save_steps) + ", eval_steps " +
                std::to_string(c.eval.eval_steps) + ")");
  }
  ck.load_best_model_at_end = (ck.load_best_model_at_end || c.eval.early_stopping_patience > 0) && eval_split && aligned;
  auto& t = c.training;
  // Axolotl's normalize_config: gradient_accumulation_steps = batch_size // micro_batch_size, and
  // its check_gas_bsz: never both.
  if (t.batch_size && !st.is_bad("training.step_batch_size")) {
    if (st.was_set("training.gradient_accumulation")) {
      st.error(st.where("training.step_batch_size"), "batch_size", "set together with gradient_accumulation_steps (" +
               st.where("training.gradient_accumulation").str() + ")", "both", "one of them");
    } else if (*t.batch_size < t.micro_batch_size) {
      st.error(st.where("training.step_batch_size"), "batch_size", "smaller than micro_batch_size",
               std::to_string(*t.batch_size), ">= micro_batch_size (" + std::to_string(t.micro_batch_size) + ")");
    } else {
      t.gradient_accumulation_steps = *t.batch_size / t.micro_batch_size;
      if (*t.batch_size % t.micro_batch_size != 0) {
        st.note(st.where("training.step_batch_size"), "batch_size",
                "not a multiple of micro_batch_size: gradient_accumulation_steps = " +
                    std::to_string(t.gradient_accumulation_steps) + " (rounded down, as Axolotl does)");
      }
    }
  }
}

}  // namespace axolotl::config::detail
