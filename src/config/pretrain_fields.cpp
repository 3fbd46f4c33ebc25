// Streaming-pretraining keys and checks (see pretrain_fields.h). Axolotl's schema: PretrainingDataset
// in utils/schemas/datasets.py, the top-level keys in utils/schemas/config.py, the checks in
// PretrainingValidationMixin (utils/schemas/validation.py).
#include "pretrain_fields.h"

#include <algorithm>

namespace axolotl::config::detail {
namespace {

using P = PretrainDatasetConfig;

const std::vector<std::string> kEntryKeys = {"path", "name", "split", "text_column", "type", "data_files",
                                             "skip", "field", "trust_remote_code", "ds_type", "revision"};

void read_entry(const YAML::Node& n, P& d, State& st, const std::string& key) {
  if (n.IsScalar()) {  // Axolotl also takes a bare path (its "simple string path case")
    read_string(n, d.path);
    return;
  }
  if (!n.IsMap()) {
    st.error(st.at(n), key, "wrong type", describe(n), "a map such as {path: ..., type: pretrain}");
    return;
  }
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    const std::string at = key + "." + k;
    const YAML::Node& v = kv.second;
    if (v.IsNull()) continue;  // Axolotl's None: the default
    Limits none;
    if (k == "path") {
      read_value(v, d.path, st, at, none);
    } else if (k == "name") {
      read_value(v, d.name, st, at, none);
    } else if (k == "split") {
      read_value(v, d.split, st, at, none);
    } else if (k == "text_column" || k == "field") {
      read_value(v, d.text_column, st, at, none);
    } else if (k == "data_files") {
      read_value(v, d.data_files, st, at, none);
    } else if (k == "skip") {
      read_value(v, d.skip, st, at, at_least(0));
    } else if (k == "ds_type") {
      std::string t;
      if (read_value(v, t, st, at, none) && t != "json" && t != "jsonl" && t != "text") {
        st.error(st.at(v), at, "this file type cannot be streamed", t, "json | jsonl | text",
                 "convert parquet or csv files to JSONL");
      }
    } else if (k == "revision") {
      std::string rev;
      read_value(v, rev, st, at, none);  // appended to the path below, whatever the key order
    } else if (k == "trust_remote_code") {
      bool b = false;
      if (read_value(v, b, st, at, none) && b) {
        st.note(st.at(kv.first), at, "no remote code is ever run; the files are read as text/JSONL");
      }
    } else if (k == "type") {
      std::string t;
      if (!read_value(v, t, st, at, none)) continue;
      if (t != "pretrain" && t != "completion") {
        st.error(st.at(v), at, "only text can be streamed for pretraining", t, "pretrain | completion",
                 "Axolotl's SFT prompt strategies inside pretraining_dataset are not implemented; use datasets: "
                 "for instruction data");
        continue;
      }
      d.type = t;
    } else {
      const std::string guess = did_you_mean(k, kEntryKeys);
      st.error(st.at(kv.first), at, "unknown key in a pretraining_dataset entry", "'" + k + "'",
               "path, name, split, text_column, type, data_files, skip", guess.empty() ? "" : "did you mean '" + guess + "'?");
    }
  }
  if (n["revision"] && n["path"] && n["revision"].IsScalar()) {  // keys may come in any order
    const std::string rev = n["revision"].Scalar();
    if (!rev.empty() && d.path.find('@') == std::string::npos) d.path += "@" + rev;
  }
  if (d.path.empty()) st.error(st.at(n), key, "a pretraining_dataset entry without a path", "no path", "path: FILE, FOLDER or org/name");
}

Field make(std::string nested, std::vector<std::string> flat, std::string type, std::string help) {
  Field f;
  f.nested = std::move(nested);
  f.flat = std::move(flat);
  f.type = std::move(type);
  f.help = std::move(help);
  return f;
}

// An entry as read_entry() takes it: a bare path or a map of kEntryKeys.
Json entry_schema() {
  Json props = Json::object();
  for (const auto& k : kEntryKeys) props[k] = nullable(scalar_schema());
  props["data_files"] = nullable(string_list_schema());
  props["skip"] = nullable(int_schema(at_least(0)));
  props["trust_remote_code"] = nullable(bool_schema());
  props["type"] = nullable(enum_schema({"pretrain", "completion"}));
  props["ds_type"]["description"] = "json | jsonl | text (other file types cannot be streamed)";
  props["field"]["description"] = "Axolotl's spelling of text_column";
  Json map = Json{{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  return Json{{"anyOf", Json::array({scalar_schema(), map})}};
}

Field datasets_field() {
  Field f = make("data.pretraining_dataset", {"pretraining_dataset"}, "list of {path, name, split, text_column, ...}",
                 "text/JSONL streamed in sequence_len rows instead of datasets (needs max_steps)");
  const Json entry = entry_schema();
  f.schema = Json{{"anyOf", Json::array({Json{{"type", "array"}, {"minItems", 1}, {"items", entry}},
                                         entry["anyOf"][0], entry["anyOf"][1]})}};
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    auto& out = c.data.pretrain.datasets;
    out.clear();
    if (n.IsSequence()) {
      for (size_t i = 0; i < n.size(); ++i) {
        P d;
        read_entry(n[i], d, st, key + "[" + std::to_string(i) + "]");
        out.push_back(d);
      }
    } else {
      P d;
      read_entry(n, d, st, key);
      out.push_back(d);
    }
    if (out.empty()) st.error(st.at(n), key, "an empty list", "[]", "at least one entry (Axolotl: MinLen(1))");
  };
  f.get = [](const Config& c) {
    if (c.data.pretrain.datasets.empty()) return Json(nullptr);  // unset (an explicit [] is an error)
    Json list = Json::array();
    for (const auto& d : c.data.pretrain.datasets) {
      list.push_back(Json{{"path", d.path}, {"name", d.name}, {"split", d.split}, {"text_column", d.text_column},
                          {"type", d.type}, {"data_files", d.data_files}, {"skip", d.skip}});
    }
    return list;
  };
  f.reset = [](Config& c) { c.data.pretrain.datasets.clear(); };
  return f;
}

// Deprecated spelling of streaming_multipack_buffer_size (Axolotl v0.13): read into it, with a note.
Field deprecated_buffer_alias() {
  Field f = make("", {"pretrain_multipack_buffer_size"}, "int", "deprecated: streaming_multipack_buffer_size");
  f.schema = int_schema(at_least(1));
  f.deprecated_for = "streaming_multipack_buffer_size";
  f.set = [](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    if (read_value(n, c.data.pretrain.multipack_buffer_size, st, key, at_least(1))) {
      st.note(st.at(n), key, "deprecated in Axolotl v0.13: use streaming_multipack_buffer_size");
    }
  };
  f.reset = [](Config& c) { c.data.pretrain.multipack_buffer_size = PretrainConfig().multipack_buffer_size; };
  return f;
}

}  // namespace

std::vector<Field> pretrain_fields() {
  using C = Config;
  return {
      datasets_field(),
      plain<C>("data.streaming", {"streaming"}, AXOLOTL_REF(data.pretrain.streaming),
               "stream the data (implied by pretraining_dataset; SFT datasets are prepared in full)"),
      plain<C>("data.pretrain_multipack_attn", {"pretrain_multipack_attn"}, AXOLOTL_REF(data.pretrain.multipack_attn),
               "with sample_packing: documents packed into one row do not attend to each other"),
      plain<C>("data.streaming_multipack_buffer_size", {"streaming_multipack_buffer_size"},
               AXOLOTL_REF(data.pretrain.multipack_buffer_size),
               "Axolotl's streaming shuffle buffer (documents are streamed in file order here)", at_least(1)),
      deprecated_buffer_alias(),
      plain<C>("data.pretraining_sample_concatenation", {"pretraining_sample_concatenation"},
               AXOLOTL_REF(data.pretrain.sample_concatenation),
               "concatenate documents into full rows (always done here)"),
  };
}

void check_pretraining(const Config& c, State& st) {
  const auto& p = c.data.pretrain;
  if (st.was_set("data.streaming_multipack_buffer_size")) {
    st.note(st.where("data.streaming_multipack_buffer_size"), "streaming_multipack_buffer_size",
            "no shuffle buffer: streamed documents are read in file order (exactly resumable)");
  }
  if (!p.enabled()) {
    if (p.streaming.value_or(false)) {
      st.note(st.where("data.streaming"), "streaming", "SFT datasets are tokenized in full before training, not "
              "streamed; pretraining_dataset streams text");
    }
    return;
  }
  const Location where = st.where("data.pretraining_dataset");
  if (c.training.max_steps <= 0 && !st.is_bad("training.max_steps")) {
    st.error(where, "max_steps", "max_steps must be set when using pretraining_dataset",
             c.training.max_steps < 0 ? "unset" : std::to_string(c.training.max_steps), "max_steps: N (> 0)",
             "a stream has no length to derive the LR schedule from (as in Axolotl)");
  }
  if (c.data.val_set_size > 0) {
    st.error(st.where("data.val_set_size"), "val_set_size", "val_set_size is not supported with pretraining_dataset",
             std::to_string(c.data.val_set_size), "val_set_size: 0",
             "use test_datasets to specify evaluation datasets for pretraining (as Axolotl says)");
  }
  if (c.data.exact_deduplication) {
    st.error(st.where("data.exact_deduplication"), "dataset_exact_deduplication",
             "dataset_exact_deduplication is not available for streaming datasets", "true", "false");
  }
  if (!c.preference.method.empty()) {
    st.error(st.where("preference.method"), "rl", "preference training reads datasets, not a pretraining stream",
             c.preference.method, "rl unset with pretraining_dataset");
  }
  if (!c.data.datasets.empty()) {
    st.note(st.where("datasets"), "datasets", "not used: pretraining_dataset is streamed instead (as Axolotl does)");
  }
  if (p.datasets.size() > 1) {
    st.note(where, "pretraining_dataset", "only the first entry is streamed (as Axolotl does); " +
            std::to_string(p.datasets.size() - 1) + " more ignored");
  }
  if (!c.data.sample_packing && !p.sample_concatenation.value_or(false)) {
    st.note(where, "pretraining_sample_concatenation", "documents are concatenated into full sequence_len rows "
            "(Axolotl pads each document to its own rows unless pretraining_sample_concatenation or sample_packing)");
  }
}

}  // namespace axolotl::config::detail
