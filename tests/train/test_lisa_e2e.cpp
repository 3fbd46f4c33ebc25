// LISA through the real executable (Axolotl's examples/llama-2/lisa.yml keys): a full fine-tune
// with lisa_n_layers 1 changes exactly the decoder layers it logs as chosen (plus the embeddings,
// which LISA leaves trainable); with an adapter it is refused by name.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "axolotl/io/safetensors.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;
using testing::run_axolotl;

// Names of the tensors whose bytes differ between two safetensors files.
std::set<std::string> changed(const fs::path& a, const fs::path& b) {
  auto fa = io::SafetensorsFile::open(a.string());
  auto fb = io::SafetensorsFile::open(b.string());
  std::set<std::string> out;
  for (const auto& t : fa->tensors()) {
    const auto& u = fb->at(t.name);
    if (t.nbytes() != u.nbytes() || std::memcmp(fa->data(t), fb->data(u), t.nbytes()) != 0) out.insert(t.name);
  }
  return out;
}

TEST(LisaE2E, FullFineTuneTrainsOneDecoderLayerAndAdaptersAreRefused) {
  testing::TempDir dir;
  auto r = run_axolotl({"create-tiny", "--output", (dir.path() / "tiny-model").string(), "--corpus",
                        (testing::source_dir() / "examples/tiny/corpus.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path out = dir.path() / "lisa";
  std::map<std::string, std::string> keys = {
      {"base_model", (dir.path() / "tiny-model").string()}, {"output_dir", out.string()},
      {"dataset_prepared_path", (dir.path() / "prepared").string()}, {"sequence_len", "128"},
      {"micro_batch_size", "4"}, {"gradient_accumulation_steps", "1"}, {"learning_rate", "0.001"},
      {"bf16", "false"}, {"max_steps", "3"}, {"lisa_n_layers", "1"}, {"lisa_step_interval", "20"},
      {"lisa_layers_attribute", "model.layers"}};
  r = run_axolotl({"train", testing::write_alpaca_config(out, keys, "").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The layers the run says it trained (steps 0 and 1 both switch, as Axolotl's callback does).
  std::set<std::string> logged;
  const std::string tag = "LISA: training layers [";
  for (size_t at = r.err.find(tag); at != std::string::npos; at = r.err.find(tag, at + 1)) {
    const size_t begin = at + tag.size();
    logged.insert(r.err.substr(begin, r.err.find(']', begin) - begin));
  }
  ASSERT_FALSE(logged.empty()) << r.err;
  std::set<std::string> layers;
  bool embeddings = false;
  for (const auto& name : changed(dir.path() / "tiny-model/model.safetensors", out / "model.safetensors")) {
    if (name.rfind("model.layers.", 0) == 0) layers.insert(name.substr(13, name.find('.', 13) - 13));
    if (name == "model.embed_tokens.weight") embeddings = true;
  }
  EXPECT_EQ(layers, logged) << "exactly the layers LISA chose changed";
  EXPECT_TRUE(embeddings);
  keys["adapter"] = "lora";
  keys["output_dir"] = (dir.path() / "lisa-lora").string();
  r = run_axolotl({"validate", testing::write_alpaca_config(dir.path() / "lisa-lora", keys, "").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("full fine-tuning only"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::train
