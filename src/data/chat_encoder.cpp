// Conversations through a chat template, masked like Axolotl's ChatTemplateStrategy: the whole
// conversation is tokenized once; each turn's content span is found by diffing the tokens of the
// conversation up to that turn against the same with "[[dummy_message]]" content (find_turn); the
// first EOS within 3 tokens after a trained turn is trained too (train_on_eos "turn").
// Source: axolotl src/axolotl/prompt_strategies/chat_template.py.
#include <map>

#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"

namespace axolotl::data {

namespace {

[[noreturn]] void chat_error(const std::string& key, const std::string& message, const std::string& found = "") {
  Diagnostic d;
  d.key = key;
  d.message = message;
  d.found = found;
  throw Error(d);
}

// spelling in the data -> role (Axolotl ChatTemplatePrompter defaults)
std::map<std::string, std::string> role_map(const config::DatasetConfig& ds) {
  std::map<std::string, std::vector<std::string>> roles = ds.roles;
  if (roles.empty()) {
    roles = {{"user", {"human", "user"}}, {"assistant", {"gpt", "assistant"}}, {"system", {"system"}},
             {"tool", {"tool"}}};
  }
  std::map<std::string, std::string> out;
  for (const auto& [role, spellings] : roles) {
    for (const auto& s : spellings) out[s] = role;
  }
  return out;
}

struct Span {
  long start = -1, end = -1;
};

}  // namespace

std::vector<int32_t> RowEncoder::chat_ids(const std::vector<Message>& messages) const {
  std::string text = render_chat(*template_, messages, bos_text_, eos_text_);
  if (text.empty()) return {};
  return tok_.encode(text, false, false);  // apply_chat_template: add_special_tokens=False
}

void RowEncoder::encode_chat(const nlohmann::json& record, std::vector<TokenizedRow>& out) const {
  bool sharegpt = ds_.type_name == "sharegpt";
  std::string field = ds_.field_messages;
  if (sharegpt && field == "messages" && !record.contains("messages")) field = "conversations";
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) chat_error(field, "required field missing");
  if (!it->is_array() || it->empty()) chat_error(field, "must be a non-empty array of messages", it->type_name());

  auto mapped = [&](const char* prop, const char* fallback) {
    auto m = ds_.message_property_mappings.find(prop);
    if (m != ds_.message_property_mappings.end()) return m->second;
    return std::string(sharegpt ? fallback : prop);
  };
  std::string role_key = mapped("role", "from"), content_key = mapped("content", "value");
  auto roles = role_map(ds_);
  std::vector<std::string> to_train = ds_.roles_to_train.empty() ? std::vector<std::string>{"assistant"}
                                                                 : ds_.roles_to_train;
  for (auto& r : to_train) {  // Axolotl maps roles_to_train through the role table too
    if (auto f = roles.find(r); f != roles.end()) r = f->second;
  }

  std::vector<Message> turns;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& m = (*it)[i];
    std::string where = field + "[" + std::to_string(i) + "]";
    if (!m.is_object()) chat_error(where, "message is not an object", m.type_name());
    std::string rk = role_key, ck = content_key;
    if (!m.contains(rk) && m.contains("from")) rk = "from";   // accept either spelling
    if (!m.contains(ck) && m.contains("value")) ck = "value";
    auto r = m.find(rk);
    auto c = m.find(ck);
    if (r == m.end() || !r->is_string()) chat_error(where + "." + rk, "message role missing or not a string");
    if (c == m.end() || !c->is_string()) chat_error(where + "." + ck, "message content missing or not a string");
    std::string role = r->get<std::string>();
    if (auto f = roles.find(role); f != roles.end()) role = f->second;
    turns.push_back({role, c->get<std::string>()});
  }

  TokenizedRow row;
  try {
    row.input_ids = chat_ids(turns);
  } catch (const Error& e) {
    chat_error(field, std::string("chat template ") + chat_template_name(*template_) + " rejects the conversation",
               e.what());
  }
  const auto& ids = row.input_ids;
  row.labels.assign(ids.size(), kIgnoreIndex);
  const long n = static_cast<long>(ids.size());
  const bool train_eos = ds_.train_on_eos_turn.value_or(true);

  for (size_t t = 0; t < turns.size(); ++t) {
    bool should_train = train_on_inputs_;
    for (const auto& r : to_train) should_train = should_train || r == turns[t].role;

    // find_turn: prefix with the real content vs with a dummy content
    Span span;
    std::vector<Message> prefix(turns.begin(), turns.begin() + t + 1);
    std::vector<int32_t> full = chat_ids(prefix);
    prefix.back().content = "[[dummy_message]]";
    std::vector<int32_t> dummy = chat_ids(prefix);
    if (!full.empty() && !dummy.empty()) {
      long min_len = static_cast<long>(std::min(full.size(), dummy.size()));
      long start = -1, end = -1;
      for (long i = 0; i < min_len; ++i) {
        if (dummy[i] != full[i]) {
          start = i;
          break;
        }
      }
      for (long i = 0; start != -1 && i < min_len; ++i) {
        long dpos = static_cast<long>(dummy.size()) - 1 - i, fpos = static_cast<long>(full.size()) - 1 - i;
        if (dummy[dpos] != full[fpos]) {
          end = fpos + 1;
          break;
        }
      }
      if (start != -1 && end != -1 && end > start) span = {start, end};
    }
    if (should_train && span.start != -1) {
      for (long i = span.start; i < span.end && i < n; ++i) row.labels[i] = ids[i];
    }
    // find_first_eos_token(input_ids, start_idx=turn_end_idx), with Python's negative indexing when
    // the turn was not found (end = -1).
    long eos_idx = -1;
    for (long i = span.end; i < n; ++i) {
      long at = i < 0 ? n + i : i;
      if (at >= 0 && ids[at] == tok_.eos_id()) {
        eos_idx = i;
        break;
      }
    }
    if (n > 0 && std::labs(eos_idx - span.end) <= 3 && train_eos && should_train) {
      long at = eos_idx < 0 ? n + eos_idx : eos_idx;
      row.labels[at] = ids[at];
    }
  }
  out.push_back(std::move(row));
}

}  // namespace axolotl::data
