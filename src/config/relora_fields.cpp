// ReLoRA keys (see relora_fields.h).
#include "relora_fields.h"

namespace axolotl::config::detail {
namespace {

const Names<ReLoraPrune> kPrune = {{"magnitude", ReLoraPrune::kMagnitude}, {"random", ReLoraPrune::kRandom},
                                   {"reset", ReLoraPrune::kReset}};

// An int (0 = unset), or false (Axolotl's examples write `jagged_restart_anneal_steps: false`; pydantic reads it
// as 0 and the trainer's `or` takes the default).
Field steps_or_false(std::string nested, std::string flat, int64_t TrainingConfig::*member, std::string help) {
  Field f;
  f.nested = std::move(nested);
  f.flat = {std::move(flat)};
  f.type = "int >= 0 | false";
  f.help = std::move(help);
  f.schema = Json{{"anyOf", Json::array({int_schema(at_least(0)), bool_schema()})}};
  f.set = [member](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    bool b = true;
    if (read_bool(n, b) && !b) {
      c.training.*member = 0;
      return;
    }
    int64_t v = 0;
    if (read_value(n, v, st, key, at_least(0))) c.training.*member = v;
  };
  f.get = [member](const Config& c) { return Json(c.training.*member); };
  f.reset = [member](Config& c) { c.training.*member = 0; };
  return f;
}

}  // namespace

std::vector<Field> relora_fields() {
  using C = Config;
  return {
      plain<C>("training.relora.enabled", {"relora"}, AXOLOTL_REF(training.relora.enabled),
               "ReLoRA: every jagged_restart_steps steps merge the adapter into the base weights and start it "
               "afresh (LoRA/QLoRA)"),
      plain<C>("training.relora.prune_ratio", {"relora_prune_ratio"}, AXOLOTL_REF(training.relora.prune_ratio),
               "ReLoRA: share of the LoRA weights' Adam moments zeroed at each restart (default 0.9; reset: 0.999)",
               between(0, 1)),
      choice<C>("training.relora.prune_method", {"relora_prune_method"}, AXOLOTL_REF(training.relora.prune_method),
                kPrune, "ReLoRA: which moments are zeroed (smallest magnitudes, or at random)"),
      plain<C>("training.relora.cpu_offload", {"relora_cpu_offload"}, AXOLOTL_REF(training.relora.cpu_offload),
               "ReLoRA: merge on the CPU (merges here run where the weights are)"),
      plain<C>("training.jagged_restart_steps", {"jagged_restart_steps"}, AXOLOTL_REF(training.jagged_restart_steps),
               "restart the learning rate (and ReLoRA's adapter) every this many steps; 0 = off", at_least(0)),
      steps_or_false("training.jagged_restart_warmup_steps", "jagged_restart_warmup_steps",
                     &TrainingConfig::jagged_restart_warmup_steps, "warm-up steps after each restart (0: 10)"),
      steps_or_false("training.jagged_restart_anneal_steps", "jagged_restart_anneal_steps",
                     &TrainingConfig::jagged_restart_anneal_steps, "anneal steps before each restart (0: 1)"),
  };
}

void check_relora(const Config& c, State& st) {
  const auto& r = c.training.relora;
  if (!r.enabled) {
    if (r.cpu_offload || r.prune_ratio) {
      st.note(st.where(r.prune_ratio ? "training.relora.prune_ratio" : "training.relora.cpu_offload"),
              r.prune_ratio ? "relora_prune_ratio" : "relora_cpu_offload", "ignored: relora is off");
    }
    return;
  }
  if (c.training.jagged_restart_steps <= 0) {
    st.error(st.where("training.relora.enabled"), "relora", "ReLoRA restarts every jagged_restart_steps steps",
             "no jagged_restart_steps", "jagged_restart_steps: N", "Axolotl requires it as well");
  }
  if (c.adapter.type == AdapterType::kNone && !st.is_bad("adapter.type")) {
    st.error(st.where("training.relora.enabled"), "relora", "ReLoRA merges and restarts a LoRA adapter",
             "no adapter", "adapter: lora or qlora");
  }
  if (c.training.optimizer != Optimizer::kAdamW && !st.is_bad("training.optimizer")) {
    st.error(st.where("training.optimizer"), "optimizer", "ReLoRA prunes Adam's moments at each restart",
             c.training.optimizer_name, "an AdamW optimizer (adamw_torch, adamw_bnb_8bit, ...)",
             "Axolotl's ReLoRA callback refuses other optimizers too");
  }
  const auto& p = c.preference;
  if (!p.method.empty() || p.reward_model || p.process_reward_model) {
    st.error(st.where("training.relora.enabled"), "relora", "ReLoRA restarts are implemented for supervised "
             "training (Axolotl's causal trainer)", p.method.empty() ? "a reward model" : "rl: " + p.method,
             "no rl:, reward_model or process_reward_model");
  }
  if (c.adapter.loftq_bits > 0) {
    st.error(st.where("training.relora.enabled"), "relora", "ReLoRA merges into the base, which LoftQ replaces by "
             "its quantized form: the two are not combined", "peft.loftq_config", "one of relora, loftq_config");
  }
  if (r.cpu_offload) {
    st.note(st.where("training.relora.cpu_offload"), "relora_cpu_offload", "merges run where the weights are "
            "(the CPU unless device is CUDA); the merged base streams through disk either way");
  }
}

}  // namespace axolotl::config::detail
