// KTO on 2 ranks (forked, Gloo): each rank trains its 2 examples (KL rows rotated within them, as the
// loader builds a rank's share), the KL estimate is the mean of the ranks' estimates, clamped (TRL
// gather_for_metrics(kl).mean().clamp(min=0)), gradients are summed over ranks; three AdamW steps of a
// LoRA adapter give tests/reference/preference_reference.py's "kto_ddp" losses and gathered metrics.
// A rank whose share is empty joins the all-reduce through skip_share(), and an uneven split of the
// last micro-batch (3 + 1 examples) gives one process's numbers too.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/train/distributed_context.h"
#include "axolotl/train/distributed_grads.h"
#include "axolotl/train/objective_kto.h"
#include "axolotl/train/optimizer.h"
#include "test_distributed_harness.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

namespace fs = std::filesystem;
using testing::check;

fs::path base_dir() { return testing::source_dir() / "tests/assets/adapters/peft_tiny/base"; }
fs::path pref_dir() { return testing::source_dir() / "tests/assets/train/preference"; }

// The base model with the reference script's initial adapter; returns the trainable tensors.
std::vector<torch::Tensor> load_policy(model::LlamaForCausalLM& m) {
  auto config = model::load_llama_config(base_dir().string());
  m = model::LlamaForCausalLM(config, torch::TensorOptions().dtype(torch::kFloat32));
  model::load_weights(*m, base_dir().string());
  config::LoraConfig lora;
  lora.type = config::AdapterType::kLora;
  lora.model_dir = (pref_dir() / "adapter").string();
  adapters::setup_adapters(*m, lora, {}, "");
  std::vector<torch::Tensor> trainable;
  for (const auto& p : m->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  return trainable;
}

// One rank's micro-batch from the golden: [examples; KL rows], right-padded (pad id 0), with labels.
BatchTensors batch_of(const nlohmann::json& k) {
  auto to_tensor = [](const nlohmann::json& rows) {
    std::vector<int64_t> flat;
    for (const auto& r : rows)
      for (const auto& v : r) flat.push_back(v.get<int64_t>());
    return torch::tensor(flat).reshape({static_cast<int64_t>(rows.size()), -1});
  };
  BatchTensors b;
  b.input_ids = to_tensor(k["input_ids"]);
  b.labels = to_tensor(k["labels"]);
  b.segment_ids = b.input_ids.ne(0).to(torch::kInt64);
  b.position_ids = torch::arange(b.input_ids.size(1)).unsqueeze(0).expand_as(b.input_ids).contiguous();
  std::vector<int64_t> flags;
  for (const auto& d : k["desirable"]) flags.push_back(d.get<bool>() ? 1 : 0);
  b.desirable = torch::tensor(flags).ne(0);
  return b;
}

KtoOptions options_of(const nlohmann::json& s) {
  return {s.at("beta").get<double>(), s.at("desirable_weight").get<double>(), s.at("undesirable_weight").get<double>()};
}

// other_padding: the ranks pad their rows to other widths than the golden's, which moves TRL 1.8's
// logits/* (every logit summed, padding included), so those two are not compared.
void check_metrics(const Metrics& got, const nlohmann::json& want, const std::string& where, bool other_padding = false) {
  size_t compared = 0;
  for (const auto& m : got) {
    if (other_padding && m.name.rfind("logits/", 0) == 0) continue;
    if (!want.contains(m.name)) check(false, where + ": metric " + m.name + " not in the golden");
    const double w = want[m.name].get<double>(), v = m.sum / m.weight;
    check(std::abs(v - w) <= 2e-5 * std::max(1.0, std::abs(w)),
          where + " " + m.name + ": " + std::to_string(v) + ", reference " + std::to_string(w));
    ++compared;
  }
  const size_t expected = other_padding ? 7 : 9;
  check(compared == expected, where + ": " + std::to_string(compared) + " metrics, " + std::to_string(expected) + " expected");
}

config::DistributedConfig ddp_config() {
  config::DistributedConfig c;
  c.ddp_timeout_s = 60;
  return c;
}

TEST(KtoObjectiveDdp, TwoRanksGatherTheKlEstimateAsTrl) {
  const auto g = nlohmann::json::parse(testing::read_file(pref_dir() / "golden.json"));
  ASSERT_TRUE(g.contains("kto_ddp")) << "rerun tests/reference/preference_reference.py";
  const auto& steps = g["runs"]["kto_ddp"];
  ASSERT_EQ(steps.size(), 3u);
  // The property is not trivial: the ranks' own estimates differ at step 1, so a per-rank KL gives other losses.
  const auto& rank_kl = steps[0]["metrics"]["rank_kl"];
  ASSERT_GT(std::abs(rank_kl[0].get<double>() - rank_kl[1].get<double>()), 1e-3);
  const auto outcomes = testing::run_ranks(2, [&](int rank) {
    auto dist = DistributedContext::from_env(ddp_config());
    model::LlamaForCausalLM m{nullptr};
    const auto trainable = load_policy(m);
    NamedParams named;
    for (const auto& item : m->named_parameters())
      if (item.value().requires_grad()) named.emplace_back(item.key(), item.value());
    config::TrainingConfig tc;
    tc.learning_rate = g["learning_rate"].get<double>();
    tc.weight_decay = 0.0;
    Optimizer opt(tc, named);
    KtoObjective objective(*m, nullptr, options_of(g["kto"]["settings"]), false, dist.get());
    const BatchTensors b = batch_of(g["kto_ddp"]["ranks"][static_cast<size_t>(rank)]);
    for (size_t i = 0; i < steps.size(); ++i) {
      const std::string where = "rank " + std::to_string(rank) + " step " + std::to_string(i + 1);
      opt.zero_grad();
      MicroLoss ml = objective.micro_loss(b, 4.0);  // 4 examples in the global micro-batch
      ml.loss.backward();
      all_reduce_gradients(*dist, trainable);
      opt.step();
      const double loss = dist->all_reduce_sum(ml.loss.item<double>());
      const double want = steps[i]["loss"].get<double>();
      check(std::abs(loss - want) <= 2e-5, where + " loss " + std::to_string(loss) + ", reference " + std::to_string(want));
      check_metrics(ml.metrics, steps[i]["metrics"], where);
    }
  }, 120);
  for (const auto& o : outcomes) EXPECT_EQ(o.status, 0) << "rank " << o.rank << ": " << o.message;
}

TEST(KtoObjectiveDdp, AnEmptyShareJoinsTheAllReduce) {
  const auto g = nlohmann::json::parse(testing::read_file(pref_dir() / "golden.json"));
  const auto& first = g["runs"]["kto"][0];
  const auto outcomes = testing::run_ranks(2, [&](int rank) {
    auto dist = DistributedContext::from_env(ddp_config());
    model::LlamaForCausalLM m{nullptr};
    load_policy(m);
    KtoObjective objective(*m, nullptr, options_of(g["kto"]["settings"]), false, dist.get());
    if (rank == 1) {
      objective.skip_share();  // nothing left for this rank in the last micro-batch
      return;
    }
    const MicroLoss ml = objective.micro_loss(batch_of(g["kto"]), 4.0);  // all 4 examples on rank 0
    const double want = first["loss"].get<double>();
    check(std::abs(ml.loss.item<double>() - want) <= 2e-5, "loss " + std::to_string(ml.loss.item<double>()));
    check_metrics(ml.metrics, first["metrics"], "rank 0");
  }, 60);
  for (const auto& o : outcomes) EXPECT_EQ(o.status, 0) << "rank " << o.rank << ": " << o.message;
}

// The last micro-batch of an epoch can split unevenly: here rank 0 holds 3 of the 4 golden examples
// (and their KL rows), rank 1 the fourth. The KL estimate is the mean over every KL row of the
// micro-batch, as one process computes it (golden "kto" step 1), not the mean of the ranks' means
// ((mean of 3 + 1) / 2, which weighs rank 1's one row as three).
BatchTensors rows_of(const BatchTensors& b, const std::vector<int64_t>& examples) {
  const int64_t n = b.desirable.size(0);
  std::vector<int64_t> rows = examples;
  for (int64_t e : examples) rows.push_back(n + e);
  const auto idx = torch::tensor(rows), ex = torch::tensor(examples);
  BatchTensors out;
  out.input_ids = b.input_ids.index_select(0, idx);
  out.labels = b.labels.index_select(0, idx);
  out.position_ids = b.position_ids.index_select(0, idx);
  out.segment_ids = b.segment_ids.index_select(0, idx);
  out.desirable = b.desirable.index_select(0, ex);
  return out;
}

TEST(KtoObjectiveDdp, AnUnevenLastShareGivesOneProcessesNumbers) {
  const auto g = nlohmann::json::parse(testing::read_file(pref_dir() / "golden.json"));
  const auto& first = g["runs"]["kto"][0];
  const auto outcomes = testing::run_ranks(2, [&](int rank) {
    auto dist = DistributedContext::from_env(ddp_config());
    model::LlamaForCausalLM m{nullptr};
    load_policy(m);
    KtoObjective objective(*m, nullptr, options_of(g["kto"]["settings"]), false, dist.get());
    const BatchTensors all = batch_of(g["kto"]);
    const BatchTensors mine = rows_of(all, rank == 0 ? std::vector<int64_t>{0, 1, 2} : std::vector<int64_t>{3});
    const MicroLoss ml = objective.micro_loss(mine, 4.0);  // 4 examples in the global micro-batch
    const double loss = dist->all_reduce_sum(ml.loss.item<double>());
    const double want = first["loss"].get<double>();
    check(std::abs(loss - want) <= 2e-5, "rank " + std::to_string(rank) + " loss " + std::to_string(loss) +
                                             ", reference " + std::to_string(want));
    check_metrics(ml.metrics, first["metrics"], "rank " + std::to_string(rank), /*other_padding=*/true);
  }, 60);
  for (const auto& o : outcomes) EXPECT_EQ(o.status, 0) << "rank " << o.rank << ": " << o.message;
}

}  // namespace
}  // namespace axolotl::train
