// `axolotl train` with rl: dpo / ipo / orpo / simpo / kto through the real executable on the tiny model
// `axolotl create-tiny` makes: a fresh adapter's first DPO loss is ln 2 exactly, TRL's metric names reach
// metrics.jsonl (eval_ names on the eval split) and the progress line, the reward margin turns positive,
// a resumed run repeats the uninterrupted one exactly, 2 ranks equal 1 process (DPO and KTO), IPO, ORPO, SimPO and KTO
// train, full fine-tuning's frozen reference copy and precompute_ref_log_probs agree, config errors
// explain themselves (Axolotl's own examples: test_preference_examples_e2e.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/train/metrics_writer.h"
#include "preference_fixture.h"

namespace axolotl::train {
namespace {
using testing::run_axolotl;


TEST_F(PreferenceE2E, DpoStartsAtLn2AndLearnsThePreference) {
  const fs::path out = dir_->path() / "dpo";
  const auto r = run_axolotl({"train", config(out, "use_tensorboard: true").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 12u);
  EXPECT_NE(r.err.find("rewards/margins"), std::string::npos) << "the reward margin on the progress line\n" << r.err;
  EXPECT_EQ(recs[0]["loss"].get<double>(), static_cast<double>(static_cast<float>(std::log(2.0))))
      << "B = 0: the policy is the reference, every log-ratio is 0";
  for (const char* k : {"rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
                        "logps/rejected", "logits/chosen", "logits/rejected", "entropy", "mean_token_accuracy"})
    EXPECT_TRUE(recs[0].contains(k)) << k;
  EXPECT_EQ(recs[0]["rewards/margins"].get<double>(), 0.0);
  double late_margin = 0, late_loss = 0;
  for (size_t i = 9; i < 12; ++i) {
    late_margin += recs[i]["rewards/margins"].get<double>() / 3;
    late_loss += recs[i]["loss"].get<double>() / 3;
  }
  EXPECT_GT(late_margin, 0.0) << "the policy did not come to prefer the chosen replies";
  EXPECT_TRUE(std::isfinite(late_loss));
  EXPECT_TRUE(fs::exists(out / "adapter_model.safetensors"));
  // TensorBoard holds the same numbers under train/<TRL name> (read by tests/reference/tfevents_reader.py).
  if (testing::python().empty()) return;
  ASSERT_TRUE(fs::is_directory(out / "runs"));
  const fs::path run = fs::directory_iterator(out / "runs")->path(), ev_json = dir_->path() / "dpo-events.json";
  ASSERT_EQ(std::system((testing::python() + " " + (testing::source_dir() / "tests/reference/tfevents_reader.py").string() +
                         " " + run.string() + " > " + ev_json.string()).c_str()), 0);
  const auto ev = json::parse(testing::read_file(ev_json));
  const std::set<std::string> names = {"rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                                       "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected", "entropy",
                                       "mean_token_accuracy"};
  std::map<std::string, int> seen;
  for (const auto& sc : ev["scalars"]) {
    const std::string tag = sc[0];
    if (tag.rfind("train/", 0) != 0 || names.count(tag.substr(6)) == 0) continue;
    const auto step = sc[1].get<int64_t>();
    ASSERT_TRUE(step >= 1 && step <= 12) << tag << " at step " << step;
    const double want = recs[static_cast<size_t>(step - 1)][tag.substr(6)].get<double>();
    EXPECT_NEAR(sc[2].get<double>(), want, 1e-6 * std::max(1.0, std::abs(want))) << tag << " (float32 in TensorBoard)";
    ++seen[tag.substr(6)];
  }
  for (const auto& k : names) EXPECT_EQ(seen[k], 12) << "train/" << k << " in TensorBoard";
}

TEST_F(PreferenceE2E, ResumedRunRepeatsTheUninterruptedOne) {
  const fs::path whole = dir_->path() / "resume-whole", split = dir_->path() / "resume-split";
  ASSERT_EQ(run_axolotl({"train", config(whole, "max_steps: 6").string()}).exit_code, 0);
  ASSERT_EQ(run_axolotl({"train", config(split, "max_steps: 6\nsave_steps: 3").string()}).exit_code, 0);
  const fs::path resumed = dir_->path() / "resume-from3";
  fs::create_directories(resumed / "checkpoint-3");
  fs::copy(split / "checkpoint-3", resumed / "checkpoint-3", fs::copy_options::recursive);
  const auto r = run_axolotl({"train", config(resumed, "max_steps: 6\nsave_steps: 3\nresume_from_checkpoint: " +
                                                           (resumed / "checkpoint-3").string()).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(whole), b = train_records(resumed);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    for (const char* k : {"loss", "rewards/margins", "logps/chosen", "logits/rejected"})
      EXPECT_EQ(a[3 + i][k].get<double>(), b[i][k].get<double>()) << "step " << 4 + i << " " << k;
  }
}

// 2 ranks × 2 pairs (Gloo, fp32) give the losses and metrics of 1 process × 4 pairs.
TEST_F(PreferenceE2E, TwoRanksMatchOneProcess) {
  const fs::path one = dir_->path() / "ddp-one", two = dir_->path() / "ddp-two";
  auto r = run_axolotl({"train", config(one, "max_steps: 4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(two, "max_steps: 4\nmicro_batch_size: 2").string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(one), b = train_records(two);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    for (const char* k : {"loss", "rewards/chosen", "rewards/margins", "rewards/accuracies", "logps/rejected",
                          "logits/chosen", "entropy", "mean_token_accuracy"})
      EXPECT_NEAR(a[i][k].get<double>(), b[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(a[i][k].get<double>())))
          << "step " << i + 1 << " " << k;
  }
}

}  // namespace

// rl: kto on 2 ranks × 2 examples (Gloo, fp32) gives 1 process × 4's losses and metrics, evaluation
// included: the KL estimate is the mean over the global micro-batch's KL rows (TRL gathers the ranks'
// estimates), so the KL term is the same mean. Every row has the same completion, so the KL rows (rotated
// within each rank's 2 examples, or within 1 process's 4) are the same sequences and the math says the
// runs must agree. `count` − 2 eval rows train: 10 leave rank 1 nothing in the last micro-batch of each
// epoch (2 examples), 11 split it 2 + 1 (3 examples); the 2 eval rows leave rank 1 nothing.
void PreferenceE2E::expect_kto_ranks_match_one_process(size_t count, int steps, const std::string& name) {
  const fs::path dir = dir_->path();
  std::vector<json> rows;
  std::ifstream in(testing::source_dir() / "examples/tiny/data.jsonl");
  for (std::string line; std::getline(in, line) && rows.size() < count;)
    if (!line.empty()) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), count);
  std::string text;
  for (size_t i = 0; i < rows.size(); ++i)
    text += json{{"instruction", rows[i]["instruction"]}, {"completion", "I do not know."}, {"label", i % 2 == 0}}.dump() + "\n";
  const fs::path data = dir / (name + ".jsonl");
  testing::write_file(data, text);
  const std::string ds = "datasets:\n  - path: " + data.string() + "\n    type: chatml.argilla\n";
  const std::string keys = "rl: kto\nrl_beta: 0.5\nkto_undesirable_weight: 1.5\nmax_steps: " + std::to_string(steps) +
                           "\nval_set_size: 2\neval_steps: 3\nlearning_rate: 0.01";
  const fs::path one = dir / (name + "-one"), two = dir / (name + "-two");
  auto r = run_axolotl({"train", config(one, keys, ds).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(two, keys + "\nmicro_batch_size: 2", ds).string(), "--nproc-per-node", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(one), b = train_records(two);
  ASSERT_EQ(a.size(), static_cast<size_t>(steps));
  ASSERT_EQ(b.size(), static_cast<size_t>(steps));
  double kl = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    // logits/* are left out: TRL 1.8 sums every logit of each rank's rows padded to that rank's longest,
    // so they depend on how the rows split over ranks (in TRL too).
    for (const char* k : {"loss", "kl", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen",
                          "logps/rejected", "entropy"}) {
      ASSERT_EQ(a[i].contains(k), b[i].contains(k)) << "step " << i + 1 << " " << k;
      if (!a[i].contains(k)) continue;  // a micro-batch whose examples all have one label (TRL logs nothing)
      EXPECT_NEAR(a[i][k].get<double>(), b[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(a[i][k].get<double>())))
          << "step " << i + 1 << " " << k;
    }
    kl = std::max(kl, a[i]["kl"].get<double>());
  }
  EXPECT_NE(a[1]["loss"].get<double>(), a[0]["loss"].get<double>()) << "the adapter did not move";
  std::vector<json> ea, eb;
  for (const auto& j : read_metrics((one / "metrics.jsonl").string()))
    if (j.contains("eval_loss")) ea.push_back(j);
  for (const auto& j : read_metrics((two / "metrics.jsonl").string()))
    if (j.contains("eval_loss")) eb.push_back(j);
  ASSERT_EQ(ea.size(), eb.size());
  ASSERT_FALSE(ea.empty());
  for (size_t i = 0; i < ea.size(); ++i)
    for (const char* k : {"eval_loss", "eval_kl", "eval_entropy", "eval_rewards/chosen", "eval_rewards/rejected"}) {
      ASSERT_EQ(ea[i].contains(k), eb[i].contains(k)) << "eval " << i << " " << k;
      if (!ea[i].contains(k)) continue;  // the 2 eval rows may both have one label
      EXPECT_NEAR(ea[i][k].get<double>(), eb[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(ea[i][k].get<double>())))
          << "eval " << i << " " << k;
    }
  std::cerr << "largest KL estimate over the " << steps << " steps: " << kl << "\n";
}

namespace {

TEST_F(PreferenceE2E, KtoTwoRanksMatchOneProcess) {
  expect_kto_ranks_match_one_process(12, 6, "kto-ddp");
}

// The last micro-batch of the epoch (step 3, 3 examples) splits 2 + 1 over the ranks: rank 1's one KL
// row weighs as one row of three, not as half the estimate. (3 steps: past the epoch, the float noise of
// the two runs, amplified by learning_rate 0.01, reaches the 1e-5 tolerance.)
TEST_F(PreferenceE2E, KtoUnevenLastMicroBatchMatchesOneProcess) {
  expect_kto_ranks_match_one_process(13, 3, "kto-ddp-uneven");
}

TEST_F(PreferenceE2E, IpoTrains) {
  const fs::path out = dir_->path() / "ipo";
  const auto r = run_axolotl({"train", config(out, "rl: ipo\nrl_beta: 0.5\nmax_steps: 4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_NEAR(recs[0]["loss"].get<double>(), 1.0, 1e-6) << "(0 - 1/(2·0.5))² with a fresh adapter";
}

// dpo_use_weighting (WPO): a fresh adapter's pair losses ln 2 times their weights; rewards untouched.
TEST_F(PreferenceE2E, DpoUseWeightingTrains) {
  const fs::path out = dir_->path() / "wpo";
  const auto r = run_axolotl({"train", config(out, "dpo_use_weighting: true\nmax_steps: 4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 4u);
  const double first = recs[0]["loss"].get<double>();
  EXPECT_TRUE(std::isfinite(first) && first > 0.0);
  EXPECT_NE(first, static_cast<double>(static_cast<float>(std::log(2.0)))) << "the weights did not reach the loss";
  EXPECT_EQ(recs[0]["rewards/margins"].get<double>(), 0.0);
}

TEST_F(PreferenceE2E, OrpoTrainsOnArgillaConversations) {
  const fs::path out = dir_->path() / "orpo";
  const std::string ds = "datasets:\n  - path: " + argilla_file().string() + "\n    type: chat_template.argilla\n";
  const auto r = run_axolotl({"train", config(out, "rl: orpo\norpo_alpha: 0.1\nchat_template: chatml\nmax_steps: 6", ds).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 6u);
  for (const char* k : {"nll_loss", "log_odds_ratio", "log_odds_chosen", "rewards/margins", "logps/chosen"})
    EXPECT_TRUE(recs[0].contains(k)) << k;
  // loss = NLL − β·mean(log σ(log-odds)) (TRL ORPOTrainer)
  EXPECT_NEAR(recs[0]["loss"].get<double>(),
              recs[0]["nll_loss"].get<double>() - 0.1 * recs[0]["log_odds_ratio"].get<double>(), 1e-5);
  EXPECT_LT(recs[0]["log_odds_ratio"].get<double>(), 0.0) << "log σ(·) is negative";
}

TEST_F(PreferenceE2E, ConfigErrorsSayWhatIsMissing) {
  const fs::path out = dir_->path() / "errors";
  const std::string icr = "datasets:\n  - path: " + intel_file().string() + "\n    type: chatml.icr\n";
  auto r = run_axolotl({"train", config(out, "rl: kto", icr).string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("KTO dataset types"), std::string::npos) << r.err;
  const std::string kto = "datasets:\n  - path: " + kto_file().string() + "\n    type: chatml.argilla\n";
  r = run_axolotl({"validate", config(out, "rl: kto\nmicro_batch_size: 1", kto).string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("KL term"), std::string::npos) << r.err;
  r = run_axolotl({"train", config(out, "rl: dpo", kto).string()});
  EXPECT_NE(r.exit_code, 0) << "KTO rows under rl: dpo";
  r = run_axolotl({"validate", config(out, "rl: ").string()});
  EXPECT_NE(r.exit_code, 0) << "a preference dataset type without rl";
  EXPECT_NE(r.err.find("preference dataset type"), std::string::npos) << r.err;
}

// excess_length_strategy: raise: a pair longer than sequence_len (256; the first 4 rows fit) stops
// `axolotl train` before any step, naming the file, the line and the lengths (Axolotl raises ValueError
// in its rl data loading).
TEST_F(PreferenceE2E, ExcessLengthRaiseNamesTheRowBeforeTraining) {
  std::ifstream in(intel_file());
  std::string text, line;
  for (int i = 0; i < 4 && std::getline(in, line); ++i) text += line + "\n";
  std::string reply;
  for (int i = 0; i < 60; ++i) reply += " and then they went home";
  text += json{{"system", ""}, {"question", "Tell a long story."}, {"chosen", reply}, {"rejected", " No."}}.dump() + "\n";
  const fs::path data = dir_->path() / "intel_long.jsonl";
  testing::write_file(data, text);
  const std::string ds = "datasets:\n  - path: " + data.string() + "\n    type: chatml.intel\n";
  const fs::path out = dir_->path() / "raise";
  auto r = run_axolotl({"train", config(out, "excess_length_strategy: raise\nsequence_len: 256", ds).string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(data.string() + ":5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sequence_len (256)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("+ chosen"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "metrics.jsonl")) << "no step ran";
  EXPECT_FALSE(fs::exists(out / "adapter_model.safetensors"));
  r = run_axolotl({"train", config(out, "max_steps: 1\nsequence_len: 256", ds).string()});  // drop (the default) trains without it
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A stored pair row starts with its chosen sequence's length, a KTO row with its label and prompt length
// (preference_rows.h, kto_strategy.h): those are not token ids, so sequences longer than the tiny model's
// 512-token vocabulary still pass the prepared rows' id check and train.
TEST_F(PreferenceE2E, SequencesLongerThanTheVocabularyTrain) {
  std::ifstream in(testing::source_dir() / "examples/tiny/corpus.txt");
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  ASSERT_GT(words.size(), 2000u);
  auto text = [&](size_t from, size_t n) {
    std::string t;
    for (size_t i = from; i < from + n; ++i) t += (i > from ? " " : "") + words[i];
    return t;
  };
  std::string dpo, kto;
  for (size_t i = 0; i < 2; ++i) {
    dpo += json{{"prompt", text(i * 10, 10)}, {"chosen", text(100 + i * 400, 400)}, {"rejected", text(900, 20)}}.dump() + "\n";
    kto += json{{"prompt", text(100 + i * 400, 400)}, {"completion", text(i * 10, 10)}, {"label", i == 0}}.dump() + "\n";
  }
  const fs::path dpo_file = dir_->path() / "long_dpo.jsonl", kto_file = dir_->path() / "long_kto.jsonl";
  testing::write_file(dpo_file, dpo);
  testing::write_file(kto_file, kto);
  const std::string keys = "sequence_len: 2048\nmicro_batch_size: 2\nmax_steps: 1\n";
  auto r = run_axolotl({"train", config(dir_->path() / "long-dpo", keys,
                                        "datasets:\n  - path: " + dpo_file.string() + "\n    type: chatml.prompt_pairs\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(train_records(dir_->path() / "long-dpo").size(), 1u);
  r = run_axolotl({"train", config(dir_->path() / "long-kto", keys + "rl: kto",
                                   "datasets:\n  - path: " + kto_file.string() + "\n    type: chatml.prompt_pairs\n").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(train_records(dir_->path() / "long-kto").size(), 1u);
}

TEST_F(PreferenceE2E, SimpoTrainsThroughCpo) {
  const fs::path out = dir_->path() / "simpo";
  const auto r = run_axolotl({"train", config(out, "rl: simpo\nrl_beta: 2.0\nsimpo_gamma: 0.5\ncpo_alpha: 0.5\nmax_steps: 4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 4u);
  for (const char* k : {"nll_loss", "rewards/margins", "logps/chosen", "logits/rejected"}) EXPECT_TRUE(recs[0].contains(k)) << k;
  // loss = mean(−log σ(β(lc − lr) − γ)) + α·NLL; β·(lc − lr) is each pair's reward margin (TRL CPOTrainer)
  const double margin = recs[0]["rewards/margins"].get<double>();
  // softplus is convex, so the mean loss is at least its value at the mean margin (Jensen)
  EXPECT_GE(recs[0]["loss"].get<double>() + 1e-6,
            std::log1p(std::exp(-(margin - 0.5))) + 0.5 * recs[0]["nll_loss"].get<double>());
  EXPECT_GT(recs[0]["nll_loss"].get<double>(), 0.0);
}

// rl: kto on unpaired rows: TRL's KTO metrics in metrics.jsonl, eval_ metrics on the eval split, KTO's
// numbers on the progress line; a fresh adapter's first loss is the mean weight over 2 (policy = reference).
TEST_F(PreferenceE2E, KtoTrainsOnUnpairedRowsWithEvalMetrics) {
  const fs::path out = dir_->path() / "kto";
  const std::string ds = "datasets:\n  - path: " + kto_file().string() + "\n    type: chatml.argilla\n";
  const auto r = run_axolotl({"train", config(out, "rl: kto\nrl_beta: 0.5\nkto_desirable_weight: 0.6\nmax_steps: 6\n"
                                                   "val_set_size: 8\neval_steps: 3", ds).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto recs = train_records(out);
  ASSERT_EQ(recs.size(), 6u);
  for (const char* k : {"kl", "entropy", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen",
                        "logps/rejected", "logits/chosen", "logits/rejected"})
    EXPECT_TRUE(recs[0].contains(k)) << k;
  EXPECT_EQ(recs[0]["kl"].get<double>(), 0.0);
  EXPECT_EQ(recs[0]["rewards/margins"].get<double>(), 0.0);
  // each loss is weight · (1 − σ(0)); the mean over 4 rows depends on how many are desirable
  const double l0 = recs[0]["loss"].get<double>();
  bool matches = false;
  for (int desirable = 0; desirable <= 4; ++desirable)
    matches |= std::abs(l0 - (desirable * 0.6 + (4 - desirable) * 1.0) * 0.5 / 4) < 1e-6;
  EXPECT_TRUE(matches) << l0;
  json eval;
  for (const auto& j : read_metrics((out / "metrics.jsonl").string()))
    if (j.contains("eval_loss")) eval = j;
  ASSERT_FALSE(eval.is_null()) << "no eval record";
  for (const char* k : {"eval_kl", "eval_rewards/chosen", "eval_logps/rejected", "eval_rewards/margins"})
    EXPECT_TRUE(eval.contains(k)) << k;
  EXPECT_NE(r.err.find("| kl "), std::string::npos) << "KTO's KL estimate on the progress line\n" << r.err;
  EXPECT_NE(r.err.find("rewards/margins"), std::string::npos) << r.err;
}

// Full fine-tuning: the reference is a frozen copy of the initial weights, or (precompute_ref_log_probs)
// log-probs computed once before training; both give the same losses.
TEST_F(PreferenceE2E, FullFineTuningFrozenCopyAndPrecomputedReferenceAgree) {
  const fs::path copy = dir_->path() / "full-copy", pre = dir_->path() / "full-pre";
  const std::string full = "adapter: \nlearning_rate: 0.0005\nmax_steps: 3";
  auto r = run_axolotl({"train", config(copy, full).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(pre, full + "\nprecompute_ref_log_probs: true").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(copy), b = train_records(pre);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(a[0]["loss"].get<double>(), static_cast<double>(static_cast<float>(std::log(2.0))));
  for (size_t i = 0; i < 3; ++i)
    for (const char* k : {"loss", "rewards/margins", "logps/chosen"})
      EXPECT_NEAR(a[i][k].get<double>(), b[i][k].get<double>(), 1e-6 * std::max(1.0, std::abs(a[i][k].get<double>())))
          << "step " << i + 1 << " " << k;
  EXPECT_NE(a[2]["rewards/margins"].get<double>(), 0.0) << "the policy moved away from its frozen reference";
}

// LoRA with lora_modules_to_save: the saved tables train in place, and the adapter-off reference runs
// on their base weights (PEFT's original_module). The reference computed live at every step then
// equals the one precomputed before any training; a reference that used the trained tables would not.
TEST_F(PreferenceE2E, ModulesToSaveKeepTheirBaseWeightsInTheReference) {
  const fs::path live = dir_->path() / "mts-live", pre = dir_->path() / "mts-pre";
  const std::string extra = "lora_modules_to_save: [embed_tokens, lm_head]\nmax_steps: 4";
  auto r = run_axolotl({"train", config(live, extra).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"train", config(pre, extra + "\nprecompute_ref_log_probs: true").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = train_records(live), b = train_records(pre);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(a[0]["loss"].get<double>(), static_cast<double>(static_cast<float>(std::log(2.0))));
  for (size_t i = 0; i < 4; ++i)
    for (const char* k : {"loss", "rewards/margins", "rewards/chosen"})
      EXPECT_NEAR(a[i][k].get<double>(), b[i][k].get<double>(), 1e-5 * std::max(1.0, std::abs(a[i][k].get<double>())))
          << "step " << i + 1 << " " << k;
  EXPECT_NE(a[3]["rewards/chosen"].get<double>(), 0.0) << "the policy moved away from its reference";
  const std::string adapter = testing::read_file(live / "adapter_model.safetensors");
  EXPECT_NE(adapter.find("embed_tokens"), std::string::npos);
}

}  // namespace
}  // namespace axolotl::train
