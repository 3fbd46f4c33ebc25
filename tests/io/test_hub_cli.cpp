// `axolotl download` end to end against the fake Hub (HF_ENDPOINT on 127.0.0.1).
#include <gtest/gtest.h>

#include <filesystem>

#include "test_hub_fake.h"
#include "test_support.h"

namespace axolotl::testing {
namespace fs = std::filesystem;

namespace {

class DownloadCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeRepo gated = sharded_model_repo();
    gated.id = "org/gated";
    gated.gated = true;
    FakeRepo data;
    data.type = "dataset";
    data.id = "org/alpaca";
    data.files = {{"train.jsonl", "{\"text\": \"a\"}\n"}, {"train.parquet", "PAR1"}};
    hub_ = std::make_unique<FakeHub>(std::vector<FakeRepo>{sharded_model_repo(), gated, data}, dir_.path());
    env_.set("HF_ENDPOINT", hub_->endpoint());
    env_.set("HF_HOME", (dir_ / "hf_home").string());
    env_.unset("HF_HUB_CACHE");
    env_.unset("HUGGINGFACE_HUB_CACHE");
    env_.unset("HF_HUB_OFFLINE");
    env_.unset("TRANSFORMERS_OFFLINE");
    env_.unset("HF_TOKEN");
    env_.unset("HUGGING_FACE_HUB_TOKEN");
    env_.unset("HF_TOKEN_PATH");
  }

  TempDir dir_;
  EnvGuard env_;
  std::unique_ptr<FakeHub> hub_;
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

TEST_F(DownloadCommand, PrintsSnapshotFolder) {
  RunResult r = run_axolotl({"download", "org/tiny"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path folder = first_line(r.out);
  EXPECT_EQ(folder, dir_ / "hf_home" / "hub" / "models--org--tiny" / "snapshots" / kCommit);
  FakeRepo repo = sharded_model_repo();
  EXPECT_EQ(read_file(folder / "model-00002-of-00002.safetensors"), repo.files["model-00002-of-00002.safetensors"]);
  EXPECT_FALSE(fs::exists(folder / "pytorch_model.bin"));
  EXPECT_NE(r.err.find("[hub]"), std::string::npos);  // progress / summary lines (stderr is not a terminal)

  // Offline afterwards: same folder, nothing asked of the server.
  hub_->reset();
  env_.set("HF_HUB_OFFLINE", "1");
  RunResult again = run_axolotl({"download", "org/tiny", "--revision", "main"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(first_line(again.out), folder.string());
  EXPECT_EQ(hub_->log().size(), 0u);
}

TEST_F(DownloadCommand, IncludeGlobsAndDatasets) {
  RunResult r = run_axolotl({"download", "org/tiny", "--include", "*.json", "--include", "tokenizer.model"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path folder = first_line(r.out);
  EXPECT_TRUE(fs::exists(folder / "tokenizer.model"));
  EXPECT_TRUE(fs::exists(folder / "original" / "params.json"));
  EXPECT_FALSE(fs::exists(folder / "model-00001-of-00002.safetensors"));

  RunResult d = run_axolotl({"download", "org/alpaca", "--repo-type", "dataset"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(fs::exists(fs::path(first_line(d.out)) / "train.jsonl"));
  EXPECT_FALSE(fs::exists(fs::path(first_line(d.out)) / "train.parquet"));
}

TEST_F(DownloadCommand, ErrorsExitOneWithHints) {
  RunResult gated = run_axolotl({"download", "org/gated"});
  EXPECT_EQ(gated.exit_code, 1);
  EXPECT_NE(gated.err.find("gated"), std::string::npos) << gated.err;
  EXPECT_NE(gated.err.find("HF_TOKEN"), std::string::npos) << gated.err;
  EXPECT_TRUE(gated.out.empty());

  write_file(dir_ / "hf_home" / "token", "hf_test\n");  // huggingface-cli login's token file
  RunResult ok = run_axolotl({"download", "org/gated"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  RunResult missing = run_axolotl({"download", "org/tiny", "--revision", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("revision 'nope' not found"), std::string::npos) << missing.err;

  EXPECT_EQ(run_axolotl({"download", "org/tiny", "--repo-type", "bucket"}).exit_code, 2);
  EXPECT_EQ(run_axolotl({"download", "a/b/c"}).exit_code, 2);
}

}  // namespace
}  // namespace axolotl::testing
