// README.md model card (model_card.h). Text layout after transformers' modelcard.py (TrainingSummary.
// to_model_card, parse_log_history, make_markdown_table, _maybe_round), Axolotl's setup_model_card
// (badge, config block) and PEFT's create_or_update_model_card (library_name, tags, version line).
#include "axolotl/train/model_card.h"

#include <cctype>
#include <regex>

#include <fmt/format.h>

#include "axolotl/data/jinja/value.h"
#include "axolotl/io/atomic_file.h"

namespace axolotl::train {
namespace {
using nlohmann::json;
using Row = std::vector<std::pair<std::string, json>>;

// Python's " ".join(part.capitalize() for part in parts).
std::string capitalized(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ' ';
    for (size_t i = 0; i < p.size(); ++i) {
      const auto c = static_cast<unsigned char>(p[i]);
      out += static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
    }
  }
  return out;
}

std::vector<std::string> split_underscores(const std::string& s) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == '_') parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

// parse_log_history: the index of the train_runtime record, or npos.
size_t train_record(const std::vector<json>& log) {
  for (size_t i = 0; i < log.size(); ++i)
    if (log[i].contains("train_runtime")) return i;
  return std::string::npos;
}

std::vector<Row> eval_lines(const std::vector<json>& log, size_t end) {
  std::vector<Row> lines;
  json training_loss = "No log";
  for (size_t i = 0; i < end; ++i) {
    const json& r = log[i];
    if (r.contains("loss")) training_loss = r["loss"];
    if (!r.contains("eval_loss")) continue;
    Row row = {{"Training Loss", training_loss}, {"Epoch", r.value("epoch", json())}, {"Step", r.value("step", json())}};
    for (const auto& [k, v] : r.items()) {
      if (k == "total_flos" || k == "epoch" || k == "step" || k == "eval_runtime" || k == "eval_samples_per_second" ||
          k == "eval_steps_per_second")
        continue;
      if (k == "eval_loss") {
        row.emplace_back("Validation Loss", v);
      } else {
        auto parts = split_underscores(k);
        parts.erase(parts.begin());
        row.emplace_back(capitalized(parts), v);
      }
    }
    lines.push_back(std::move(row));
  }
  return lines;
}

// The last eval record's metrics ("Loss", ...), as parse_log_history (which skips record 0).
Row eval_results(const std::vector<json>& log) {
  Row out;
  for (size_t i = log.size(); i-- > 1;) {
    if (!log[i].contains("eval_loss")) continue;
    for (const auto& [key, v] : log[i].items()) {
      std::string k = key.rfind("eval_", 0) == 0 ? key.substr(5) : key;
      if (k == "runtime" || k == "samples_per_second" || k == "steps_per_second" || k == "epoch" || k == "step") continue;
      out.emplace_back(capitalized(split_underscores(k)), v);
    }
    break;
  }
  return out;
}

std::string table_line(const std::vector<std::string>& values, const std::vector<size_t>& widths) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) s += "| " + values[i] + std::string(widths[i] - values[i].size() + 1, ' ');
  return s + "|\n";
}

std::string markdown_table(const std::vector<Row>& lines) {
  if (lines.empty()) return "";
  std::vector<std::string> header;
  std::vector<size_t> widths;
  for (const auto& [k, v] : lines[0]) {
    header.push_back(k);
    widths.push_back(k.size());
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& line : lines) {
    cells.emplace_back();
    for (size_t i = 0; i < line.size() && i < widths.size(); ++i) {
      cells.back().push_back(card_value(line[i].second));
      widths[i] = std::max(widths[i], cells.back().back().size());
    }
    cells.back().resize(widths.size());
  }
  std::string t = table_line(header, widths);
  for (size_t w : widths) t += "|:" + std::string(w, '-') + ":";
  t += "|\n";
  for (const auto& c : cells) t += table_line(c, widths);
  return t;
}

// A YAML scalar as PyYAML would leave it plain, else single-quoted ('' for ').
std::string yaml_scalar(const std::string& s) {
  static const std::regex plain(R"([A-Za-z0-9_/.][A-Za-z0-9_./@+:-]*)");
  static const std::regex special(
      R"([-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|)"
      R"(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)");
  if (std::regex_match(s, plain) && !std::regex_match(s, special) && s.back() != ':') return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string front_matter(const ModelCard& card) {
  std::string y;
  y += fmt::format("library_name: {}\n", card.adapter ? "peft" : "transformers");
  if (!card.license.empty()) y += "license: " + yaml_scalar(card.license) + "\n";
  if (card.base_model_on_hub) y += "base_model: " + yaml_scalar(card.base_model) + "\n";
  std::vector<std::string> tags = {"axolotl", "generated_from_trainer"};
  tags.insert(tags.end(), card.extra_tags.begin(), card.extra_tags.end());
  if (card.adapter) {  // PEFT's create_or_update_model_card
    if (card.base_model_on_hub) tags.push_back("base_model:adapter:" + card.base_model);
    tags.insert(tags.end(), {"lora", "transformers"});
  }
  y += "tags:\n";
  for (const auto& t : tags) y += "- " + yaml_scalar(t) + "\n";
  if (!card.datasets.empty()) {
    y += "datasets:\n";
    for (const auto& d : card.datasets) y += "- " + yaml_scalar(d) + "\n";
  }
  if (card.adapter) y += "pipeline_tag: text-generation\n";
  // Trainer keeps a result only with a task, a dataset and a metric of its METRIC_TAGS list (accuracy,
  // bleu, ...): a causal-LM loss is none of them, so results stays empty, as in every Axolotl card.
  y += "model-index:\n- name: " + yaml_scalar(card.model_name) + "\n  results: []\n";
  return "---\n" + y + "---\n";
}

}  // namespace

std::string card_value(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    const std::string s = data::jinja::python_float_repr(d);
    const size_t dot = s.find('.');
    if (dot != std::string::npos && s.size() - dot - 1 > 4) return fmt::format("{:.4f}", d);
    return s;
  }
  return v.dump();
}

std::string results_table(const std::vector<json>& log_history) {
  const size_t end = train_record(log_history);
  if (end == std::string::npos) return "";
  return markdown_table(eval_lines(log_history, end));
}

std::string model_card_markdown(const ModelCard& card, const std::vector<json>& log_history) {
  std::string md = front_matter(card);
  md += "\n<!-- This model card has been generated automatically according to the information the Trainer had "
        "access to. You\nshould probably proofread and complete it, then remove this comment. -->\n";
  md += "\n[<img src=\"https://raw.githubusercontent.com/axolotl-ai-cloud/axolotl/main/image/axolotl-badge-web.png\" "
        "alt=\"Built with Axolotl\" width=\"200\" height=\"32\"/>](https://github.com/axolotl-ai-cloud/axolotl)";
  if (!card.config_text.empty()) {
    md += fmt::format("\n<details><summary>See axolotl config</summary>\n\naxolotl version: `{}` (C++)\n```yaml\n{}\n```"
                      "\n\n</details><br>\n",
                      card.tool_version, card.config_text);
  } else {
    md += "\n";
  }
  md += "\n# " + card.model_name + "\n\n";
  if (card.base_model.empty()) {
    md += "This model was trained from scratch on ";
  } else if (card.base_model_on_hub) {
    md += fmt::format("This model is a fine-tuned version of [{0}](https://huggingface.co/{0}) on ", card.base_model);
  } else {
    md += fmt::format("This model is a fine-tuned version of `{}` (a local folder) on ", card.base_model);
  }
  const auto& ds = card.datasets;
  if (ds.empty()) {
    md += "an unknown dataset.";
  } else if (ds.size() == 1) {
    md += "the " + ds[0] + " dataset.";
  } else {
    for (size_t i = 0; i + 1 < ds.size(); ++i) md += (i ? ", the " : "the ") + ds[i];
    md += " and the " + ds.back() + " datasets.";
  }
  const Row results = eval_results(log_history);
  if (!results.empty()) {
    md += "\nIt achieves the following results on the evaluation set:\n";
    for (size_t i = 0; i < results.size(); ++i) md += (i ? "\n- " : "- ") + results[i].first + ": " + card_value(results[i].second);
  }
  md += "\n";
  md += "\n## Model description\n\nMore information needed\n";
  md += "\n## Intended uses & limitations\n\nMore information needed\n";
  md += "\n## Training and evaluation data\n\nMore information needed\n";
  md += "\n## Training procedure\n";
  md += "\n### Training hyperparameters\n";
  md += "\nThe following hyperparameters were used during training:\n";
  for (const auto& [k, v] : card.hyperparameters) md += "- " + k + ": " + v + "\n";
  if (train_record(log_history) != std::string::npos) md += "\n### Training results\n\n" + results_table(log_history) + "\n";
  md += "\n### Framework versions\n\n";
  md += "- axolotl (C++) " + card.tool_version + "\n";
  md += "- Pytorch " + card.torch_version + " (LibTorch)\n";
  if (card.adapter) md += "- PEFT " + card.peft_version + " (file format)\n";
  md += "- Transformers " + card.transformers_version + " (file format)\n";
  return md;
}

std::string peft_checkpoint_card(const ModelCard& card) {
  std::string y;
  if (card.base_model_on_hub) y += "base_model: " + yaml_scalar(card.base_model) + "\n";
  y += "library_name: peft\npipeline_tag: text-generation\ntags:\n";
  if (card.base_model_on_hub) y += "- " + yaml_scalar("base_model:adapter:" + card.base_model) + "\n";
  y += "- lora\n- transformers\n";
  std::string md = "---\n" + y + "---\n\n# Model Card for Model ID\n\n";
  md += card.base_model.empty() ? std::string("A LoRA adapter")
                                : (card.base_model_on_hub ? "A LoRA adapter for [" + card.base_model + "](https://huggingface.co/" +
                                                                card.base_model + ")"
                                                          : "A LoRA adapter for `" + card.base_model + "`");
  md += ": an intermediate checkpoint of the run whose model card is `../README.md`.\n";
  md += "\n### Framework versions\n\n- PEFT " + card.peft_version + " (file format)\n";
  return md;
}

void write_model_card(const std::string& path, const ModelCard& card, const std::vector<json>& log_history) {
  io::write_file_atomic(path, model_card_markdown(card, log_history));
}

}  // namespace axolotl::train
