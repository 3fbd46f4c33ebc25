// The tiny per-family checkpoints and goldens that tests/reference/family_reference.py writes, once per
// test binary run, for test_family.cpp and test_family_multimodal.cpp (skips cleanly without python3+torch).
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axolotl/model/llama_model.h"
#include "axolotl/model/weight_loader.h"
#include "test_support.h"

namespace axolotl::model::family_test {

// The reference's output folder (empty when it could not run).
class Goldens {
 public:
  static const std::filesystem::path& dir() {
    static Goldens g;
    return g.ok_ ? g.dir_.path() : empty();
  }

 private:
  Goldens() {
    if (testing::python().empty()) return;
    const auto script = testing::source_dir() / "tests" / "reference" / "family_reference.py";
    const std::string cmd = testing::python() + " " + script.string() + " " + dir_.path().string() + " > " +
                            (dir_ / "log.txt").string() + " 2>&1";
    ok_ = std::system(cmd.c_str()) == 0;
    if (!ok_) std::cerr << testing::read_file(dir_ / "log.txt");
  }
  static const std::filesystem::path& empty() {
    static const std::filesystem::path e;
    return e;
  }
  testing::TempDir dir_;
  bool ok_ = false;
};

#define REQUIRE_GOLDENS()                                                                                     \
  do {                                                                                                        \
    if (::axolotl::model::family_test::Goldens::dir().empty()) GTEST_SKIP() << "no python3 with torch for family_reference.py"; \
  } while (0)

inline nlohmann::json golden(const std::string& family) {
  return nlohmann::json::parse(testing::read_file(Goldens::dir() / family / "golden.json"));
}

inline LlamaForCausalLM load_folder(const std::string& folder) {
  LlamaForCausalLM m(load_llama_config(folder), torch::TensorOptions().dtype(torch::kFloat32));
  load_weights(*m, folder);
  m->eval();
  return m;
}

inline LlamaForCausalLM load(const std::string& family) { return load_folder((Goldens::dir() / family).string()); }

inline torch::Tensor rows(const nlohmann::json& j) {  // [[...], ...] -> (T, V)
  auto r = j.get<std::vector<std::vector<float>>>();
  std::vector<float> flat;
  for (const auto& row : r) flat.insert(flat.end(), row.begin(), row.end());
  return torch::tensor(flat).view({static_cast<int64_t>(r.size()), -1});
}

inline torch::Tensor ids_tensor(const std::vector<int64_t>& ids) {
  return torch::tensor(ids, torch::kInt64).unsqueeze(0);
}

}  // namespace axolotl::model::family_test
