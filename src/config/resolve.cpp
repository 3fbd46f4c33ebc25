// Derived config values (see resolve.h).
#include "axolotl/config/resolve.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace axolotl::config {

bool cpuinfo_has_bf16(const std::string& cpuinfo) {
  std::istringstream in(cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 5, "flags") != 0) continue;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      if (w == "avx512_bf16" || w == "amx_bf16") return true;
    }
  }
  return false;
}

bool cpu_has_bf16() {
  static const bool has = [] {
    std::ifstream f("/proc/cpuinfo");
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    return cpuinfo_has_bf16(ss.str());
  }();
  return has;
}

const std::vector<std::string>& llama_linear_names() {
  static const std::vector<std::string> names = {"q_proj",  "k_proj", "v_proj",    "o_proj",
                                                 "gate_proj", "up_proj", "down_proj", "lm_head"};
  return names;
}

const std::vector<std::string>& llama_saveable_modules() {
  static const std::vector<std::string> names = {"embed_tokens", "lm_head"};
  return names;
}

void resolve(Config& c, bool bf16_hardware) {
  auto& t = c.training;
  if (t.precision == Precision::kAuto) t.precision = bf16_hardware ? Precision::kBFloat16 : Precision::kFloat32;
  t.mixed_precision_bf16 = t.precision == Precision::kBFloat16;
  t.mixed_precision_fp16 = t.precision == Precision::kFloat16;
  if (c.model.dtype == DType::kAuto) {
    c.model.dtype = t.precision == Precision::kBFloat16 ? DType::kBFloat16
                    : t.precision == Precision::kFloat16 ? DType::kFloat16
                                                         : DType::kFloat32;
  }
  auto& d = c.data;
  if (!d.pad_to_sequence_len) d.pad_to_sequence_len = d.sample_packing;
  if (!d.eval_sample_packing) d.eval_sample_packing = d.sample_packing;
  auto& a = c.adapter;
  if (a.type != AdapterType::kNone) {
    // lora_target_linear: every linear layer except lm_head (Axolotl's find_all_linear_names).
    if (a.target_linear) {
      for (const auto& n : llama_linear_names()) {
        if (n != "lm_head" && std::find(a.target_modules.begin(), a.target_modules.end(), n) == a.target_modules.end()) {
          a.target_modules.push_back(n);
        }
      }
    }
    if (a.target_modules.empty() && a.target_regex.empty()) a.target_modules = {"q_proj", "v_proj"};  // PEFT's LLaMA default
  }
}

int world_size() {
  const char* v = std::getenv("WORLD_SIZE");
  if (!v || !*v) return 1;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n > 0 && n < 1000000) ? static_cast<int>(n) : 1;
}

int64_t effective_batch_size(const TrainingConfig& t) {
  return static_cast<int64_t>(t.micro_batch_size) * t.gradient_accumulation_steps * world_size();
}

}  // namespace axolotl::config
