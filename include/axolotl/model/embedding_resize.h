// Growing the token embedding (and an untied lm_head) for tokens added to the vocabulary, as
// transformers' resize_token_embeddings(new_num_tokens, mean_resizing=True) does. Rows only grow
// here; the model's config() keeps the checkpoint's vocab_size, so writers read embedding_rows().
#pragma once

#include <cstdint>

#include "axolotl/model/llama_model.h"

namespace axolotl::model {

// Rows of model.embed_tokens.weight (the ids a forward pass accepts: 0 .. rows-1).
int64_t embedding_rows(LlamaForCausalLMImpl& model);

// The rows a tokenizer of `tokenizer_size` ids needs: the size itself, or rounded up to a multiple
// of 32 with resize_token_embeddings_to_32x (Axolotl's ModelLoader._resize_token_embeddings).
int64_t rows_needed(int64_t tokenizer_size, bool to_32x);

// Grows embed_tokens (and lm_head unless tied) to `rows` (no-op when it has as many). New rows follow
// transformers' _init_added_embeddings_weights_with_mean: in float32, mean μ and covariance
// Σ = (E-μ)ᵀ(E-μ)/n of the old rows; when 1e-9·Σ is positive definite (its Cholesky factor exists) the
// rows are drawn from N(μ, 1e-9·Σ), otherwise they are μ. lm_head rows likewise from lm_head's rows.
// Draws come from a CPU generator seeded with `seed`. Parameters keep their identity (set_data), so
// module registrations stay valid. Returns the old row count.
int64_t resize_token_embeddings(LlamaForCausalLMImpl& model, int64_t rows, uint64_t seed);

}  // namespace axolotl::model
