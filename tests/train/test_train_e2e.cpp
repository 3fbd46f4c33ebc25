// `axolotl train` end to end through the real executable on the tiny model that `axolotl create-tiny`
// makes (and on ../shared/models/stories260K when present): the loss falls, output files parse, a
// resumed run repeats the uninterrupted one bit for bit, SIGTERM leaves a resumable checkpoint,
// accumulation splits give the same losses, and a missing dataset file is named.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "axolotl/io/safetensors.h"
#include "axolotl/train/checkpoint.h"
#include "axolotl/train/metrics_writer.h"
#include "axolotl/train/tensorboard_writer.h"
#include "axolotl/train/trainer_state.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

class TrainE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto r = run_axolotl({"create-tiny", "--output", model_dir().string(), "--corpus",
                                (testing::source_dir() / "examples/tiny/corpus.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path model_dir() { return dir_->path() / "tiny-model"; }

  // A flat-dialect config training LoRA on the bundled alpaca rows; `extra` ("key: value" lines)
  // adds keys or replaces the defaults below.
  static fs::path config(const fs::path& out, const std::string& extra, const fs::path& model = model_dir()) {
    std::map<std::string, std::string> keys = {
        {"base_model", model.string()}, {"dataset_prepared_path", (dir_->path() / "prepared").string()},
        {"output_dir", out.string()}, {"sequence_len", "128"}, {"adapter", "lora"}, {"lora_r", "8"},
        {"lora_alpha", "16"}, {"lora_target_linear", "true"}, {"micro_batch_size", "4"},
        {"gradient_accumulation_steps", "1"}, {"learning_rate", "0.003"}, {"lr_scheduler", "cosine"},
        {"warmup_steps", "2"}, {"bf16", "false"}, {"seed", "7"}, {"logging_steps", "1"}};
    return testing::write_alpaca_config(out, std::move(keys), extra);
  }

  static std::vector<double> losses(const fs::path& out) {
    std::vector<double> v;
    for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
      if (j.contains("loss")) v.push_back(j["loss"].get<double>());
    return v;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* TrainE2E::dir_ = nullptr;

TEST_F(TrainE2E, LossFallsAndEveryOutputIsWritten) {
  const fs::path out = dir_->path() / "run-basic";
  const auto r = run_axolotl({"train", config(out, "max_steps: 24\nval_set_size: 0.1\neval_steps: 8\n"
                                                  "save_steps: 12\nuse_tensorboard: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto l = losses(out);
  ASSERT_EQ(l.size(), 24u);
  EXPECT_LT((l[21] + l[22] + l[23]) / 3, (l[0] + l[1] + l[2]) / 3 - 0.3) << "loss did not fall";
  int evals = 0;
  for (const auto& j : read_metrics((out / "metrics.jsonl").string())) {
    if (j.contains("eval_loss")) {
      ++evals;
      EXPECT_NEAR(j["eval_perplexity"].get<double>(), std::exp(j["eval_loss"].get<double>()), 1e-9);
    } else {
      for (const char* k : {"step", "epoch", "loss", "learning_rate", "grad_norm", "tokens", "tokens_per_second"})
        EXPECT_TRUE(j.contains(k)) << k;
    }
  }
  EXPECT_EQ(evals, 3);
  for (const char* f : {"adapter_model.safetensors", "adapter_config.json", "tokenizer.model", "trainer_state.json",
                        "loss_curve.svg", "axolotl_config.yml"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  const TrainerState st = read_trainer_state((out / "trainer_state.json").string());
  EXPECT_EQ(st.global_step, 24);
  // Trainer's end-of-training record: samples/s and total_flos = Σ 6 · input_ids.numel() · N (no embeddings).
  const auto last = nlohmann::json::parse(testing::read_file(out / "trainer_state.json"))["log_history"].back();
  EXPECT_GT(last.value("train_samples_per_second", 0.0), 0.0);
  EXPECT_GT(st.total_flos, 0.0);
  EXPECT_EQ(last.value("total_flos", 0.0), st.total_flos);
  EXPECT_EQ(std::fmod(st.total_flos, 6.0), 0.0);
  EXPECT_TRUE(st.best_metric.has_value());
  EXPECT_EQ(verify_checkpoint((out / "checkpoint-12").string()), "");
  EXPECT_EQ(verify_checkpoint((out / "checkpoint-24").string()), "");
  // Trainer resuming from checkpoint-12 reads its trainer_state.json as TrainerState(**json) (any key
  // it does not know is a TypeError) and rebuilds the stateful callbacks from it.
  if (!testing::python().empty()) {
    const auto script = (testing::source_dir() / "tests/reference/trainer_state_reference.py").string();
    const std::string log = (out / "trainer_state_check.txt").string();
    const std::string cmd = testing::python() + " " + script + " " + (out / "checkpoint-12/trainer_state.json").string() +
                            " > " + log + " 2>&1 && " + testing::python() + " " + script + " --finished " +
                            (out / "trainer_state.json").string() + " >> " + log + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << testing::read_file(log);
  }
  // runs/<Mon>DD_HH-MM-SS_<host>/ as Trainer's logging_dir: one folder for this run.
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(out / "runs")) runs.push_back(e.path());
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_TRUE(fs::is_directory(runs[0]));
  EXPECT_TRUE(std::regex_match(runs[0].filename().string(),
                               std::regex(R"((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\d\d_\d\d-\d\d-\d\d_.+)")))
      << runs[0];
  int records = 0;
  for (const auto& e : fs::directory_iterator(runs[0])) {
    const std::string bytes = testing::read_file(e.path());
    for (size_t pos = 0; pos < bytes.size(); ++records) {
      uint64_t len;
      std::memcpy(&len, bytes.data() + pos, 8);
      uint32_t crc;
      std::memcpy(&crc, bytes.data() + pos + 12 + len, 4);
      ASSERT_EQ(crc, masked_crc32c(bytes.data() + pos + 12, len));
      pos += 16 + len;
    }
  }
  // version, 24 × 5 train scalars, 3 × 2 eval scalars, the config text, hparams experiment + session start + end.
  EXPECT_EQ(records, 1 + 24 * 5 + 3 * 2 + 1 + 3);
  if (!testing::python().empty()) {
    const auto script = testing::source_dir() / "tests" / "reference";
    const fs::path ev_json = dir_->path() / "run-basic-events.json", card_json = dir_->path() / "run-basic-card.json";
    ASSERT_EQ(std::system((testing::python() + " " + (script / "tfevents_reader.py").string() + " " + runs[0].string() +
                           " > " + ev_json.string()).c_str()), 0);
    const auto ev = nlohmann::json::parse(testing::read_file(ev_json));
    int train_losses = 0;
    for (const auto& sc : ev["scalars"]) train_losses += sc[0] == "train/loss";
    EXPECT_EQ(train_losses, 24);
    ASSERT_EQ(ev["texts"].size(), 1u);
    EXPECT_EQ(ev["texts"][0][0], "axolotl_config/text_summary");
    EXPECT_NE(ev["texts"][0][2].get<std::string>().find("learning_rate: 0.003"), std::string::npos) << ev["texts"][0][2];
    EXPECT_EQ(ev["session_start"]["hparams"]["learning_rate"], 0.003);
    EXPECT_EQ(ev["session_start"]["hparams"]["adapter"], "lora");
    EXPECT_EQ(ev["session_start"]["hparams"]["max_steps"], 24.0);
    EXPECT_EQ(ev["experiment"]["metrics"], nlohmann::json::parse(R"([["", "train/loss"], ["", "eval/loss"]])"));
    EXPECT_EQ(ev["session_end"]["status"], 1);
    // README.md's results are Trainer's reading of this run's trainer_state.json.
    ASSERT_EQ(std::system((testing::python() + " " + (script / "model_card_reference.py").string() + " " +
                           (out / "trainer_state.json").string() + " > " + card_json.string()).c_str()), 0);
    const auto ref = nlohmann::json::parse(testing::read_file(card_json));
    const std::string md = testing::read_file(out / "README.md");
    EXPECT_NE(md.find("\n### Training results\n\n" + ref["table"].get<std::string>() + "\n"), std::string::npos) << md;
    ASSERT_EQ(ref["eval_results"].size(), 1u);
    EXPECT_NE(md.find(ref["eval_results"][0].get<std::string>() + "\n"), std::string::npos) << md;
  }
  const std::string md = testing::read_file(out / "README.md");
  ASSERT_EQ(md.rfind("---\n", 0), 0u);
  const YAML::Node y = YAML::Load(md.substr(4, md.find("\n---\n", 4) - 4));
  EXPECT_EQ(y["library_name"].as<std::string>(), "peft");
  EXPECT_FALSE(y["base_model"]);  // a local folder is named in the text, not as a Hub id
  EXPECT_EQ(y["tags"][0].as<std::string>(), "axolotl");
  EXPECT_EQ(y["model-index"][0]["name"].as<std::string>(), out.string().substr(1));  // output_dir.lstrip("./")
  EXPECT_EQ(y["datasets"][0].as<std::string>(), (testing::source_dir() / "examples/tiny/data.jsonl").string());
  for (const char* line : {"- learning_rate: 0.003\n", "- train_batch_size: 4\n", "- seed: 7\n",
                           "- lr_scheduler_type: cosine\n", "- lr_scheduler_warmup_steps: 2\n", "- training_steps: 24\n",
                           "- optimizer: Use adamw_torch with betas=(0.9,0.999) and epsilon=1e-08 and optimizer_args="})
    EXPECT_NE(md.find(line), std::string::npos) << line << md;
}

TEST_F(TrainE2E, ResumedRunRepeatsTheUninterruptedOneBitForBit) {
  const std::string extra = "max_steps: 8\nsave_steps: 4\nlora_dropout: 0.1\n";
  const fs::path a = dir_->path() / "run-straight";
  auto r = run_axolotl({"train", config(a, extra).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path b = dir_->path() / "run-resumed";
  fs::create_directories(b);
  fs::copy(a / "checkpoint-4", b / "checkpoint-4", fs::copy_options::recursive);
  const fs::path earlier = b / "runs" / "Jan01_00-00-00_earlier-start";  // the interrupted start's run folder
  fs::create_directories(earlier);
  testing::write_file(earlier / "events.out.tfevents.1.earlier.1.0", "kept as it is");
  r = run_axolotl({"train", config(b, extra + "auto_resume_from_checkpoints: true\nuse_tensorboard: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed from"), std::string::npos) << r.err;
  // As a new Trainer process: a new runs/ folder for the resumed part, the earlier one untouched.
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(b / "runs")) runs.push_back(e.path());
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(testing::read_file(earlier / "events.out.tfevents.1.earlier.1.0"), "kept as it is");
  if (!testing::python().empty()) {
    const fs::path fresh = runs[0] == earlier ? runs[1] : runs[0];
    const fs::path json_out = dir_->path() / "run-resumed-events.json";
    const auto script = testing::source_dir() / "tests" / "reference" / "tfevents_reader.py";
    ASSERT_EQ(std::system((testing::python() + " " + script.string() + " " + fresh.string() + " > " + json_out.string()).c_str()), 0);
    const auto ev = nlohmann::json::parse(testing::read_file(json_out));
    std::vector<int64_t> steps;
    for (const auto& sc : ev["scalars"])
      if (sc[0] == "train/loss") steps.push_back(sc[1].get<int64_t>());
    EXPECT_EQ(steps, (std::vector<int64_t>{5, 6, 7, 8}));
  }
  const auto la = losses(a), lb = losses(b);
  ASSERT_EQ(la.size(), 8u);
  ASSERT_EQ(lb.size(), 4u);  // steps 5..8 only: metrics of this output folder start at the checkpoint
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(la[4 + i], lb[i]) << "step " << 5 + i;
  EXPECT_EQ(testing::read_file(a / "adapter_model.safetensors"), testing::read_file(b / "adapter_model.safetensors"));
}

TEST_F(TrainE2E, AccumulationSplitGivesTheSameLosses) {
  const fs::path a = dir_->path() / "run-micro4";
  const fs::path b = dir_->path() / "run-accum4";
  auto r = run_axolotl({"train", config(a, "max_steps: 3\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(b, "max_steps: 3\nmicro_batch_size: 1\ngradient_accumulation_steps: 4\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto la = losses(a), lb = losses(b);
  ASSERT_EQ(la.size(), 3u);
  ASSERT_EQ(lb.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(la[i], lb[i], 1e-5) << "step " << i + 1;
}

TEST_F(TrainE2E, SigtermSavesAResumableCheckpoint) {
  const fs::path out = dir_->path() / "run-sigterm";
  const fs::path cfg = config(out, "max_steps: 100000\nwarmup_steps: 0\n");
  const std::string bin = std::getenv("AXOLOTL_BIN");
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(bin.c_str(), bin.c_str(), "train", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::error_code ec;
    if (fs::exists(out / "metrics.jsonl", ec) && read_metrics((out / "metrics.jsonl").string()).size() >= 3) break;
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  const auto good = latest_good_checkpoint(out.string());
  ASSERT_TRUE(good.has_value());
  EXPECT_GE(good->step, 3);
  const auto r = run_axolotl({"train", config(out, "max_steps: " + std::to_string(good->step + 2) +
                                                       "\nwarmup_steps: 0\nauto_resume_from_checkpoints: true\n")
                                           .string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_trainer_state((out / "trainer_state.json").string()).global_step, good->step + 2);
}

TEST_F(TrainE2E, MissingDatasetFileIsNamed) {
  const fs::path out = dir_->path() / "run-missing";
  testing::write_file(out.string() + ".yml",
                      "base_model: " + model_dir().string() + "\ndatasets:\n  - path: /nonexistent/rows.jsonl\n"
                      "    type: alpaca\noutput_dir: " + out.string() + "\nmax_steps: 2\n");
  const auto r = run_axolotl({"train", out.string() + ".yml"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/nonexistent/rows.jsonl"), std::string::npos) << r.err;
}

TEST_F(TrainE2E, Stories260KLoraLossFalls) {
  AXOLOTL_REQUIRE_SHARED();
  const fs::path model = testing::shared_dir() / "models/stories260K";
  if (!fs::exists(model / "model.safetensors")) GTEST_SKIP() << "stories260K absent";
  const fs::path out = dir_->path() / "run-stories";
  const auto r = run_axolotl({"train", config(out, "max_steps: 16\ndataset_prepared_path: " +
                                                       (dir_->path() / "prepared-stories").string() + "\n", model)
                                           .string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto l = losses(out);
  ASSERT_EQ(l.size(), 16u);
  EXPECT_LT(l[15], l[0]);
}

// `axolotl evaluate` (Axolotl's command) on the adapter a run left in output_dir repeats that run's
// last evaluation, and trains nothing.
TEST_F(TrainE2E, EvaluateRepeatsTheLastEvalOfTheRun) {
  const fs::path out = dir_->path() / "run-evaluate";
  const fs::path cfg = config(out, "max_steps: 4\nval_set_size: 0.1\neval_steps: 4\nsave_steps: 0\n");
  ASSERT_EQ(run_axolotl({"train", cfg.string()}).exit_code, 0);
  double last = -1;
  for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
    if (j.contains("eval_loss") && j["step"].get<int64_t>() == 4) last = j["eval_loss"].get<double>();
  ASSERT_GT(last, 0);
  const auto before = fs::last_write_time(out / "metrics.jsonl");
  const auto r = run_axolotl({"evaluate", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto at = r.out.find("eval_loss: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_NEAR(std::stod(r.out.substr(at + 11)), last, 1e-4) << r.out;
  EXPECT_NE(r.out.find("eval_perplexity: "), std::string::npos);
  EXPECT_EQ(fs::last_write_time(out / "metrics.jsonl"), before) << "evaluate must not write metrics";
  const auto none = run_axolotl({"evaluate", cfg.string(), "--val-set-size", "0"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("nothing to evaluate"), std::string::npos) << none.err;
}

// Every preset `axolotl init` writes trains once its model is present (here the tiny model stands in
// for the preset's Hub model; data, sizes and steps are shrunk on the command line).
TEST_F(TrainE2E, EveryPresetTrainsOnceItsModelIsPresent) {
  for (const std::string preset : {"tiny", "llama-2-7b", "llama-3-8b", "mistral-7b", "tinyllama-1.1b"}) {
    for (const bool qlora : {false, true}) {
      if (qlora && preset == "tiny") continue;
      SCOPED_TRACE(preset + (qlora ? " --qlora" : ""));
      const fs::path out = dir_->path() / ("preset-" + preset + (qlora ? "-qlora" : ""));
      const fs::path yml = out.string() + ".yml";
      std::vector<std::string> init = {"init", "--preset", preset, "--output", yml.string()};
      if (qlora) init.push_back("--qlora");
      ASSERT_EQ(run_axolotl(init).exit_code, 0);
      const auto r = run_axolotl(
          {"train", yml.string(), "--base-model", model_dir().string(), "--max-steps", "1", "--sequence-len", "256",
           "--micro-batch-size", "2", "--gradient-accumulation-steps", "1", "--output-dir", out.string(),
           "--dataset-prepared-path", (out / "prepared").string(), "--val-set-size", "0", "--set",
           "datasets=[{path: " + (testing::source_dir() / "examples/tiny/data.jsonl").string() + ", type: alpaca}]"});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
  }
}

// save_only_model writes weights without optimizer state; save_strategy: no writes no checkpoint;
// dataset_exact_deduplication drops the second copy of every row.
TEST_F(TrainE2E, SaveStrategySaveOnlyModelAndDeduplication) {
  const fs::path out = dir_->path() / "run-save-only-model";
  auto r = run_axolotl({"train", config(out, "max_steps: 2\nsave_steps: 2\nsave_only_model: true\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out / "checkpoint-2" / "adapter_model.safetensors"));
  EXPECT_FALSE(fs::exists(out / "checkpoint-2" / "optimizer.pt"));
  const fs::path none = dir_->path() / "run-save-no";
  r = run_axolotl({"train", config(none, "max_steps: 2\nsave_steps: 1\nsave_strategy: 'no'\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(none / "checkpoint-1"));
  EXPECT_FALSE(fs::exists(none / "checkpoint-2"));
  EXPECT_TRUE(fs::exists(none / "adapter_model.safetensors"));
  const fs::path twice = dir_->path() / "twice.jsonl";
  const std::string rows = testing::read_file(testing::source_dir() / "examples/tiny/data.jsonl");
  testing::write_file(twice, rows + rows);
  const fs::path dedup = dir_->path() / "run-dedup";
  r = run_axolotl({"train", config(dedup, "max_steps: 1\ndataset_exact_deduplication: true\n").string(), "--set",
                   "datasets=[{path: " + twice.string() + ", type: alpaca}]", "--dataset-prepared-path",
                   (dedup / "prepared").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("dataset_exact_deduplication: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rows were duplicates"), std::string::npos) << r.err;
}

// total_flos as Trainer counts it (Trainer.floating_point_ops -> PreTrainedModel.floating_point_ops):
// Σ over micro-batches of 6 · input_ids.numel() · num_parameters(exclude_embeddings=True). With
// pad_to_sequence_len a micro-batch is rows × sequence_len (a short last one counts its own rows), so
// an epoch sums to 6 · N · rows · 128; N is the base's parameters without embed_tokens (tied head: no
// lm_head; a quantized base counted dense) plus, under LoRA, the adapter's matrices.
// train_samples_per_second counts len(train_dataset) · num_train_epochs samples in an epoch-based run,
// max_steps · batch in a max_steps run (set_initial_training_values). The bundled rows are long for
// the tiny tokenizer: few fit in 128 tokens.
TEST_F(TrainE2E, TotalFlosAndSamplesPerSecondAsTrainerCountsThem) {
  auto numel = [](const fs::path& file, bool skip_embeddings) {
    double n = 0.0;
    const auto f = io::SafetensorsFile::open(file.string());
    for (const auto& t : f->tensors())
      if (!skip_embeddings || t.name.find("embed_tokens") == std::string::npos) n += static_cast<double>(t.numel());
    return n;
  };
  auto last_record = [](const fs::path& out) {
    return nlohmann::json::parse(testing::read_file(out / "trainer_state.json"))["log_history"].back();
  };
  const double base = numel(model_dir() / "model.safetensors", true);
  const std::string padded = "pad_to_sequence_len: true\n";

  // LoRA, one epoch of 7-row micro-batches (the rows read back from the log line; the last
  // micro-batch is short, so max_steps · batch would count more samples than the epoch has).
  const fs::path lora = dir_->path() / "run-flos-lora";
  auto r = run_axolotl({"train", config(lora, padded + "num_epochs: 1\nmicro_batch_size: 7\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(prepared rows: (\d+) train)"))) << r.err;
  const double rows = std::stod(m[1]);
  const double adapter = numel(lora / "adapter_model.safetensors", false);
  auto rec = last_record(lora);
  EXPECT_EQ(rec["total_flos"].get<double>(), 6.0 * (base + adapter) * rows * 128);
  ASSERT_NE(static_cast<int64_t>(rows) % 7, 0) << "the epoch must end on a short micro-batch";
  // speed_metrics rounds the rate to 3 places and the runtime to 4: their product is within 0.05 here.
  EXPECT_NEAR(rec["train_samples_per_second"].get<double>() * rec["train_runtime"].get<double>(), rows, 0.05);

  // QLoRA: the NF4 base counts as its dense shape (num_parameters: Params4bit numel · 2), so N is
  // LoRA's; one step of one row.
  const fs::path qlora = dir_->path() / "run-flos-qlora";
  r = run_axolotl({"train", config(qlora, padded + "adapter: qlora\nload_in_4bit: true\nmax_steps: 1\n"
                                            "micro_batch_size: 1\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(last_record(qlora)["total_flos"].get<double>(), 6.0 * (base + adapter) * 128);

  // Full fine-tuning for 2 steps of 2 × 1 rows, within the first epoch: N without the embeddings
  // alone; max_steps · batch = 4 samples.
  ASSERT_GE(rows, 4);
  const fs::path full = dir_->path() / "run-flos-full";
  r = run_axolotl({"train", config(full, padded + "adapter: none\nmax_steps: 2\nmicro_batch_size: 1\n"
                                           "gradient_accumulation_steps: 2\nlearning_rate: 0.0005\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rec = last_record(full);
  EXPECT_EQ(rec["total_flos"].get<double>(), 6.0 * base * 2 * 2 * 1 * 128);
  EXPECT_NEAR(rec["train_samples_per_second"].get<double>() * rec["train_runtime"].get<double>(), 4.0, 0.05);
  // save_pretrained's side files: config.json and generation_config.json name the transformers release.
  for (const char* f : {"config.json", "generation_config.json"}) {
    ASSERT_TRUE(fs::exists(full / f)) << f;
    EXPECT_EQ(nlohmann::json::parse(testing::read_file(full / f)).value("transformers_version", ""), "5.14.1") << f;
  }
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(full / "generation_config.json")),
            nlohmann::json::parse(testing::read_file(model_dir() / "generation_config.json")));
}

}  // namespace
}  // namespace axolotl::train
