// `validate` and `train` check the model side of a config (cli/model_checks.h) through the real
// executable: a PEFT adapter given as base_model, an unsupported or inconsistent config.json, a
// tokenizer that does not fit, a missing CUDA device, and train failing on the model before it
// reads any dataset; cls_model_config naming another family's configuration class.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace axolotl::testing {
namespace {
namespace fs = std::filesystem;

fs::path write_config(const TempDir& dir, const std::string& base_model, const std::string& extra = "") {
  const fs::path p = dir / "c.yml";
  write_file(p, "base_model: " + base_model + "\ndatasets:\n  - path: " + (dir / "missing.jsonl").string() +
                    "\n    type: alpaca\nadapter: lora\n" + extra);
  return p;
}

fs::path model_folder(const TempDir& dir, const std::string& config_json) {
  const fs::path m = dir / "model";
  fs::create_directories(m);
  write_file(m / "config.json", config_json);
  return m;
}

std::string tiny_config() { return read_file(source_dir() / "tests/assets/model/tiny_tied/config.json"); }

TEST(ModelChecks, AdapterFolderAsBaseModelSaysWhatToDo) {
  TempDir dir;
  const fs::path adapter = source_dir() / "tests/assets/adapters/peft_tiny/adapter";
  auto r = run_axolotl({"validate", write_config(dir, adapter.string()).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("this is a PEFT adapter"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("set lora_model_dir"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("base_model"), std::string::npos) << r.err;
}

TEST(ModelChecks, UnsupportedArchitectureAndInconsistentSizesAreConfigErrors) {
  TempDir dir;
  std::string cfg = tiny_config();
  cfg.replace(cfg.find("LlamaForCausalLM"), 16, "GPT2LMHeadModel");
  auto r = run_axolotl({"validate", write_config(dir, model_folder(dir, cfg).string()).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("GPT2LMHeadModel"), std::string::npos) << r.err;

  TempDir dir2;
  cfg = tiny_config();
  cfg.replace(cfg.find("\"num_key_value_heads\": 2"), 24, "\"num_key_value_heads\": 3");
  r = run_axolotl({"validate", write_config(dir2, model_folder(dir2, cfg).string()).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("num_key_value_heads"), std::string::npos) << r.err;
}

TEST(ModelChecks, TokenizerMustExistAndFitTheEmbedding) {
  TempDir dir;
  const fs::path m = model_folder(dir, tiny_config());
  auto r = run_axolotl({"validate", write_config(dir, m.string()).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("tokenizer.model"), std::string::npos) << r.err;
  const fs::path llama2 = shared_dir() / "tokenizers/llama2";
  if (shared_dir().empty() || !fs::exists(llama2 / "tokenizer.model")) GTEST_SKIP() << "../shared absent";
  r = run_axolotl({"validate", write_config(dir, m.string(), "tokenizer_config: " + llama2.string() + "\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // 32000 pieces, 64 embedding rows
  EXPECT_NE(r.err.find("more tokens than the model's embedding rows"), std::string::npos) << r.err;
}

TEST(ModelChecks, AGoodLocalModelValidates) {
  AXOLOTL_REQUIRE_SHARED();
  TempDir dir;
  const fs::path m = shared_dir() / "models/stories260K";
  auto r = run_axolotl({"validate", write_config(dir, m.string()).string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ModelChecks, ClsModelConfigMustBeTheFamilysOwnClass) {
  AXOLOTL_REQUIRE_SHARED();
  TempDir dir;
  const fs::path m = shared_dir() / "models/stories260K";  // LlamaForCausalLM
  auto r = run_axolotl({"validate", write_config(dir, m.string(), "cls_model_config: LlamaConfig\n").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_axolotl({"validate", write_config(dir, m.string(), "cls_model_config: Gemma3TextConfig\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cls_model_config"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Gemma3TextConfig for LlamaForCausalLM"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LlamaConfig"), std::string::npos) << r.err;
}

TEST(ModelChecks, MissingCudaDeviceIsAConfigError) {
  if (fs::exists("/dev/nvidiactl")) GTEST_SKIP() << "an NVIDIA device is present";
  TempDir dir;
  auto r = run_axolotl({"validate", write_config(dir, "./not-yet", "device: cuda\n").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("CUDA requested"), std::string::npos) << r.err;
}

TEST(ModelChecks, ValidateNotesAMissingModelTrainRefusesItBeforeReadingData) {
  TempDir dir;
  const fs::path cfg = write_config(dir, (dir / "not-yet").string());
  auto v = run_axolotl({"validate", cfg.string()});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.err.find("does not exist yet"), std::string::npos) << v.err;
  auto t = run_axolotl({"train", cfg.string()});
  EXPECT_EQ(t.exit_code, 2) << t.err;
  EXPECT_NE(t.err.find("not a local folder or a Hub repo id"), std::string::npos) << t.err;
  EXPECT_EQ(t.err.find("missing.jsonl"), std::string::npos) << "the dataset was read first:\n" << t.err;
}

TEST(ModelChecks, ParentFolderAsModelNamesTheModelFolderInside) {
  TempDir dir;
  fs::create_directories(dir / "outputs" / "tiny-model");
  write_file(dir / "outputs" / "tiny-model" / "config.json", tiny_config());
  const std::string outputs = (dir / "outputs").string();
  auto r = run_axolotl({"validate", write_config(dir, outputs).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("not a model folder: no config.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean " + outputs + "/tiny-model?"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("create-tiny"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("tokenizer"), std::string::npos) << "one problem, not a missing tokenizer too:\n" << r.err;
  // An empty folder: nothing to point at, so download or create-tiny.
  fs::create_directories(dir / "empty");
  r = run_axolotl({"validate", write_config(dir, (dir / "empty").string()).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("create-tiny"), std::string::npos) << r.err;
}

TEST(ModelChecks, MistypedPathSuggestsTheCloseNameNotCreateTiny) {
  TempDir dir;
  fs::create_directories(dir / "outputs" / "tiny-model");
  write_file(dir / "outputs" / "tiny-model" / "config.json", tiny_config());
  const std::string typo = (dir / "outputs" / "tiny-modle").string();
  auto r = run_axolotl({"train", write_config(dir, typo).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("did you mean " + (dir / "outputs" / "tiny-model").string() + "?"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("create-tiny"), std::string::npos) << r.err;
  // Spelt like a Hub id (org/name) but "outputs" is a folder here: a typo, not a download. validate
  // notes it (the model may be made later), train refuses it.
  write_file(dir / "rel.yml", "base_model: outputs/tiny-modle\n");
  r = run_axolotl({"validate", "rel.yml"}, "", dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("did you mean outputs/tiny-model?"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Hub cache"), std::string::npos) << r.err;
  r = run_axolotl({"train", "rel.yml"}, "", dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no such folder"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean outputs/tiny-model?"), std::string::npos) << r.err;
  // Nothing close: create-tiny is the hint.
  r = run_axolotl({"train", write_config(dir, (dir / "outputs" / "llama-3-70b").string()).string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("create-tiny"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace axolotl::testing
