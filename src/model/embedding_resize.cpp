// Token embedding growth with transformers' mean-resizing (see embedding_resize.h).
#include "axolotl/model/embedding_resize.h"

#include <ATen/CPUGeneratorImpl.h>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::model {
namespace {

// (added, H) float32 rows for a table `old` (n, H): transformers modeling_utils
// _init_added_embeddings_weights_with_mean (and _init_added_lm_head_weights_with_mean, untransposed).
torch::Tensor mean_resized_rows(const torch::Tensor& old, int64_t added, at::Generator& gen) {
  const auto e = old.detach().to(torch::kCPU, torch::kFloat32);  // (n, H)
  const auto mean = e.mean(0);                                  // (H)
  const auto centered = e - mean;                               // (n, H)
  const auto covariance = centered.t().matmul(centered) / static_cast<double>(e.size(0));  // (H, H)
  // torch.distributions' positive_definite check is "cholesky_ex succeeds"; the sample is
  // μ + L·z with L the Cholesky factor of 1e-9·Σ and z ~ N(0, I).
  const auto [factor, info] = at::linalg_cholesky_ex(covariance * 1e-9);
  if (info.item<int64_t>() == 0) {
    const auto z = at::randn({added, e.size(1)}, gen, torch::TensorOptions().dtype(torch::kFloat32));  // (added, H)
    return mean + z.matmul(factor.t());
  }
  log::info("model", "the embedding covariance is not positive definite: new rows are the mean embedding");
  return mean.unsqueeze(0).repeat({added, 1});
}

void grow(torch::Tensor& weight, int64_t rows, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  const int64_t old_rows = weight.size(0);
  auto bigger = torch::empty({rows, weight.size(1)}, weight.options().requires_grad(false));  // (rows, H)
  bigger.narrow(0, 0, old_rows).copy_(weight.detach());
  bigger.narrow(0, old_rows, rows - old_rows).copy_(mean_resized_rows(weight, rows - old_rows, gen));
  weight.set_data(bigger);
}

}  // namespace

int64_t embedding_rows(LlamaForCausalLMImpl& model) { return model.model->embed_tokens->weight.size(0); }

int64_t rows_needed(int64_t tokenizer_size, bool to_32x) {
  return to_32x ? (tokenizer_size + 31) / 32 * 32 : tokenizer_size;
}

int64_t resize_token_embeddings(LlamaForCausalLMImpl& model, int64_t rows, uint64_t seed) {
  const int64_t old_rows = embedding_rows(model);
  if (rows <= old_rows) return old_rows;
  if (model.lm_head && model.lm_head->weight.size(0) != old_rows) {
    throw Error(Diagnostic{{}, "lm_head", "lm_head and embed_tokens have different row counts",
                           std::to_string(model.lm_head->weight.size(0)) + " vs " + std::to_string(old_rows),
                           "one row per token id in both", {}});
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  grow(model.model->embed_tokens->weight, rows, gen);
  if (model.lm_head) grow(model.lm_head->weight, rows, gen);
  log::info("model", "resized the token embedding{} from {} to {} rows (new rows: mean-resizing as transformers)",
            model.lm_head ? " and lm_head" : " (lm_head is tied to it)", old_rows, rows);
  return old_rows;
}

}  // namespace axolotl::model
