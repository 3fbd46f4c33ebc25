// stepwise_supervised rows (Axolotl prompt_strategies/stepwise_supervised.py,
// StepwiseSupervisedPromptTokenizingStrategy, as TRL's PRMTrainer.tokenize_row): the prompt and each step
// tokenized alone without special tokens, the separator's tokens appended to every step, the step's label
// (0/1) on the last token of its step + separator and -100 elsewhere; the joined steps cut at
// max_completion_length; BOS before the prompt when the tokenizer has one; the whole cut at sequence_len.
// Labels here are class ids at their own position (token classification: no shift).
#include "axolotl/data/row_encoder.h"

#include <string>

#include "row_error.h"

namespace axolotl::data {
namespace {

// A step label: a boolean (math_shepherd's) or a non-negative integer class id.
int32_t step_label(const nlohmann::ordered_json& v, size_t i) {
  const std::string key = "labels[" + std::to_string(i) + "]";
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() < (int64_t{1} << 30))
    return static_cast<int32_t>(v.get<int64_t>());
  row_error(key, "a step label must be a boolean or a class id", v.dump(), "true/false or 0, 1, ...");
}

}  // namespace

void RowEncoder::encode_stepwise(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  const std::string prompt = *string_field(record, "prompt", true, true);
  const auto steps = record.find("completions");
  if (steps == record.end() || !steps->is_array()) {
    row_error("completions", "stepwise_supervised rows need a list of steps",
                    steps == record.end() ? "no 'completions'" : steps->dump(), "a list of strings");
  }
  const auto labels = record.find("labels");
  if (labels == record.end() || !labels->is_array()) {
    row_error("labels", "stepwise_supervised rows need one label per step",
                    labels == record.end() ? "no 'labels'" : labels->dump(), "a list of booleans");
  }
  // Axolotl zips the two lists and drops what the shorter leaves over; a mismatch is a data error here.
  if (labels->size() != steps->size()) {
    row_error("labels", "one label per step", std::to_string(labels->size()) + " labels",
                    std::to_string(steps->size()) + " (the steps in 'completions')");
  }
  const std::vector<int32_t> separator = tok_.encode(ds_.step_separator, false, false);
  std::vector<int32_t> ids, step_labels;
  for (size_t i = 0; i < steps->size(); ++i) {
    const auto& step = (*steps)[i];
    if (!step.is_string()) {
      row_error("completions[" + std::to_string(i) + "]", "a step must be text", step.dump(), "a string");
    }
    int32_t label = step_label((*labels)[i], i);
    if (ds_.train_on_last_step_only && i + 1 < steps->size()) label = kIgnoreIndex;
    std::vector<int32_t> piece = tok_.encode(step.get<std::string>(), false, false);
    piece.insert(piece.end(), separator.begin(), separator.end());
    if (piece.empty()) continue;  // an empty step with an empty separator has no token to label
    ids.insert(ids.end(), piece.begin(), piece.end());
    step_labels.insert(step_labels.end(), piece.size() - 1, kIgnoreIndex);
    step_labels.push_back(label);
  }
  if (ds_.max_completion_length && static_cast<int64_t>(ids.size()) > *ds_.max_completion_length) {
    ids.resize(static_cast<size_t>(*ds_.max_completion_length));
    step_labels.resize(ids.size());
  }
  TokenizedRow row;
  if (tok_.bos_id() >= 0) row.input_ids.push_back(tok_.bos_id());
  const std::vector<int32_t> prompt_ids = tok_.encode(prompt, false, false);
  row.input_ids.insert(row.input_ids.end(), prompt_ids.begin(), prompt_ids.end());
  row.labels.assign(row.input_ids.size(), kIgnoreIndex);
  row.input_ids.insert(row.input_ids.end(), ids.begin(), ids.end());
  row.labels.insert(row.labels.end(), step_labels.begin(), step_labels.end());
  if (static_cast<int64_t>(row.input_ids.size()) > sequence_len_) {
    row.input_ids.resize(static_cast<size_t>(sequence_len_));
    row.labels.resize(row.input_ids.size());
  }
  out.push_back(std::move(row));
}

}  // namespace axolotl::data
