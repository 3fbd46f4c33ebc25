// Conversations through a chat template, masked exactly like Axolotl's ChatTemplateStrategy
// (src/axolotl/prompt_strategies/chat_template.py, FORMATS2.md §2.5): render and tokenize the whole
// conversation once; for each trainable turn find its content span by diffing the tokens of the
// conversation up to that turn against the same with "[[dummy_message]]" content (find_turn); label
// the span; then the first EOT / EOS token within 3 tokens of the span end per train_on_eot /
// train_on_eos (all | turn | last | none). Where Axolotl surprises (a template whose prefix renders
// differ from the full render, e.g. Qwen3's own), the ids and labels are Axolotl's and we warn.
#include <algorithm>
#include <map>
#include <tuple>

#include "axolotl/data/jinja/text.h"
#include "axolotl/data/chat_train_detail.h"
#include "axolotl/data/row_encoder.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"
#include "row_error.h"

namespace axolotl::data {

namespace {

using jinja::Dict;
using jinja::List;
using jinja::Value;

// Image, video and audio parts: only a model's text tower is trained here, on text.
void refuse_media_parts(const List& parts, const std::string& where) {
  for (const auto& part : parts) {
    if (!part.is_dict()) continue;
    const Value* type = part.dict().find("type");
    const std::string kind = type && type->is_string() ? type->str() : "";
    for (const char* media : {"image", "image_url", "video", "audio", "input_audio"}) {
      if (kind == media || part.dict().find(media)) {
        row_error(where, std::string("a \"") + media + "\" content part: multimodal (image/video/audio) "
                   "datasets are not supported; only a model's text tower is trained, on text", media, "text parts only");
      }
    }
  }
}

// spelling in the data -> role (ChatTemplatePrompter defaults)
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

std::string strip(const std::string& s) { return jinja::text::strip(s, std::nullopt, true, true); }

// transform_message's split_thinking: the first thinking pair found moves into the reasoning key.
void split_thinking(Dict& m, const std::string& thinking_key) {
  const Value* c = m.find("content");
  if (!c || !c->is_string()) return;
  const std::string content = c->str();
  static const std::pair<const char*, const char*> kThink[] = {
      {"<think>", "</think>"}, {"<reasoning>", "</reasoning>"}, {"<|begin_of_thought|>", "<|end_of_thought|>"}};
  for (const auto& [open, close] : kThink) {
    size_t a = content.find(open), b = content.find(close);
    if (a == std::string::npos || b == std::string::npos) continue;
    size_t from = a + std::string(open).size();
    m.set(thinking_key, Value(strip(b >= from ? content.substr(from, b - from) : "")));
    std::string rest = jinja::text::strip(content.substr(b + std::string(close).size()), std::nullopt, true, false);
    size_t s = rest.find("<|begin_of_solution|>"), e = rest.find("<|end_of_solution|>");
    if (s != std::string::npos && e != std::string::npos) {
      size_t f = s + std::string("<|begin_of_solution|>").size();
      rest = strip(e >= f ? rest.substr(f, e - f) : "");
    }
    m.set("content", Value(rest));
    return;
  }
}

// Parses a JSON string field (Axolotl json.loads it, keeping the key order), else returns it as is.
nlohmann::ordered_json maybe_parse(const nlohmann::ordered_json& v, const std::string& key) {
  if (!v.is_string()) return v;
  auto j = nlohmann::ordered_json::parse(v.get<std::string>(), nullptr, false);
  if (j.is_discarded()) row_error(key, "not valid JSON", v.get<std::string>().substr(0, 60));
  return j;
}

}  // namespace

void RowEncoder::setup_chat(const config::DataConfig& data) {
  if (ds_.field_tools != "tools") {
    log::warn("data", "field_tools: '{}' is ignored, as in Axolotl (its chat_template loader never passes it on): "
                      "tool schemas are read from each row's \"tools\" column", ds_.field_tools);
  }
  train_on_eos_ = ds_.train_on_eos.empty() ? "turn" : ds_.train_on_eos;
  train_on_eot_ = ds_.train_on_eot.empty() ? train_on_eos_ : ds_.train_on_eot;
  std::vector<std::string> eot = data.eot_tokens ? *data.eot_tokens : std::vector<std::string>{eos_text_};
  const std::string& src = template_->source();
  if (eot.size() == 1 && eot[0] == eos_text_) {  // _validate_eot_and_eos_tokens
    if (src.find(eos_text_) == std::string::npos && src.find("eos_token") == std::string::npos) {
      log::warn("data", "EOS token '{}' not found in chat_template {}; the turn terminator won't be trained. Set "
                        "`eot_tokens` to your template's turn-ending token.", eos_text_, template_->name());
    }
  } else {
    std::vector<std::string> kept;
    for (const auto& t : eot) {
      if (src.find(t) == std::string::npos) {
        log::warn("data", "EOT token '{}' not found in chat_template {}", t, template_->name());
        continue;
      }
      kept.push_back(t);
    }
    eot = kept;
    for (const auto& t : eot) {
      if (tok_.encode(t, false, false).size() != 1) {
        Diagnostic d;
        d.key = "eot_tokens";
        d.message = "an EOT token is encoded as several tokens";
        d.found = t;
        d.expected = "one token";
        d.hint = "add it under `tokens:` or override an unused added token";
        throw ConfigError({d});
      }
    }
    if (std::find(eot.begin(), eot.end(), eos_text_) != eot.end() && train_on_eos_ != train_on_eot_) {
      Diagnostic d;
      d.key = "train_on_eot";
      d.message = "eos_token is in eot_tokens but train_on_eos != train_on_eot";
      d.found = train_on_eos_ + " vs " + train_on_eot_;
      throw ConfigError({d});
    }
  }
  for (const auto& t : eot) {
    auto ids = tok_.encode(t, false, false);
    if (ids.size() == 1) eot_ids_.push_back(ids[0]);
  }
}

std::vector<int32_t> RowEncoder::chat_ids(const List& turns, const Value& tools, int64_t real_last_index) const {
  ChatVars vars = chat_vars_;
  if (real_last_index) vars.extra.set("real_last_index", Value(real_last_index));  // `if real_last_index:`
  std::string text = template_->render(turns, vars, false, tools.truthy() ? tools : Value::none());
  if (text.empty()) return {};
  return tok_.encode(text, false, false);  // apply_chat_template: add_special_tokens=False
}

// get_conversation_thread + transform_message.
List RowEncoder::conversation(const nlohmann::ordered_json& record, const std::string& field) const {
  bool sharegpt = ds_.type_name == "sharegpt";
  nlohmann::ordered_json msgs = maybe_parse(record.at(field), field);
  if (!msgs.is_array() || msgs.empty()) row_error(field, "must be a non-empty array of messages", msgs.type_name());
  std::map<std::string, std::string> mappings = ds_.message_property_mappings;
  if (mappings.empty()) {
    mappings = {{"role", sharegpt ? "from" : "role"}, {"content", sharegpt ? "value" : "content"}};
    if (!ds_.field_thinking.empty()) mappings[thinking_key()] = ds_.field_thinking;
  }
  mappings.emplace("role", sharegpt ? "from" : "role");
  mappings.emplace("content", sharegpt ? "value" : "content");
  // transform_message fills the turn in the mappings' order: role, content, then the others (the
  // default's reasoning key), as `{{ message | tojson }}` shows them.
  std::vector<std::pair<std::string, std::string>> ordered{{"role", mappings["role"]}, {"content", mappings["content"]}};
  for (const auto& kv : mappings)
    if (kv.first != "role" && kv.first != "content") ordered.push_back(kv);
  auto roles = role_map(ds_);
  const std::string& src = template_->source();
  List turns;
  for (size_t i = 0; i < msgs.size(); ++i) {
    const auto& m = msgs[i];
    std::string where = field + "[" + std::to_string(i) + "]";
    if (!m.is_object()) row_error(where, "message is not an object", m.type_name());
    Dict t;
    for (const auto& [prop, key] : ordered) {
      std::string k = key;
      if (prop == "role" && !m.contains(k) && m.contains("from")) k = "from";  // accept either spelling
      if (prop == "content" && !m.contains(k) && m.contains("value")) k = "value";
      auto it = m.find(k);
      if (it != m.end() && !it->is_null()) t.set(prop, Value::from_json(*it));
    }
    const Value* role = t.find("role");
    if (!role || !role->is_string()) row_error(where + "." + mappings["role"], "message role missing or not a string");
    if (auto f = roles.find(role->str()); f != roles.end()) t.set("role", Value(f->second));
    const Value* content = t.find("content");
    if (!content && !m.contains("tool_calls")) {  // Axolotl would fail inside the template instead
      row_error(where + "." + mappings["content"], "message content missing or not a string");
    }
    if (ds_.split_thinking && t.find("role")->str() == "assistant") split_thinking(t, thinking_key());
    // Keep other properties the template reads (Axolotl asks a Jinja analyzer; we look for the name).
    for (auto it = m.begin(); it != m.end(); ++it) {
      bool mapped = false;
      for (const auto& kv : mappings) mapped = mapped || kv.second == it.key();
      if (mapped || it->is_null() || src.find(it.key()) == std::string::npos) continue;
      nlohmann::ordered_json v = *it;
      if (it.key() == "tool_calls" && v.is_array()) {
        for (auto& call : v) {
          if (call.is_object() && call.contains("function") && call["function"].contains("arguments")) {
            call["function"]["arguments"] = maybe_parse(call["function"]["arguments"], where + ".tool_calls");
          }
        }
      }
      t.set(it.key(), Value::from_json(v));
    }
    if (!ds_.message_field_training.empty() && m.contains(ds_.message_field_training) &&
        !m[ds_.message_field_training].is_null()) {
      t.set("training", Value::from_json(m[ds_.message_field_training]));
    }
    if (!ds_.message_field_training_detail.empty() && m.contains(ds_.message_field_training_detail) &&
        !m[ds_.message_field_training_detail].is_null()) {
      t.set("training_detail", Value::from_json(m[ds_.message_field_training_detail]));
    }
    // _convert_content_parts, on content and on the reasoning text; parts with train/weight flags
    // become character training details.
    for (const std::string& key : {std::string("content"), thinking_key()}) {
      const Value* v = t.find(key);
      if (!v || !v->is_list()) continue;
      refuse_media_parts(v->list(), where + "." + key);
      ContentParts parts = convert_content_parts(v->list());
      t.set(key, Value(parts.text));
      if (parts.explicit_training) {
        t.set(key == "content" ? "training_detail" : "reasoning_training_detail", Value(parts.details));
      }
    }
    turns.emplace_back(std::move(t));
  }
  // A row-level system column opens the conversation unless it already starts with a system turn.
  const std::string sys_field = ds_.field_system.empty() ? "system" : ds_.field_system;
  if (turns[0].dict().find("role")->str() != "system" && record.contains(sys_field)) {
    Dict s;
    s.set("role", Value("system"));
    s.set("content", Value::from_json(record[sys_field]));
    turns.insert(turns.begin(), Value(std::move(s)));
  }
  if (ds_.drop_system_message && turns[0].dict().find("role")->str() == "system") turns.erase(turns.begin());
  return turns;
}

void RowEncoder::encode_chat(const nlohmann::ordered_json& record, std::vector<TokenizedRow>& out) const {
  bool sharegpt = ds_.type_name == "sharegpt";
  std::string field = ds_.field_messages;
  if (sharegpt && field == "messages" && !record.contains("messages")) field = "conversations";
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) row_error(field, "required field missing");
  for (const char* media : {"images", "image", "videos", "audios"}) {  // e.g. llava-instruct-mix-vsft's "images"
    auto m = record.find(media);
    if (m != record.end() && !m->is_null() && !(m->is_array() && m->empty())) {
      row_error(media, "rows with images, video or audio: multimodal datasets are not supported; only a model's text "
                 "tower is trained, on text", m->type_name(), "text-only rows");
    }
  }
  List turns = conversation(record, field);
  Value tools = Value::none();
  // Axolotl's StrategyLoader never passes field_tools to the prompter: the schemas always come from
  // the "tools" column (setup_chat warns when field_tools names another).
  const std::string tools_field = "tools";
  if (auto t = record.find(tools_field); t != record.end() && !t->is_null()) {
    nlohmann::ordered_json schemas = maybe_parse(*t, tools_field);
    if (schemas.is_array()) {  // _get_tools: a function's parameters given as a JSON string are parsed
      for (auto& tool : schemas) {
        if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object()) continue;
        auto& function = tool["function"];
        if (function.contains("parameters")) {
          function["parameters"] = maybe_parse(function["parameters"], tools_field + ".function.parameters");
        }
      }
    }
    tools = Value::from_json(schemas);
    if (!tools.is_list()) row_error(tools_field, "unknown tools format", tools.type_name(), "a list of schemas");
  }
  auto roles = role_map(ds_);
  // The config reader fills the default (assistant); an explicit empty list trains no role.
  std::vector<std::string> to_train = ds_.roles_to_train;
  for (auto& r : to_train) {  // roles_to_train goes through the role table too
    if (auto f = roles.find(r); f != roles.end()) r = f->second;
  }

  TokenizedRow row;
  auto rejected = [&](const Error& e) {
    row_error(field, "chat template " + template_->name() + " rejects the conversation", e.what());
  };
  try {
    row.input_ids = chat_ids(turns, tools, 0);
  } catch (const Error& e) {
    rejected(e);
  }
  const auto& ids = row.input_ids;
  row.labels.assign(ids.size(), kIgnoreIndex);
  const long n = static_cast<long>(ids.size());
  const long nturns = static_cast<long>(turns.size());
  std::string lower_dir = jinja::text::lower(tokenizer_dir_);
  long last_eos = -1, last_eot = -1;

  // find_turn: the span where the turn differs from the same conversation with `dummy` as its last turn.
  auto find_turn = [&](long t, Dict dummy) -> std::pair<long, long> {
    const std::string& role = turns[static_cast<size_t>(t)].dict().find("role")->str();
    if (t == 0 && role == "system" && lower_dir.find("mistral") != std::string::npos) return {-1, -1};
    List prefix(turns.begin(), turns.begin() + t + 1);
    List with_dummy(turns.begin(), turns.begin() + t);
    with_dummy.emplace_back(std::move(dummy));
    std::vector<int32_t> full, dum;
    try {
      dum = chat_ids(with_dummy, tools, nturns - 1);
      full = chat_ids(prefix, tools, nturns - 1);
    } catch (const Error& e) {
      rejected(e);
    }
    if (full.empty() || dum.empty()) return {-1, -1};
    long start = -1, end = -1;
    long min_len = static_cast<long>(std::min(full.size(), dum.size()));
    for (long i = 0; i < min_len; ++i) {
      if (dum[i] != full[i]) {
        start = i;
        break;
      }
    }
    for (long i = 0; start != -1 && i < min_len; ++i) {
      long dpos = static_cast<long>(dum.size()) - 1 - i, fpos = static_cast<long>(full.size()) - 1 - i;
      if (dum[dpos] != full[fpos]) {
        end = fpos + 1;
        break;
      }
    }
    if (start == -1 || end == -1 || end <= start) start = end = -1;
    bool is_prefix = full.size() <= ids.size() && std::equal(full.begin(), full.end(), ids.begin());
    if (!is_prefix && !warned_prefix_->exchange(true)) {
      log::warn("data", "chat template {}: the conversation up to turn {} renders differently from the start of the "
                        "whole conversation, so (like Axolotl) that turn's labels may be misplaced; Axolotl's "
                        "bundled templates (e.g. chat_template: qwen3) render prefixes consistently",
                template_->name(), t);
    }
    return {start, end};
  };
  // get_offsets_for_train_detail: label the detail-trained tokens of `text` from token `from` on.
  auto label_detail = [&](long from, const Value& text, const Value& detail, const std::string& where) {
    if (!text.is_string()) row_error(where, "training detail needs the text to be a string", text.type_name());
    auto mask = train_detail_mask(tok_, text.str(), parse_train_detail(detail, where), where);
    for (long i = 0; i < static_cast<long>(mask.size()) && from + i < n; ++i) {
      if (mask[i]) row.labels[from + i] = ids[from + i];
    }
  };

  for (long t = 0; t < nturns; ++t) {
    const Dict& turn = turns[static_cast<size_t>(t)].dict();
    const std::string& role = turn.find("role")->str();
    const std::string where = field + "[" + std::to_string(t) + "]";
    const Value* detail = turn.find("training_detail");
    const Value* rdetail = turn.find("reasoning_training_detail");
    bool should_train;
    if (const Value* tr = turn.find("training")) {
      should_train = tr->truthy();
    } else if (detail || rdetail) {
      should_train = (detail && detail->truthy()) || (rdetail && rdetail->truthy());
    } else {
      should_train = train_on_inputs_;
      for (const auto& r : to_train) should_train = should_train || r == role;
    }
    if (!should_train && train_on_eos_ != "all" && train_on_eot_ != "all") continue;

    const Value* reasoning = turn.find(thinking_key());
    const bool has_reasoning = reasoning && !reasoning->is_none();
    const bool any_detail = (detail && detail->truthy()) || (rdetail && rdetail->truthy());
    Dict dummy;
    dummy.set("role", Value(role));
    dummy.set("content", Value("[[dummy_message]]"));
    if (any_detail && has_reasoning) dummy.set(thinking_key(), *reasoning);  // content_only
    long start, end;
    std::tie(start, end) = find_turn(t, std::move(dummy));
    if (should_train && start != -1) {
      if (detail && detail->truthy()) {
        const Value* c = turn.find("content");
        const std::string& key = ds_.message_field_training_detail;
        label_detail(start, c ? *c : Value::none(), *detail, where + "." + (key.empty() ? "content" : key));
      } else if (!(rdetail && rdetail->truthy())) {
        for (long i = start; i < end && i < n; ++i) row.labels[i] = ids[i];
      }
    }
    if (should_train && rdetail && rdetail->truthy() && has_reasoning) {  // reasoning_only
      Dict rdummy;
      rdummy.set("role", Value(role));
      const Value* c = turn.find("content");
      rdummy.set("content", c ? *c : Value(""));
      rdummy.set(thinking_key(), Value("[[dummy_reasoning]]"));
      auto [rs, re] = find_turn(t, std::move(rdummy));
      if (rs != -1 && re != -1) label_detail(rs, *reasoning, *rdetail, where + "." + thinking_key());
    }
    // find_first_eot_token / find_first_eos_token: range(start_idx, len) with Python's negative
    // indexing when the turn was not found; -1 also means "not found".
    auto find_from = [&](auto match) -> long {
      for (long i = end; i < n; ++i) {
        long at = i < 0 ? n + i : i;
        if (at >= 0 && match(ids[at])) return i;
      }
      return -1;
    };
    long eot_idx = find_from([&](int32_t id) { return std::find(eot_ids_.begin(), eot_ids_.end(), id) != eot_ids_.end(); });
    long eos_idx = find_from([&](int32_t id) { return id == tok_.eos_id(); });
    for (int k = 0; k < 2; ++k) {
      long idx = k == 0 ? eot_idx : eos_idx;
      const std::string& mode = k == 0 ? train_on_eot_ : train_on_eos_;
      if (idx == -1 || std::labs(idx - end) > 3) continue;
      (k == 0 ? last_eot : last_eos) = idx;
      if (mode == "all" || (mode == "turn" && should_train)) row.labels[idx < 0 ? n + idx : idx] = ids[idx < 0 ? n + idx : idx];
    }
  }
  if (train_on_eot_ == "last" && last_eot != -1) row.labels[last_eot < 0 ? n + last_eot : last_eot] = ids[last_eot < 0 ? n + last_eot : last_eot];
  if (train_on_eos_ == "last" && last_eos != -1) row.labels[last_eos < 0 ? n + last_eos : last_eos] = ids[last_eos < 0 ? n + last_eos : last_eos];
  out.push_back(std::move(row));
}

}  // namespace axolotl::data
