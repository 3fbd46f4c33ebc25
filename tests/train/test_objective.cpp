// Objectives: the preference losses and TRL's metrics over three AdamW steps of a LoRA adapter equal
// tests/reference/preference_reference.py (our implementation of TRL 1.8's formulas) on the tiny PEFT
// reference LLaMA; the DPO loss of a fresh adapter (B = 0) is ln 2 exactly; the adapter switch gives
// the base model's logits; the SFT objective is the summed CE over the step's trained tokens.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/adapters/lora_injection.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/train/objective.h"
#include "axolotl/train/objective_factory.h"
#include "axolotl/train/objective_kto.h"
#include "axolotl/train/objective_preference.h"
#include "axolotl/train/optimizer.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

namespace fs = std::filesystem;

fs::path base_dir() { return testing::source_dir() / "tests/assets/adapters/peft_tiny/base"; }
fs::path pref_dir() { return testing::source_dir() / "tests/assets/train/preference"; }
nlohmann::json golden() { return nlohmann::json::parse(testing::read_file(pref_dir() / "golden.json")); }

model::LlamaForCausalLM load_base() {
  auto config = model::load_llama_config(base_dir().string());
  model::LlamaForCausalLM m(config, torch::TensorOptions().dtype(torch::kFloat32));
  model::load_weights(*m, base_dir().string());
  return m;
}

// Injects the reference script's initial adapter (model_dir set) or a fresh one (B = 0).
NamedParams with_adapter(model::LlamaForCausalLM& m, bool from_file) {
  config::LoraConfig lora;
  lora.type = config::AdapterType::kLora;
  if (from_file) {
    lora.model_dir = (pref_dir() / "adapter").string();
  } else {
    lora.rank = 4;
    lora.alpha = 8;
    lora.dropout = 0.0;
    lora.target_modules = {"q_proj", "v_proj", "down_proj"};
  }
  adapters::setup_adapters(*m, lora, {}, "");
  NamedParams trainable;
  for (const auto& item : m->named_parameters())
    if (item.value().requires_grad()) trainable.emplace_back(item.key(), item.value());
  return trainable;
}

// The golden [chosen; rejected] rows as the loop hands them to an objective.
BatchTensors golden_batch(const nlohmann::json& g) {
  auto to_tensor = [](const nlohmann::json& rows) {
    std::vector<int64_t> flat;
    for (const auto& r : rows)
      for (const auto& v : r) flat.push_back(v.get<int64_t>());
    return torch::tensor(flat).reshape({static_cast<int64_t>(rows.size()), -1});  // (N, T)
  };
  BatchTensors b;
  b.input_ids = to_tensor(g["input_ids"]);
  b.labels = to_tensor(g["labels"]);
  const int64_t t = b.input_ids.size(1);
  b.segment_ids = b.input_ids.ne(0).to(torch::kInt64);  // pad id 0 only at the end of each row
  b.position_ids = torch::arange(t).unsqueeze(0).expand_as(b.input_ids).contiguous();
  return b;
}

PreferenceOptions options_for(const std::string& name, const nlohmann::json& s) {
  PreferenceOptions o;
  o.loss = preference_loss_from_name(name);
  o.beta = s.at("beta").get<double>();
  o.simpo_gamma = s.value("simpo_gamma", o.simpo_gamma);
  o.cpo_alpha = s.value("cpo_alpha", o.cpo_alpha);
  o.label_smoothing = s.value("label_smoothing", 0.0);
  o.use_weighting = s.value("use_weighting", false);
  return o;
}

// `wpo`: the reference's use_weighting runs (golden["wpo"]).
void expect_run_matches(const std::string& name, bool wpo = false) {
  const auto full = golden();
  const auto& g = wpo ? full["wpo"] : full;
  auto m = load_base();
  const NamedParams trainable = with_adapter(m, true);
  config::TrainingConfig tc;
  tc.learning_rate = full["learning_rate"].get<double>();
  tc.weight_decay = 0.0;
  Optimizer opt(tc, trainable);
  PreferenceObjective objective(*m, nullptr, options_for(name, g["settings"][name]), false);
  const BatchTensors b = golden_batch(full);
  const auto& steps = g["runs"][name];
  for (size_t i = 0; i < steps.size(); ++i) {
    opt.zero_grad();
    MicroLoss ml = objective.micro_loss(b, static_cast<double>(b.input_ids.size(0) / 2));
    ml.loss.backward();
    opt.step();
    EXPECT_NEAR(ml.loss.item<double>(), steps[i]["loss"].get<double>(), 2e-5 * std::max(1.0, std::abs(steps[i]["loss"].get<double>())))
        << name << " step " << i + 1 << " (tests/reference/preference_reference.py)";
    const auto& want = steps[i]["metrics"];
    EXPECT_EQ(ml.metrics.size(), want.size()) << name;
    EXPECT_EQ(objective.metric_names().size(), ml.metrics.size());
    for (const auto& m : ml.metrics) {
      const std::string& key = m.name;
      const double value = m.sum / m.weight;
      ASSERT_TRUE(want.contains(key)) << name << ": metric " << key << " not in the reference";
      // ORPO/CPO's logits/* average every position, padding included: they hold only when padding
      // positions are computed as transformers does (CausalLmLoss transformers_padding).
      EXPECT_NEAR(value, want[key].get<double>(), 2e-5 * std::max(1.0, std::abs(want[key].get<double>())))
          << name << " step " << i + 1 << " " << key;
    }
  }
}

TEST(PreferenceObjective, DpoStepsMatchReference) { expect_run_matches("dpo"); }
TEST(PreferenceObjective, IpoStepsMatchReference) { expect_run_matches("ipo"); }
TEST(PreferenceObjective, OrpoStepsMatchReference) { expect_run_matches("orpo"); }
TEST(PreferenceObjective, SimpoStepsMatchReference) { expect_run_matches("simpo"); }
TEST(PreferenceObjective, WpoDpoStepsMatchReference) { expect_run_matches("dpo", true); }
TEST(PreferenceObjective, WpoIpoStepsMatchReference) { expect_run_matches("ipo", true); }

// dpo_use_weighting scales each pair's loss by a detached weight: a different loss, the same metrics.
TEST(PreferenceObjective, WpoChangesTheLossNotTheMetrics) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, true);
  const BatchTensors b = golden_batch(g);
  PreferenceObjective plain(*m, nullptr, options_for("dpo", g["settings"]["dpo"]), false);
  PreferenceObjective wpo(*m, nullptr, options_for("dpo", g["wpo"]["settings"]["dpo"]), false);
  const MicroLoss a = plain.micro_loss(b, 3.0), w = wpo.micro_loss(b, 3.0);
  EXPECT_NEAR(a.loss.item<double>(), g["runs"]["dpo"][0]["loss"].get<double>(), 2e-5);
  EXPECT_NEAR(w.loss.item<double>(), g["wpo"]["runs"]["dpo"][0]["loss"].get<double>(), 2e-5);
  EXPECT_GT(std::abs(w.loss.item<double>() - a.loss.item<double>()), 0.1 * a.loss.item<double>());
  ASSERT_EQ(a.metrics.size(), w.metrics.size());
  for (size_t i = 0; i < a.metrics.size(); ++i) EXPECT_EQ(a.metrics[i].sum, w.metrics[i].sum) << a.metrics[i].name;
}

TEST(PreferenceObjective, FreshAdapterDpoLossIsLn2) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, false);
  PreferenceObjective objective(*m, nullptr, options_for("dpo", g["settings"]["dpo"]), false);
  const MicroLoss ml = objective.micro_loss(golden_batch(g), 3.0);
  EXPECT_EQ(ml.loss.item<float>(), static_cast<float>(std::log(2.0)));
  for (const auto& m : ml.metrics)
    if (m.name.rfind("rewards/", 0) == 0) EXPECT_EQ(m.sum, 0.0) << m.name;
}

TEST(PreferenceObjective, LossIsSharedOverTheStepsPairs) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, true);
  PreferenceObjective objective(*m, nullptr, options_for("dpo", g["settings"]["dpo"]), false);
  const BatchTensors b = golden_batch(g);
  const double whole = objective.micro_loss(b, 3.0).loss.item<double>();
  // The same micro-batch as one of two equal micro-batches of a 6-pair step counts half.
  EXPECT_NEAR(objective.micro_loss(b, 6.0).loss.item<double>(), whole / 2, 1e-7);
  data::StepBatch step;
  step.micro.resize(2);
  step.micro[0].samples = 3;
  step.micro[1].samples = 2;
  EXPECT_EQ(objective.step_denominator(step), 5.0);
}

TEST(PreferenceObjective, RankSharesKeepPairsTogether) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, false);
  PreferenceObjective objective(*m, nullptr, options_for("dpo", g["settings"]["dpo"]), false);
  // 3 pairs: rows c0 c1 c2 r0 r1 r2 (one int per row here)
  data::Batch global;
  global.rows = 6;
  global.seq_len = 1;
  global.input_ids = {10, 11, 12, 20, 21, 22};
  global.labels = global.input_ids;
  global.position_ids = {0, 0, 0, 0, 0, 0};
  global.segment_ids = {1, 1, 1, 1, 1, 1};
  const data::Batch r0 = objective.share(global, 0, 2), r1 = objective.share(global, 1, 2);
  EXPECT_EQ(r0.input_ids, (std::vector<int32_t>{10, 11, 20, 21}));
  EXPECT_EQ(r0.samples, 2);
  EXPECT_EQ(r1.input_ids, (std::vector<int32_t>{12, 22}));
  EXPECT_EQ(r1.samples, 1);
  EXPECT_EQ(objective.share(global, 2, 2).rows, 0);
  // A share is padded to its own longest row, as TRL's collator pads a rank's batch: rows c0 r0 here.
  data::Batch padded;
  padded.rows = 4;
  padded.seq_len = 3;
  padded.input_ids = {10, 0, 0, 11, 12, 13, 20, 21, 0, 22, 0, 0};
  padded.labels = padded.input_ids;
  padded.position_ids = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2};
  padded.segment_ids = {1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0};
  const data::Batch first = objective.share(padded, 0, 1);
  EXPECT_EQ(first.seq_len, 2);
  EXPECT_EQ(first.input_ids, (std::vector<int32_t>{10, 0, 20, 21}));
  EXPECT_EQ(first.segment_ids, (std::vector<int32_t>{1, 0, 1, 1}));
  EXPECT_EQ(first.position_ids, (std::vector<int32_t>{0, 1, 0, 1}));
  EXPECT_EQ(objective.share(padded, 1, 1).seq_len, 3);
}

// ORPO's and CPO's per-micro-batch means (NLL, logits, ORPO's log-odds terms) weigh by the share's pairs:
// the golden 3 pairs split 2 + 1 (the uneven last micro-batch over 2 ranks) combine, as the loop sums
// the ranks' (sum, weight), to the one-process value of every per-pair mean (TRL gathers rows), not to
// the mean of the two shares' means.
TEST(PreferenceObjective, OrpoAndSimpoMetricsWeighPairsOnAnUnevenSplit) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, true);
  const BatchTensors all = golden_batch(g);
  auto rows = [&](std::vector<int64_t> r) {
    const auto idx = torch::tensor(r);
    BatchTensors b;
    b.input_ids = all.input_ids.index_select(0, idx);
    b.labels = all.labels.index_select(0, idx);
    b.segment_ids = all.segment_ids.index_select(0, idx);
    b.position_ids = all.position_ids.index_select(0, idx);
    return b;
  };
  for (const char* name : {"orpo", "simpo"}) {
    PreferenceObjective objective(*m, nullptr, options_for(name, g["settings"][name]), false);
    torch::NoGradGuard no_grad;
    const Metrics whole = objective.micro_loss(all, 3.0).metrics;
    const Metrics a = objective.micro_loss(rows({0, 1, 3, 4}), 3.0).metrics, b = objective.micro_loss(rows({2, 5}), 3.0).metrics;
    ASSERT_EQ(a.size(), whole.size());
    ASSERT_EQ(b.size(), whole.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      const std::string& k = whole[i].name;
      EXPECT_EQ(a[i].weight, 2.0) << name << " " << k;
      EXPECT_EQ(b[i].weight, 1.0) << name << " " << k;
      const double combined = (a[i].sum + b[i].sum) / (a[i].weight + b[i].weight), want = whole[i].sum / whole[i].weight;
      if (k == "nll_loss" || k.rfind("logits/", 0) == 0) continue;  // token / position means of each share
      EXPECT_NEAR(combined, want, 1e-5 * std::max(1.0, std::abs(want))) << name << " " << k;
      if (k == "log_odds_ratio") {
        const double equal = (a[i].sum / a[i].weight + b[i].sum / b[i].weight) / 2;
        EXPECT_GT(std::abs(equal - want), 1e-4) << "the split must tell pair weights from share weights";
      }
    }
  }
}

TEST(PreferenceObjective, OddRowCountIsAnError) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, false);
  PreferenceObjective objective(*m, nullptr, options_for("dpo", g["settings"]["dpo"]), false);
  BatchTensors b = golden_batch(g);
  b.input_ids = b.input_ids.narrow(0, 0, 5);
  b.labels = b.labels.narrow(0, 0, 5);
  b.segment_ids = b.segment_ids.narrow(0, 0, 5);
  b.position_ids = b.position_ids.narrow(0, 0, 5);
  EXPECT_THROW(objective.micro_loss(b, 1.0), Error);
  EXPECT_THROW(preference_loss_from_name("grpo"), Error);
}

// The golden KTO micro-batch: examples, then their KL rows (prompt i with completion i-1).
BatchTensors kto_batch(const nlohmann::json& k) {
  nlohmann::json rows = {{"input_ids", k["input_ids"]}, {"labels", k["labels"]}};
  BatchTensors b = golden_batch(rows);
  std::vector<int64_t> flags;
  for (const auto& d : k["desirable"]) flags.push_back(d.get<bool>() ? 1 : 0);
  b.desirable = torch::tensor(flags).ne(0);
  return b;
}

KtoOptions kto_options(const nlohmann::json& s) {
  return {s.at("beta").get<double>(), s.at("desirable_weight").get<double>(), s.at("undesirable_weight").get<double>()};
}

TEST(KtoObjective, StepsMatchReference) {
  const auto g = golden();
  auto m = load_base();
  const NamedParams trainable = with_adapter(m, true);
  config::TrainingConfig tc;
  tc.learning_rate = g["learning_rate"].get<double>();
  tc.weight_decay = 0.0;
  Optimizer opt(tc, trainable);
  KtoObjective objective(*m, nullptr, kto_options(g["kto"]["settings"]), false);
  const BatchTensors b = kto_batch(g["kto"]);
  const auto& steps = g["runs"]["kto"];
  ASSERT_EQ(steps.size(), 3u);
  for (size_t i = 0; i < steps.size(); ++i) {
    opt.zero_grad();
    MicroLoss ml = objective.micro_loss(b, 4.0);
    ml.loss.backward();
    opt.step();
    EXPECT_NEAR(ml.loss.item<double>(), steps[i]["loss"].get<double>(), 2e-5) << "kto step " << i + 1;
    const auto& want = steps[i]["metrics"];
    EXPECT_EQ(ml.metrics.size(), want.size());
    EXPECT_EQ(objective.metric_names().size(), ml.metrics.size());
    for (const auto& metric : ml.metrics) {
      ASSERT_TRUE(want.contains(metric.name)) << metric.name;
      const double w = want[metric.name].get<double>();
      EXPECT_NEAR(metric.sum / metric.weight, w, 2e-5 * std::max(1.0, std::abs(w))) << "kto step " << i + 1 << " " << metric.name;
    }
  }
}

TEST(KtoObjective, FreshAdapterLossIsHalfTheMeanWeight) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, false);
  KtoObjective objective(*m, nullptr, kto_options(g["kto"]["settings"]), false);
  const MicroLoss ml = objective.micro_loss(kto_batch(g["kto"]), 4.0);
  // policy = reference: every log-ratio and the KL estimate are 0, each loss is weight · (1 − σ(0)).
  EXPECT_NEAR(ml.loss.item<double>(), (2 * 0.7 * 0.5 + 2 * 1.3 * 0.5) / 4, 1e-7);
  for (const auto& metric : ml.metrics)
    if (metric.name == "kl" || metric.name.rfind("rewards/", 0) == 0) EXPECT_EQ(metric.sum, 0.0) << metric.name;
}

TEST(KtoObjective, BatchWithoutLabelsIsAnError) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, false);
  KtoObjective objective(*m, nullptr, kto_options(g["kto"]["settings"]), false);
  BatchTensors b = kto_batch(g["kto"]);
  b.desirable = b.desirable.narrow(0, 0, 3);  // 8 rows need 4 labels
  EXPECT_THROW(objective.micro_loss(b, 1.0), Error);
  b.desirable = torch::Tensor();
  EXPECT_THROW(objective.micro_loss(b, 1.0), Error);
}

TEST(KtoObjective, RankSharesKeepExamplesWithTheirKlRows) {
  const auto g = golden();
  auto m = load_base();
  with_adapter(m, false);
  KtoObjective objective(*m, nullptr, kto_options(g["kto"]["settings"]), false);
  data::Batch global;  // 3 examples e0 e1 e2, then KL rows k0 k1 k2 (one int per row)
  global.rows = 6;
  global.seq_len = 1;
  global.input_ids = {10, 11, 12, 20, 21, 22};
  global.labels = global.input_ids;
  global.position_ids = {0, 0, 0, 0, 0, 0};
  global.segment_ids = {1, 1, 1, 1, 1, 1};
  global.samples = 3;
  global.desirable = {1, 0, 1};
  const data::Batch r0 = objective.share(global, 0, 2), r1 = objective.share(global, 1, 2);
  EXPECT_EQ(r0.input_ids, (std::vector<int32_t>{10, 11, 20, 21}));
  EXPECT_EQ(r0.desirable, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(r0.samples, 2);
  EXPECT_EQ(r0.tokens, 2);  // the examples' tokens only
  EXPECT_EQ(r1.input_ids, (std::vector<int32_t>{12, 22}));
  EXPECT_EQ(r1.desirable, (std::vector<uint8_t>{1}));
}

// Full fine-tuning: the reference is a frozen copy of the initial weights, so the first DPO loss is
// ln 2 and the copy does not move when the policy is trained.
TEST(ObjectiveFactory, FullFineTuningGetsAFrozenReferenceCopy) {
  const auto g = golden();
  auto m = load_base();
  config::PreferenceConfig c;
  c.method = "dpo";
  ObjectiveBundle bundle = make_objective(c, {}, *m);
  ASSERT_TRUE(bundle.reference);
  const BatchTensors b = golden_batch(g);
  MicroLoss first = bundle.objective->micro_loss(b, 3.0);
  EXPECT_NEAR(first.loss.item<double>(), std::log(2.0), 1e-6);
  first.loss.backward();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m->parameters())
      if (p.grad().defined()) p.sub_(p.grad() * 0.05);  // a small step of gradient descent
  }
  for (const auto& item : bundle.reference->named_parameters()) {
    EXPECT_FALSE(item.value().requires_grad()) << item.key();
    EXPECT_FALSE(torch::equal(item.value(), m->named_parameters()[item.key()])) << item.key() << " moved with the policy";
  }
  const double second = bundle.objective->micro_loss(b, 3.0).loss.item<double>();
  EXPECT_LT(second, std::log(2.0)) << "a step against the gradient lowers the loss relative to the frozen copy";
  // ORPO and SimPO need no reference; with an adapter the reference is the adapter switched off.
  c.method = "orpo";
  EXPECT_FALSE(make_objective(c, {}, *m).reference);
  c.method = "dpo";
  EXPECT_FALSE(make_objective(c, {true, false, false}, *m).reference);
  c.method = "kto";
  EXPECT_THROW(make_objective(c, {true, false, true}, *m), Error);  // several ranks without their process group
}

// precompute_ref_log_probs with full fine-tuning: no frozen copy, and the same losses over training
// steps as the frozen copy gives (the cache holds the initial weights' log-probs).
TEST(ObjectiveFactory, PrecomputedReferenceEqualsTheFrozenCopy) {
  const auto g = golden();
  const BatchTensors b = golden_batch(g);
  const auto kb = kto_batch(g["kto"]);
  for (const std::string method : {"dpo", "kto"}) {
    auto a = load_base(), c = load_base();
    config::PreferenceConfig p;
    p.method = method;
    ObjectiveBundle copy = make_objective(p, {}, *a);
    p.precompute_ref_log_probs = true;
    ObjectiveBundle cached = make_objective(p, {}, *c);
    EXPECT_FALSE(cached.reference) << "no second copy of the weights";
    ASSERT_TRUE(cached.objective->precomputes_reference());
    const BatchTensors& batch = method == "kto" ? kb : b;
    cached.objective->cache_reference(batch);
    for (int step = 0; step < 3; ++step) {
      MicroLoss la = copy.objective->micro_loss(batch, 3.0), lc = cached.objective->micro_loss(batch, 3.0);
      EXPECT_NEAR(la.loss.item<double>(), lc.loss.item<double>(), 1e-6) << method << " step " << step + 1;
      la.loss.backward();
      lc.loss.backward();
      torch::NoGradGuard no_grad;
      for (auto* m : {&a, &c})
        for (auto& w : (*m)->parameters())
          if (w.grad().defined()) {
            w.sub_(w.grad() * 0.05);
            w.mutable_grad().zero_();
          }
    }
    BatchTensors other = batch;
    other.input_ids = other.input_ids.clone();
    other.input_ids.index_put_({0, 1}, 99);  // a sequence never precomputed
    EXPECT_THROW(cached.objective->micro_loss(other, 3.0), Error) << method;
  }
}

TEST(AdapterSwitch, DisabledAdaptersGiveTheBaseLogits) {
  auto base = load_base();
  auto m = load_base();
  with_adapter(m, true);
  const auto ids = torch::tensor({1, 5, 9, 17, 33}).unsqueeze(0);
  torch::NoGradGuard no_grad;
  const auto base_logits = base->forward(ids);
  EXPECT_GT((m->forward(ids) - base_logits).abs().max().item<double>(), 1e-3);
  {
    adapters::AdaptersDisabled off;
    EXPECT_TRUE(adapters::adapters_disabled());
    EXPECT_TRUE(torch::equal(m->forward(ids), base_logits));
  }
  EXPECT_FALSE(adapters::adapters_disabled());
}

// modules_to_save are trained in place; with their captured bases an adapter-off scope runs the base
// tables (PEFT's original_module), the trained ones come back after it, and a graph built before the
// scope still back-propagates through the trained weights.
TEST(AdapterSwitch, SavedModuleBasesRestoreTheBaseTablesForAScope) {
  auto base = load_base();
  auto m = load_base();
  adapters::SavedModuleBases bases = adapters::SavedModuleBases::capture(*m, {"embed_tokens", "lm_head"});
  ASSERT_FALSE(bases.empty());
  auto& table = m->model->embed_tokens->weight;
  {
    torch::NoGradGuard no_grad;
    table.add_(torch::randn_like(table) * 0.05);  // "trained"
  }
  const torch::Tensor trained = table.detach().clone();
  const auto ids = torch::tensor({1, 5, 9, 17, 33}).unsqueeze(0);
  torch::Tensor base_logits;
  {
    torch::NoGradGuard no_grad;
    base_logits = base->forward(ids);
  }
  const torch::Tensor policy = m->forward(ids).pow(2).sum();  // graph over the trained table
  {
    torch::NoGradGuard no_grad;
    adapters::AdaptersDisabled off(&bases);
    EXPECT_TRUE(torch::equal(m->forward(ids), base_logits));
  }
  EXPECT_TRUE(torch::equal(table, trained));
  policy.backward();
  ASSERT_TRUE(table.grad().defined());
  auto again = load_base();
  {
    torch::NoGradGuard no_grad;
    again->model->embed_tokens->weight.copy_(trained);
  }
  again->forward(ids).pow(2).sum().backward();
  EXPECT_TRUE(torch::allclose(table.grad(), again->model->embed_tokens->weight.grad(), 1e-6, 1e-6));
}

TEST(SftObjective, LossIsSummedCeOverTheStepsTrainedTokens) {
  auto m = load_base();
  SftObjective objective(*m, false);
  BatchTensors b = golden_batch(golden());
  data::StepBatch step;
  step.trained_tokens = 0;
  EXPECT_EQ(objective.step_denominator(step), 1.0);
  step.trained_tokens = 40;
  const double denom = objective.step_denominator(step);
  EXPECT_EQ(denom, 40.0);
  const MicroLoss ml = objective.micro_loss(b, denom);
  EXPECT_TRUE(ml.metrics.empty());
  EXPECT_NEAR(ml.loss.item<double>(), objective.eval_sum(b).item<double>() / 40.0, 1e-6);
}

}  // namespace
}  // namespace axolotl::train
