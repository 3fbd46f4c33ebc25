// Reward-model keys (see reward_fields.h).
#include "reward_fields.h"

namespace axolotl::config::detail {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::vector<Field> reward_fields() {
  using C = Config;
  return {
      plain<C>("preference.reward_model", {"reward_model"}, AXOLOTL_REF(preference.reward_model),
               "train a Bradley-Terry reward model (TRL's RewardTrainer) on bradley_terry.chat_template pairs"),
      plain<C>("preference.process_reward_model", {"process_reward_model"},
               AXOLOTL_REF(preference.process_reward_model),
               "train a process reward model (TRL's PRMTrainer: a label per step) on stepwise_supervised rows"),
      plain<C>("preference.center_rewards_coefficient", {"center_rewards_coefficient"},
               AXOLOTL_REF(preference.center_rewards_coefficient),
               "reward models: + coefficient · mean((r_chosen + r_rejected)²), towards mean-zero rewards", at_least(0)),
      plain<C>("model.num_labels", {"num_labels"}, AXOLOTL_REF(model.num_labels),
               "outputs of the classification head (reward_model: 1, process_reward_model: 2, the defaults; 0 = a "
               "causal LM)", at_least(0)),
  };
}

namespace {

// What both kinds refuse: an adapter, packing, rl:, a pretraining stream, datasets of another type,
// metric_for_best_model names the run does not log.
void check_common(const Config& c, State& st, const std::string& flag, DatasetFormat format,
                  const std::vector<std::string>& metrics) {
  const auto& p = c.preference;
  const std::string type_name = format == DatasetFormat::kStepwise ? "stepwise_supervised"
                                                                   : "bradley_terry.chat_template";
  if (!p.method.empty()) {
    st.error(st.where("preference.method"), "rl", flag + ": true is its own trainer", p.method,
             "rl unset with " + flag + ": true");
  }
  if (c.data.sample_packing) {
    st.error(st.where("data.sample_packing"), "sample_packing", "reward models score one sequence per row "
             "(packing is not implemented for them)", "true", "sample_packing: false with " + flag + ": true");
  }
  if (c.data.pretrain.enabled()) {
    st.error(st.where("data.datasets"), "pretraining_dataset", "reward models train on labelled rows, not a "
             "pretraining stream", "pretraining_dataset", "datasets of type " + type_name);
  }
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets})
    for (const auto& d : *list)
      if (d.format != format) {
        st.error(st.where("datasets"), "datasets", flag + ": true needs " + type_name + " rows",
                 d.type_name.empty() ? "pre-tokenized rows" : d.type_name, type_name);
      }
  if (const std::string& m = c.eval.metric_for_best_model; !m.empty()) {
    const std::string bare = m.rfind("eval_", 0) == 0 ? m.substr(5) : m;
    std::string names;
    bool known = false;
    for (const auto& k : metrics) {
      known = known || bare == k;
      names += (names.empty() ? "" : ", ") + k;
    }
    if (!known) {
      st.error(st.where("eval.metric_for_best_model"), "metric_for_best_model",
               "not an eval metric of a " + flag + " run", m, names + " (eval_ prefix optional)");
    }
  }
}

// Datasets of `format` without their flag.
void check_stray_rows(const Config& c, State& st, DatasetFormat format, const std::string& flag) {
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets})
    for (const auto& d : *list)
      if (d.format == format) {
        st.error(st.where("datasets"), "datasets", d.type_name + " rows train " +
                 (format == DatasetFormat::kStepwise ? "process reward models" : "reward models"), d.type_name,
                 flag + ": true", "set " + flag + ": true, or use an SFT type such as chat_template");
      }
}

}  // namespace

void check_reward(const Config& c, State& st) {
  const auto& p = c.preference;
  const std::string& type = c.model.model_type;
  const bool sequence = ends_with(type, "ForSequenceClassification");
  const bool token = ends_with(type, "ForTokenClassification");
  if (p.reward_model && p.process_reward_model) {
    st.error(st.where("preference.process_reward_model"), "process_reward_model", "reward_model and "
             "process_reward_model are two different trainers", "both true", "one of them");
    return;
  }
  if (!p.reward_model && !p.process_reward_model) {
    if (sequence || token) {
      st.error(st.where("model.type"), "model_type", "classification models outside reward modelling are not "
               "supported", type, sequence ? "reward_model: true" : "process_reward_model: true",
               "only reward models (reward_model, process_reward_model) train a score head here");
    }
    if (c.model.num_labels > 0) {
      st.error(st.where("model.num_labels"), "num_labels", "classification heads outside reward modelling are not "
               "supported", std::to_string(c.model.num_labels), "reward_model or process_reward_model: true, or no "
               "num_labels", "classifiers other than reward models are not supported");
    }
    if (p.center_rewards_coefficient) {
      st.note(st.where("preference.center_rewards_coefficient"), "center_rewards_coefficient",
              "ignored: only reward models (reward_model: true) read it", "remove center_rewards_coefficient");
    }
    check_stray_rows(c, st, DatasetFormat::kBradleyTerry, "reward_model");
    check_stray_rows(c, st, DatasetFormat::kStepwise, "process_reward_model");
    return;
  }
  const bool causal = type.empty() || type == "AutoModelForCausalLM" || ends_with(type, "ForCausalLM");
  if (p.reward_model) {
    if (!causal && !sequence) {
      st.error(st.where("model.type"), "model_type", "reward_model: true trains a sequence classifier", type,
               "AutoModelForSequenceClassification (or unset)",
               token ? "a token classifier (a score per token) is a process reward model: process_reward_model: true"
                     : "");
    }
    if (c.model.num_labels != 1) {
      st.error(st.where("model.num_labels"), "num_labels", "TRL's RewardTrainer scores each sequence with one logit",
               std::to_string(c.model.num_labels), "1");
    }
    check_common(c, st, "reward_model", DatasetFormat::kBradleyTerry,
                 {"loss", "accuracy", "margin", "min_reward", "mean_reward", "max_reward", "runtime", "tokens"});
    return;
  }
  if (!causal && !token) {
    st.error(st.where("model.type"), "model_type", "process_reward_model: true trains a token classifier", type,
             "AutoModelForTokenClassification (or unset)",
             sequence ? "a sequence classifier (one score per sequence) is a reward model: reward_model: true" : "");
  }
  if (c.model.num_labels < 2) {
    st.error(st.where("model.num_labels"), "num_labels", "a process reward model classifies each step's last token "
             "(labels 0 and 1 at least)", std::to_string(c.model.num_labels), "2 or more");
  }
  if (p.center_rewards_coefficient) {
    st.note(st.where("preference.center_rewards_coefficient"), "center_rewards_coefficient",
            "ignored: only reward models (reward_model: true) read it", "remove center_rewards_coefficient");
  }
  check_common(c, st, "process_reward_model", DatasetFormat::kStepwise, {"loss", "accuracy", "runtime", "tokens"});
}

void derive_reward(Config& c, State& /*st*/) {
  const auto& p = c.preference;
  if (p.process_reward_model && !p.reward_model) {
    if (c.model.num_labels == 0) c.model.num_labels = 2;  // set_reward_model_defaults
    c.model.token_classification = true;
    return;
  }
  if (!p.reward_model) return;
  if (c.model.num_labels == 0) c.model.num_labels = 1;  // set_reward_model_defaults
  // hint_reward_model_pad: pad_to_sequence_len None -> True (an explicit false stays).
  if (!c.data.pad_to_sequence_len) c.data.pad_to_sequence_len = true;
}

}  // namespace axolotl::config::detail
