// PreferenceE2E's shared set-up (preference_fixture.h).
#include "preference_fixture.h"

#include <fstream>
#include <map>
#include <sstream>

#include "axolotl/train/metrics_writer.h"

namespace axolotl::train {
using testing::run_axolotl;

testing::TempDir* PreferenceE2E::dir_ = nullptr;

void PreferenceE2E::SetUpTestSuite() {
  dir_ = new testing::TempDir();
  const auto r = run_axolotl({"create-tiny", "--output", model_dir().string(), "--corpus",
                              (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Preference rows from the bundled alpaca rows: the right answer is chosen, the next row's rejected.
  std::vector<json> rows;
  std::ifstream in(testing::source_dir() / "examples/tiny/data.jsonl");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) rows.push_back(json::parse(line));
  std::string intel, conversation, argilla, kto, kto_llama3;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string q = rows[i]["instruction"].get<std::string>() +
                          (rows[i]["input"].get<std::string>().empty() ? "" : "\n" + rows[i]["input"].get<std::string>());
    const std::string good = rows[i]["output"], bad = rows[(i + 1) % rows.size()]["output"];
    intel += json{{"system", i % 3 == 0 ? "Answer briefly." : ""}, {"question", q}, {"chosen", good}, {"rejected", bad}}.dump() + "\n";
    conversation += json{{"conversation", json::array({{{"role", "user"}, {"content", q}}})},
                         {"chosen", {{"role", "assistant"}, {"content", good}}},
                         {"rejected", {{"role", "assistant"}, {"content", bad}}}}.dump() + "\n";
    argilla += json{{"chosen", json::array({{{"role", "user"}, {"content", q}}, {{"role", "assistant"}, {"content", good}}})},
                    {"rejected", json::array({{{"role", "user"}, {"content", q}}, {{"role", "assistant"}, {"content", bad}}})}}
                   .dump() + "\n";
    // KTO's unpaired rows: the right answer is desirable, the next row's answer is not.
    const bool good_row = i % 2 == 0;
    kto += json{{"instruction", q}, {"completion", good_row ? good : bad}, {"label", good_row}}.dump() + "\n";
    kto_llama3 += json{{"prompt", q}, {"completion", good_row ? good : bad}, {"label", good_row}}.dump() + "\n";
  }
  testing::write_file(kto_file(), kto);
  testing::write_file(kto_ultra_file(), kto_llama3);
  testing::write_file(intel_file(), intel);
  testing::write_file(conversation_file(), conversation);
  testing::write_file(argilla_file(), argilla);
}

// A flat-dialect rl config on the intel rows; `extra` ("key: value" lines) adds or replaces keys.
fs::path PreferenceE2E::config(const fs::path& out, const std::string& extra, const std::string& dataset) {
  std::map<std::string, std::string> keys = {
      {"base_model", model_dir().string()}, {"dataset_prepared_path", (dir_->path() / "prepared").string()},
      {"output_dir", out.string()}, {"sequence_len", "96"}, {"adapter", "lora"}, {"lora_r", "8"},
      {"lora_alpha", "16"}, {"lora_target_linear", "true"}, {"micro_batch_size", "4"},
      {"gradient_accumulation_steps", "1"}, {"learning_rate", "0.003"}, {"lr_scheduler", "constant"},
      {"bf16", "false"}, {"seed", "7"}, {"logging_steps", "1"}, {"rl", "dpo"}, {"max_steps", "12"}};
  std::stringstream lines(extra);
  for (std::string line; std::getline(lines, line);) {
    const size_t colon = line.find(':');
    if (colon != std::string::npos) keys[line.substr(0, colon)] = line.substr(colon + 2);
  }
  std::string yaml = dataset.empty() ? "datasets:\n  - path: " + intel_file().string() + "\n    type: chatml.intel\n" : dataset;
  for (const auto& [k, v] : keys) yaml += k + ": " + v + "\n";
  const fs::path p = out.string() + ".yml";
  testing::write_file(p, yaml);
  return p;
}

std::vector<json> PreferenceE2E::train_records(const fs::path& out) {
  std::vector<json> v;
  for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
    if (j.contains("loss")) v.push_back(j);
  return v;
}

}  // namespace axolotl::train
