// bradley_terry.chat_template rows (Axolotl prompt_strategies/bradley_terry/chat_template.py,
// BTChatTemplateStrategy): each of chosen and rejected becomes the conversation [system when truthy,
// user = input, assistant = the reply], tokenized by the chat strategy (apply_chat_template, no extra
// special tokens), each cut at sequence_len; the record gives one pair row (preference_rows.h) whose two
// sequences are those token lists, every token labelled (a reward model scores whole sequences).
#include "axolotl/data/preference_rows.h"
#include "axolotl/data/row_encoder.h"

namespace axolotl::data {

void RowEncoder::encode_bradley_terry(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  // Axolotl reads these four columns by name; a missing system column means no system turn here
  // (Axolotl raises KeyError), a null or empty one none either (`if prompt["system"]`).
  const std::string input = *string_field(record, "input", true, true);
  const std::string chosen = *string_field(record, "chosen", true, true);
  const std::string rejected = *string_field(record, "rejected", true, true);
  std::string system;
  if (auto it = record.find("system"); it != record.end() && it->is_string()) system = it->get<std::string>();
  auto sequence = [&](const std::string& reply) {
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
    messages.push_back({{"role", "user"}, {"content", input}});
    messages.push_back({{"role", "assistant"}, {"content", reply}});
    const nlohmann::ordered_json row = {{"messages", std::move(messages)}};
    std::vector<int32_t> ids = chat_ids(conversation(row, "messages"), jinja::Value::none(), 0);
    if (static_cast<int64_t>(ids.size()) > sequence_len_) ids.resize(static_cast<size_t>(sequence_len_));
    return ids;
  };
  PreferencePair pair;
  pair.chosen = sequence(chosen);
  pair.rejected = sequence(rejected);
  out.push_back(pair_row(pair, 0));
}

}  // namespace axolotl::data
