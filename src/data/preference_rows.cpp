// DPO tokenization and pair rows (see preference_rows.h). Source: TRL 1.8 trl/trainer/dpo_trainer.py
// (_prepare_dataset: add_eos, tokenize_fn, the keep_start filter; DataCollatorForPreference: cut at max_length).
#include "axolotl/data/preference_rows.h"

#include <algorithm>
#include <string>
#include <tuple>

#include "axolotl/util/error.h"

namespace axolotl::data {
namespace {

std::string with_eos(const std::string& text, const std::string& eos) {
  if (eos.empty() || (text.size() >= eos.size() && text.compare(text.size() - eos.size(), eos.size(), eos) == 0)) return text;
  return text + eos;
}

std::vector<int32_t> completion(const Tokenizer& tok, const std::string& prompt, const std::string& text, size_t n) {
  std::vector<int32_t> full = tok.encode(prompt + text);
  if (full.size() <= n) return {};
  return {full.begin() + static_cast<long>(n), full.end()};
}

}  // namespace

std::optional<PreferencePair> tokenize_dpo(const Tokenizer& tok, const PreferenceText& text, int max_length) {
  const std::string eos = tok.eos_id() >= 0 ? tok.id_to_token(tok.eos_id()) : "";
  PreferencePair p;
  p.prompt = tok.encode(text.prompt);
  if (max_length > 0 && static_cast<int64_t>(p.prompt.size()) >= max_length) return std::nullopt;
  p.chosen = completion(tok, text.prompt, with_eos(text.chosen, eos), p.prompt.size());
  p.rejected = completion(tok, text.prompt, with_eos(text.rejected, eos), p.prompt.size());
  return p;
}

namespace {

// Appends prompt + completion (cut at max_length when > 0) with labels on the completion.
void append_sequence(const std::vector<int32_t>& prompt, const std::vector<int32_t>& c, int max_length, TokenizedRow& row) {
  const size_t keep = max_length > 0 ? static_cast<size_t>(max_length) : prompt.size() + c.size();
  for (size_t i = 0; i < prompt.size() + c.size() && i < keep; ++i) {
    const bool in_prompt = i < prompt.size();
    const int32_t id = in_prompt ? prompt[i] : c[i - prompt.size()];
    row.input_ids.push_back(id);
    row.labels.push_back(in_prompt ? kIgnoreIndex : id);
  }
}

TokenizedRow make_pair_row(const std::vector<int32_t>& cp, const std::vector<int32_t>& c, const std::vector<int32_t>& rp,
                           const std::vector<int32_t>& r, int max_length) {
  TokenizedRow row;
  row.input_ids.push_back(0);
  row.labels.push_back(kIgnoreIndex);
  append_sequence(cp, c, max_length, row);
  row.input_ids[0] = static_cast<int32_t>(row.input_ids.size() - 1);
  append_sequence(rp, r, max_length, row);
  return row;
}

// build_tokenized_answer: enc(a + b) split where enc(a) ends, one token earlier when they disagree.
std::pair<std::vector<int32_t>, std::vector<int32_t>> split_answer(const Tokenizer& tok, const std::string& prompt,
                                                                   const std::string& answer) {
  const std::vector<int32_t> full = tok.encode(prompt + answer, false, false);
  const std::vector<int32_t> p = tok.encode(prompt, false, false);
  if (p.size() > full.size()) throw Error("TRL tokenize_row: the prompt has more tokens than prompt + answer");
  size_t start = p.size();
  if (!std::equal(p.begin(), p.end(), full.begin()) && start > 0) --start;
  return {{full.begin(), full.begin() + static_cast<long>(start)}, {full.begin() + static_cast<long>(start), full.end()}};
}

}  // namespace

TokenizedRow pair_row(const PreferencePair& pair, int max_length) {
  return make_pair_row(pair.prompt, pair.chosen, pair.prompt, pair.rejected, max_length);
}

TokenizedRow pair_row(const LegacyPair& pair) {
  return make_pair_row(pair.chosen_prompt, pair.chosen, pair.rejected_prompt, pair.rejected, 0);
}

LegacyPair tokenize_legacy(const Tokenizer& tok, const PreferenceText& text, int max_length) {
  LegacyPair p;
  std::tie(p.chosen_prompt, p.chosen) = split_answer(tok, text.prompt, text.chosen);
  std::tie(p.rejected_prompt, p.rejected) = split_answer(tok, text.prompt, text.rejected);
  size_t diff = 0;
  for (size_t i = 0; i < std::min(p.chosen_prompt.size(), p.rejected_prompt.size()); ++i)
    diff += p.chosen_prompt[i] != p.rejected_prompt[i];
  const size_t len_diff = p.chosen_prompt.size() > p.rejected_prompt.size() ? p.chosen_prompt.size() - p.rejected_prompt.size()
                                                                           : p.rejected_prompt.size() - p.chosen_prompt.size();
  if (diff > 1 || len_diff > 1) {
    Diagnostic d;
    d.message = "chosen and rejected prompt tokens may only differ on the last token (TRL tokenize_row)";
    d.found = std::to_string(diff) + " different tokens, lengths differ by " + std::to_string(len_diff);
    throw Error(d);
  }
  const int32_t bos = tok.bos_id(), eos = tok.eos_id();
  for (auto* prompt : {&p.chosen_prompt, &p.rejected_prompt})
    if (bos >= 0 && (prompt->empty() || prompt->front() != bos)) prompt->insert(prompt->begin(), bos);
  for (auto* answer : {&p.chosen, &p.rejected})
    if (answer->empty() || answer->back() != eos) answer->push_back(eos);
  const auto longer = static_cast<int64_t>(std::max(p.chosen.size(), p.rejected.size()));
  auto cut = [&](const std::vector<int32_t>& prompt, std::vector<int32_t>& answer) {
    if (max_length <= 0 || static_cast<int64_t>(prompt.size()) + longer <= max_length) return;
    const int64_t k = max_length - longer;  // Python answer[:k]; a negative k counts from the end
    const int64_t n = static_cast<int64_t>(answer.size());
    answer.resize(static_cast<size_t>(std::clamp<int64_t>(k >= 0 ? k : n + k, 0, n)));
  };
  cut(p.chosen_prompt, p.chosen);
  cut(p.rejected_prompt, p.rejected);
  return p;
}

PairSpans pair_spans(const int32_t* tokens, int64_t length) {
  PairSpans s;
  if (length < 1 || tokens[0] < 0 || tokens[0] > length - 1) {
    Diagnostic d;
    d.message = "a row of a preference dataset is not a chosen/rejected pair";
    d.found = length < 1 ? "an empty row" : "header " + std::to_string(tokens[0]) + " in a row of " + std::to_string(length);
    d.expected = "[chosen length, chosen tokens, rejected tokens]";
    d.hint = "delete the prepared dataset folder (dataset_prepared_path) and prepare again";
    throw Error(d);
  }
  s.chosen_length = tokens[0];
  s.rejected_begin = 1 + s.chosen_length;
  s.rejected_length = length - s.rejected_begin;
  return s;
}

}  // namespace axolotl::data
