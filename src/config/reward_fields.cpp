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
      plain<C>("preference.center_rewards_coefficient", {"center_rewards_coefficient"},
               AXOLOTL_REF(preference.center_rewards_coefficient),
               "reward models: + coefficient · mean((r_chosen + r_rejected)²), towards mean-zero rewards", at_least(0)),
      plain<C>("model.num_labels", {"num_labels"}, AXOLOTL_REF(model.num_labels),
               "outputs of the classification head (reward_model: 1, the default; 0 = a causal LM)", at_least(0)),
  };
}

void check_reward(const Config& c, State& st) {
  const auto& p = c.preference;
  const std::string& type = c.model.model_type;
  const bool classifier = ends_with(type, "ForSequenceClassification");
  if (ends_with(type, "ForTokenClassification")) {
    st.error(st.where("model.type"), "model_type", "token-classification models (process reward models) are not "
             "implemented", type, "AutoModelForCausalLM, or AutoModelForSequenceClassification with reward_model: true",
             "reward_model: true trains outcome reward models (one score per sequence)");
  }
  if (!p.reward_model) {
    if (classifier) {
      st.error(st.where("model.type"), "model_type",
               "sequence-classification models outside reward modelling are not supported", type, "reward_model: true",
               "only reward models (bradley_terry.chat_template pairs) train a score head here");
    }
    if (c.model.num_labels > 0) {
      st.error(st.where("model.num_labels"), "num_labels", "classification heads outside reward modelling are not supported",
               std::to_string(c.model.num_labels), "reward_model: true, or no num_labels",
               "classifiers other than reward models are not supported");
    }
    if (p.center_rewards_coefficient) {
      st.note(st.where("preference.center_rewards_coefficient"), "center_rewards_coefficient",
              "ignored: only reward models (reward_model: true) read it", "remove center_rewards_coefficient");
    }
    for (const auto* list : {&c.data.datasets, &c.data.test_datasets})
      for (const auto& d : *list)
        if (d.format == DatasetFormat::kBradleyTerry) {
          st.error(st.where("datasets"), "datasets", "bradley_terry.chat_template rows train reward models", d.type_name,
                   "reward_model: true", "set reward_model: true, or use an SFT type such as chat_template");
        }
    return;
  }
  if (!type.empty() && !classifier && type != "AutoModelForCausalLM" && !ends_with(type, "ForCausalLM")) {
    st.error(st.where("model.type"), "model_type", "reward_model: true trains a sequence classifier", type,
             "AutoModelForSequenceClassification (or unset)");
  }
  if (c.model.num_labels != 1) {
    st.error(st.where("model.num_labels"), "num_labels", "TRL's RewardTrainer scores each sequence with one logit",
             std::to_string(c.model.num_labels), "1");
  }
  if (!p.method.empty()) {
    st.error(st.where("preference.method"), "rl", "reward_model: true is its own trainer", p.method,
             "rl unset with reward_model: true");
  }
  if (c.adapter.type != AdapterType::kNone) {
    st.error(st.where("adapter.type"), "adapter", "LoRA reward models are not implemented: reward models train in "
             "full here (score head and all weights)", "adapter set", "no adapter with reward_model: true");
  }
  if (c.data.sample_packing) {
    st.error(st.where("data.sample_packing"), "sample_packing", "reward pairs are scored one sequence per row (TRL's "
             "DataCollatorForPreference)", "true", "sample_packing: false with reward_model: true");
  }
  if (c.data.pretrain.enabled()) {
    st.error(st.where("data.datasets"), "pretraining_dataset", "reward models train on chosen/rejected pairs, not a "
             "pretraining stream", "pretraining_dataset", "datasets of type bradley_terry.chat_template");
  }
  for (const auto* list : {&c.data.datasets, &c.data.test_datasets})
    for (const auto& d : *list)
      if (d.format != DatasetFormat::kBradleyTerry) {
        st.error(st.where("datasets"), "datasets", "reward_model: true needs chosen/rejected pairs",
                 d.type_name.empty() ? "pre-tokenized rows" : d.type_name, "bradley_terry.chat_template");
      }
  static const char* kMetrics[] = {"loss", "accuracy", "margin", "min_reward", "mean_reward", "max_reward", "runtime",
                                   "tokens"};
  if (const std::string& m = c.eval.metric_for_best_model; !m.empty()) {
    const std::string bare = m.rfind("eval_", 0) == 0 ? m.substr(5) : m;
    bool known = false;
    for (const char* k : kMetrics) known = known || bare == k;
    if (!known) {
      st.error(st.where("eval.metric_for_best_model"), "metric_for_best_model", "not an eval metric of a reward run", m,
               "loss, accuracy, margin, min_reward, mean_reward, max_reward, runtime or tokens (eval_ prefix optional)");
    }
  }
}

void derive_reward(Config& c, State& /*st*/) {
  if (!c.preference.reward_model) return;
  if (c.model.num_labels == 0) c.model.num_labels = 1;  // set_reward_model_defaults
  // hint_reward_model_pad: pad_to_sequence_len None -> True (an explicit false stays).
  if (!c.data.pad_to_sequence_len) c.data.pad_to_sequence_len = true;
}

}  // namespace axolotl::config::detail
