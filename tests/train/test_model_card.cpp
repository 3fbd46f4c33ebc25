// The README.md model card: Trainer's value rounding, the results table and eval lines against
// tests/reference/model_card_reference.py (transformers' parse_log_history / make_markdown_table
// transcribed), and the YAML front matter read back with a YAML parser.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "axolotl/train/model_card.h"
#include "axolotl/train/trainer_state.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
using nlohmann::json;

// A run's log_history as the trainer writes it: train logs, evals at steps 2 and 4, the final record.
std::vector<json> history() {
  std::vector<json> h;
  const double losses[] = {2.9123, 2.5, 2.25, 1.875};
  for (int s = 1; s <= 4; ++s) {
    h.push_back({{"loss", losses[s - 1]}, {"grad_norm", 0.5 + s}, {"learning_rate", 1e-4 / s}, {"epoch", s / 3.0}, {"step", s}});
    if (s % 2 == 0)
      h.push_back({{"eval_loss", 2.0 / s + 0.123456789}, {"eval_runtime", 0.25}, {"eval_samples_per_second", 40.0},
                   {"eval_steps_per_second", 8.0}, {"epoch", s / 3.0}, {"step", s}});
  }
  h.push_back({{"train_runtime", 3.5}, {"train_samples_per_second", 4.5}, {"train_steps_per_second", 1.1},
               {"total_flos", 6.0e6}, {"train_loss", 2.38}, {"epoch", 4 / 3.0}, {"step", 4}});
  return h;
}

ModelCard card(bool adapter) {
  ModelCard c;
  c.model_name = "outputs/tiny-lora";
  c.base_model = "org/tiny-llama";
  c.base_model_on_hub = true;
  c.adapter = adapter;
  c.datasets = {"tatsu-lab/alpaca", "data/rows.jsonl"};
  c.hyperparameters = {{"learning_rate", "0.0002"}, {"train_batch_size", "4"}, {"seed", "42"}};
  c.config_text = "base_model: org/tiny-llama\nadapter: lora\n";
  c.tool_version = "0.1.0";
  c.transformers_version = "5.14.1";
  c.peft_version = "0.19.1";
  c.torch_version = "2.5.1";
  return c;
}

YAML::Node front_matter(const std::string& md) {
  EXPECT_EQ(md.rfind("---\n", 0), 0u);
  const size_t end = md.find("\n---\n", 4);
  EXPECT_NE(end, std::string::npos);
  return YAML::Load(md.substr(4, end - 4));
}

TEST(ModelCard, ValuesAreRoundedAsTrainersMaybeRound) {
  // Python: str(v) unless a float with more than 4 decimals, then f"{v:.4f}".
  EXPECT_EQ(card_value(0.123456), "0.1235");
  EXPECT_EQ(card_value(0.5), "0.5");
  EXPECT_EQ(card_value(2.0), "2.0");
  EXPECT_EQ(card_value(1e-05), "1e-05");
  EXPECT_EQ(card_value(1.5e-05), "0.0000");  // str gives "1.5e-05": 5 characters after the dot
  EXPECT_EQ(card_value(json(12)), "12");
  EXPECT_EQ(card_value("No log"), "No log");
  EXPECT_EQ(card_value(json()), "None");
}

TEST(ModelCard, ResultsMatchTransformersParseLogHistory) {
  if (testing::python().empty()) GTEST_SKIP() << "no python3";
  testing::TempDir dir;
  TrainerState st;
  st.log_history = history();
  st.log_history.insert(st.log_history.begin(),
                        json{{"eval_loss", 3.0}, {"eval_runtime", 0.2}, {"eval_samples_per_second", 1.0},
                             {"eval_steps_per_second", 1.0}, {"epoch", 0.0}, {"step", 0}});  // "No log" row
  write_trainer_state((dir / "trainer_state.json").string(), st);
  const auto script = testing::source_dir() / "tests" / "reference" / "model_card_reference.py";
  const std::string cmd = testing::python() + " " + script.string() + " " + (dir / "trainer_state.json").string() +
                          " > " + (dir / "ref.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const json ref = json::parse(testing::read_file(dir / "ref.json"));
  const auto read_back = read_trainer_state((dir / "trainer_state.json").string()).log_history;
  EXPECT_EQ(results_table(read_back), ref["table"].get<std::string>());
  EXPECT_NE(ref["table"].get<std::string>().find("| No log "), std::string::npos);
  const std::string md = model_card_markdown(card(true), read_back);
  EXPECT_NE(md.find("\n### Training results\n\n" + ref["table"].get<std::string>() + "\n"), std::string::npos) << md;
  ASSERT_EQ(ref["eval_results"].size(), 1u);
  EXPECT_NE(md.find("It achieves the following results on the evaluation set:\n" +
                    ref["eval_results"][0].get<std::string>() + "\n"),
            std::string::npos)
      << md;
}

TEST(ModelCard, AdapterFrontMatterIsWhatTheHubReads) {
  const std::string md = model_card_markdown(card(true), history());
  const YAML::Node y = front_matter(md);
  EXPECT_EQ(y["library_name"].as<std::string>(), "peft");
  EXPECT_EQ(y["base_model"].as<std::string>(), "org/tiny-llama");
  EXPECT_EQ(y["pipeline_tag"].as<std::string>(), "text-generation");
  EXPECT_FALSE(y["license"]);
  std::vector<std::string> tags;
  for (const auto& t : y["tags"]) tags.push_back(t.as<std::string>());
  EXPECT_EQ(tags, (std::vector<std::string>{"axolotl", "generated_from_trainer", "base_model:adapter:org/tiny-llama",
                                            "lora", "transformers"}));
  ASSERT_EQ(y["datasets"].size(), 2u);
  EXPECT_EQ(y["datasets"][1].as<std::string>(), "data/rows.jsonl");
  ASSERT_TRUE(y["model-index"].IsSequence());
  EXPECT_EQ(y["model-index"][0]["name"].as<std::string>(), "outputs/tiny-lora");
  EXPECT_TRUE(y["model-index"][0]["results"].IsSequence());
  EXPECT_EQ(y["model-index"][0]["results"].size(), 0u);
  // Body: heading, base model link, datasets, Axolotl's config block, hyper-parameters, versions.
  EXPECT_NE(md.find("\n# outputs/tiny-lora\n"), std::string::npos);
  EXPECT_NE(md.find("fine-tuned version of [org/tiny-llama](https://huggingface.co/org/tiny-llama) on the "
                    "tatsu-lab/alpaca and the data/rows.jsonl datasets."),
            std::string::npos);
  EXPECT_NE(md.find("```yaml\nbase_model: org/tiny-llama\nadapter: lora\n\n```"), std::string::npos);
  EXPECT_NE(md.find("The following hyperparameters were used during training:\n- learning_rate: 0.0002\n"
                    "- train_batch_size: 4\n- seed: 42\n"),
            std::string::npos);
  EXPECT_NE(md.find("\n### Framework versions\n\n- axolotl (C++) 0.1.0\n"), std::string::npos);
  EXPECT_NE(md.find("- PEFT 0.19.1"), std::string::npos);
  EXPECT_NE(md.find("- Transformers 5.14.1"), std::string::npos);
}

TEST(ModelCard, FullFineTuneOfALocalFolderNamesNoHubModel) {
  ModelCard c = card(false);
  c.base_model = "/data/models/tiny";
  c.base_model_on_hub = false;
  c.license = "apache-2.0";
  c.datasets = {"yes", "it's: odd"};  // YAML 1.1 boolean and a quote/colon: must stay strings
  const std::string md = model_card_markdown(c, history());
  const YAML::Node y = front_matter(md);
  EXPECT_EQ(y["library_name"].as<std::string>(), "transformers");
  EXPECT_EQ(y["license"].as<std::string>(), "apache-2.0");
  EXPECT_FALSE(y["base_model"]);
  EXPECT_FALSE(y["pipeline_tag"]);
  EXPECT_EQ(y["tags"].size(), 2u);
  EXPECT_EQ(y["datasets"][0].as<std::string>(), "yes");
  EXPECT_EQ(y["datasets"][0].Tag(), "!");  // quoted: not a plain scalar that YAML 1.1 reads as true
  EXPECT_EQ(y["datasets"][1].as<std::string>(), "it's: odd");
  EXPECT_NE(md.find("fine-tuned version of `/data/models/tiny` (a local folder)"), std::string::npos);
  EXPECT_EQ(md.find("PEFT"), std::string::npos);
}

TEST(ModelCard, NoEvaluationGivesAnEmptyResultsSection) {
  std::vector<json> h;
  for (int s = 1; s <= 3; ++s) h.push_back({{"loss", 1.0}, {"epoch", s / 3.0}, {"step", s}});
  h.push_back({{"train_runtime", 1.0}, {"train_loss", 1.0}, {"epoch", 1.0}, {"step", 3}});
  const std::string md = model_card_markdown(card(true), h);
  EXPECT_EQ(results_table(h), "");
  EXPECT_NE(md.find("### Training results\n\n\n\n### Framework versions"), std::string::npos) << md;  // Trainer: "" + "\n"
  EXPECT_EQ(md.find("It achieves"), std::string::npos);
}

}  // namespace
}  // namespace axolotl::train
