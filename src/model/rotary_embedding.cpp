// RoPE inverse frequencies and rotation (HF modeling_rope_utils.py ROPE_INIT_FUNCTIONS, modeling_llama.py
// apply_rotary_pos_emb; FORMATS.md §2.4).
#include "axolotl/model/rotary_embedding.h"

#include <algorithm>
#include <cmath>

namespace axolotl::model {
namespace {

// HF _compute_yarn_parameters (transformers v5): blend of the interpolated (1 / (factor · base^(2i/d)))
// and extrapolated (1 / base^(2i/d)) frequencies with a linear ramp between the correction dims of
// beta_fast and beta_slow rotations over original_max_position_embeddings. The scalar maths is double,
// the tensors float32, in HF's order.
torch::Tensor yarn_inv_freq(const LlamaConfig& c) {
  const auto& s = c.rope_scaling;
  const int64_t d = c.rotary_dim();
  const double base = c.rope_theta;
  const double orig = static_cast<double>(s.original_max_position_embeddings);
  const double beta_fast = s.beta_fast && *s.beta_fast != 0.0 ? *s.beta_fast : 32.0;  // `or 32`
  const double beta_slow = s.beta_slow && *s.beta_slow != 0.0 ? *s.beta_slow : 1.0;   // `or 1`
  auto correction_dim = [&](double rotations) {
    return (static_cast<double>(d) * std::log(orig / (rotations * 2 * M_PI))) / (2 * std::log(base));
  };
  double low = correction_dim(beta_fast), high = correction_dim(beta_slow);
  if (s.truncate.value_or(true)) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(d - 1));
  if (low == high) high += 0.001;  // linear_ramp_factor: prevent singularity
  auto exponent = torch::arange(0, d, 2, torch::kInt64).to(torch::kFloat32) / static_cast<float>(d);  // (d/2)
  auto pos_freqs = torch::pow(static_cast<float>(base), exponent);                                     // (d/2)
  auto extrapolation = 1.0 / pos_freqs;                   // (d/2)
  auto interpolation = 1.0 / (s.factor * pos_freqs);      // (d/2)
  auto ramp = ((torch::arange(d / 2, torch::kFloat32) - low) / (high - low)).clamp(0, 1);  // (d/2)
  auto extrapolation_factor = 1 - ramp;                   // (d/2)
  return (interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor).to(torch::kFloat32);
}

// get_mscale in _compute_yarn_parameters.
double yarn_mscale(double scale, double mscale) { return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

}  // namespace

torch::Tensor rope_inv_freq(const LlamaConfig& c, int64_t seq_len) {
  const int64_t d = c.rotary_dim();  // head_dim · partial_rotary_factor
  double base = c.rope_theta;
  const auto& s = c.rope_scaling;
  if (s.type == RopeType::kYarn) return yarn_inv_freq(c);
  if (s.type == RopeType::kDynamic && seq_len > c.max_position_embeddings) {
    // base' = theta * ((factor * seq_len / max_pos) - (factor - 1)) ^ (d / (d - 2))
    base = base * std::pow(s.factor * static_cast<double>(seq_len) / static_cast<double>(c.max_position_embeddings) -
                               (s.factor - 1.0),
                           static_cast<double>(d) / static_cast<double>(d - 2));
  }
  // inv_freq[i] = 1 / base^(2i/d), float32 of an int64 arange (as HF computes it)
  auto exponent = torch::arange(0, d, 2, torch::kInt64).to(torch::kFloat32) / static_cast<float>(d);  // (d/2)
  auto inv_freq = 1.0 / torch::pow(static_cast<float>(base), exponent);                                 // (d/2)
  inv_freq = inv_freq.to(torch::kFloat32);
  if (s.type == RopeType::kLongRope) {
    // HF _compute_longrope_parameters: inv_freq = 1 / (ext · base^(2i/d)), ext = long_factor past the
    // original context, else short_factor.
    const auto& ext = seq_len > s.original_max_position_embeddings ? s.long_factor : s.short_factor;
    auto factors = torch::tensor(std::vector<float>(ext.begin(), ext.end()), torch::kFloat32);  // (d/2)
    inv_freq = (1.0 / (factors * torch::pow(static_cast<float>(base), exponent))).to(torch::kFloat32);
  } else if (s.type == RopeType::kLinear) {
    inv_freq = inv_freq / static_cast<float>(s.factor);
  } else if (s.type == RopeType::kLlama3) {
    const double orig = static_cast<double>(s.original_max_position_embeddings);
    const double low_wl = orig / s.low_freq_factor;
    const double high_wl = orig / s.high_freq_factor;
    auto wavelen = 2.0 * M_PI / inv_freq;                                                    // (d/2)
    auto scaled = torch::where(wavelen > low_wl, inv_freq / s.factor, inv_freq);            // (d/2)
    auto smooth = (orig / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);  // (d/2)
    auto smoothed = (1.0 - smooth) * scaled / s.factor + smooth * scaled;                     // (d/2)
    auto medium = (wavelen >= high_wl).logical_and(wavelen <= low_wl);                       // (d/2)
    inv_freq = torch::where(medium, smoothed, scaled).to(torch::kFloat32);
  }
  return inv_freq;
}

double rope_attention_scaling(const LlamaConfig& c) {
  const auto& s = c.rope_scaling;
  if (s.type == RopeType::kYarn) {  // _compute_yarn_parameters' attention_factor
    if (s.attention_factor) return *s.attention_factor;
    if (s.mscale && *s.mscale != 0.0 && s.mscale_all_dim && *s.mscale_all_dim != 0.0) {
      return yarn_mscale(s.factor, *s.mscale) / yarn_mscale(s.factor, *s.mscale_all_dim);
    }
    return yarn_mscale(s.factor, 1.0);
  }
  if (s.type != RopeType::kLongRope) return 1.0;
  if (s.attention_factor) return *s.attention_factor;
  // HF: factor = max_position / original_max_position when the config names the original length.
  const double orig = static_cast<double>(s.original_max_position_embeddings);
  const double factor = c.original_max_position_embeddings
                            ? static_cast<double>(c.max_position_embeddings) / orig
                            : s.factor;
  return factor <= 1.0 ? 1.0 : std::sqrt(1.0 + std::log(factor) / std::log(orig));
}

RotaryEmbedding::RotaryEmbedding(const LlamaConfig& config)
    : config_(config), attention_scaling_(rope_attention_scaling(config)) {
  // LongRoPE starts from the short factors (HF original_inv_freq); cos_sin switches past the original length.
  const int64_t len = config_.rope_scaling.type == RopeType::kLongRope ? 0 : config_.max_position_embeddings;
  inv_freq_ = rope_inv_freq(config_, len);
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::cos_sin(const torch::Tensor& position_ids,
                                                                  torch::ScalarType dtype) {
  torch::Tensor inv_freq = inv_freq_;
  const auto type = config_.rope_scaling.type;
  const bool per_length = type == RopeType::kDynamic || type == RopeType::kLongRope;
  if (per_length) {
    const int64_t seq_len = position_ids.max().item<int64_t>() + 1;
    if (type == RopeType::kDynamic || seq_len > config_.rope_scaling.original_max_position_embeddings) {
      inv_freq = rope_inv_freq(config_, seq_len);
    }
  }
  if (inv_freq.device() != position_ids.device()) {
    inv_freq = inv_freq.to(position_ids.device());
    if (!per_length) inv_freq_ = inv_freq;
  }
  auto freqs = position_ids.to(torch::kFloat32).unsqueeze(-1) * inv_freq;  // (B, T, rd/2)
  auto emb = torch::cat({freqs, freqs}, -1);                                // (B, T, rd)
  if (attention_scaling_ != 1.0) {  // LongRoPE, YaRN
    return {(emb.cos() * attention_scaling_).to(dtype), (emb.sin() * attention_scaling_).to(dtype)};
  }
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

namespace {
torch::Tensor rotate_half(const torch::Tensor& x) {  // (..., d)
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);     // (..., d/2)
  auto x2 = x.narrow(-1, half, half);  // (..., d/2)
  return torch::cat({-x2, x1}, -1);    // (..., d)
}
}  // namespace

std::pair<torch::Tensor, torch::Tensor> apply_rotary(const torch::Tensor& q, const torch::Tensor& k,
                                                     const torch::Tensor& cos, const torch::Tensor& sin) {
  auto c = cos.unsqueeze(1);  // (B, 1, T, rd)
  auto s = sin.unsqueeze(1);  // (B, 1, T, rd)
  const int64_t rd = cos.size(-1), hd = q.size(-1);
  if (rd < hd) {  // partial rotary (Phi-3 variants): rotate the first rd dims, pass the rest
    auto qr = q.narrow(-1, 0, rd), kr = k.narrow(-1, 0, rd);
    return {torch::cat({qr * c + rotate_half(qr) * s, q.narrow(-1, rd, hd - rd)}, -1),
            torch::cat({kr * c + rotate_half(kr) * s, k.narrow(-1, rd, hd - rd)}, -1)};
  }
  return {q * c + rotate_half(q) * s, k * c + rotate_half(k) * s};  // (B, nh, T, hd), (B, nkv, T, hd)
}

}  // namespace axolotl::model
