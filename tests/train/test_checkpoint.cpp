// Checkpoint folders: atomic save with manifest, detection of incomplete/corrupt ones, fallback to the
// previous good one, rotation, and the CPU RNG state round trip.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <filesystem>

#include "axolotl/train/checkpoint.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;

std::string save(const testing::TempDir& out, int64_t step, const std::string& payload = "weights") {
  return save_checkpoint(out.path().string(), step, [&](const std::string& dir) {
    testing::write_file(fs::path(dir) / "adapter_model.safetensors", payload);
    testing::write_file(fs::path(dir) / "trainer_state.json", "{}\n");
  });
}

TEST(Checkpoint, SaveWritesManifestAndVerifies) {
  testing::TempDir out;
  const std::string dir = save(out, 5);
  EXPECT_EQ(fs::path(dir).filename(), "checkpoint-5");
  EXPECT_TRUE(fs::exists(fs::path(dir) / kManifestName));
  EXPECT_EQ(verify_checkpoint(dir), "");
  for (const auto& e : fs::directory_iterator(out.path()))  // no temp folder left behind
    EXPECT_EQ(e.path().filename().string().rfind(".checkpoint", 0), std::string::npos);
}

TEST(Checkpoint, DetectsIncompleteAndCorruptFolders) {
  testing::TempDir out;
  const std::string dir = save(out, 1, "0123456789");
  testing::write_file(fs::path(dir) / "adapter_model.safetensors", "0123456780");  // same size, one byte off
  EXPECT_NE(verify_checkpoint(dir).find("adapter_model.safetensors is corrupt"), std::string::npos);
  testing::write_file(fs::path(dir) / "adapter_model.safetensors", "short");
  EXPECT_NE(verify_checkpoint(dir).find("bytes"), std::string::npos);
  fs::remove(fs::path(dir) / "adapter_model.safetensors");
  EXPECT_NE(verify_checkpoint(dir).find("missing"), std::string::npos);
  fs::remove(fs::path(dir) / kManifestName);
  EXPECT_NE(verify_checkpoint(dir).find("did not finish"), std::string::npos);
}

TEST(Checkpoint, LatestGoodFallsBackPastABrokenOne) {
  testing::TempDir out;
  save(out, 10);
  save(out, 20);
  const std::string broken = save(out, 30);
  fs::remove(fs::path(broken) / kManifestName);
  fs::create_directories(out / "checkpoint-abc");  // not a checkpoint name
  auto all = list_checkpoints(out.path().string());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].step, 10);
  EXPECT_EQ(all[2].step, 30);
  auto good = latest_good_checkpoint(out.path().string());
  ASSERT_TRUE(good);
  EXPECT_EQ(good->step, 20);
  EXPECT_FALSE(latest_good_checkpoint((out / "nothing").string()));
}

TEST(Checkpoint, RotationKeepsTheNewestAndTheProtectedOne) {
  testing::TempDir out;
  const std::string first = save(out, 2);
  save(out, 4);
  save(out, 6);
  save(out, 8);
  // HF _rotate_checkpoints: the best one counts towards the limit but is never deleted.
  rotate_checkpoints(out.path().string(), 2, first);
  auto left = list_checkpoints(out.path().string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].step, 2);
  EXPECT_EQ(left[1].step, 8);
  rotate_checkpoints(out.path().string(), 0);  // 0 keeps all
  EXPECT_EQ(list_checkpoints(out.path().string()).size(), 2u);
  save(out, 10);
  rotate_checkpoints(out.path().string(), 1, first);  // limit 1 with an older best keeps 2 (HF)
  left = list_checkpoints(out.path().string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1].step, 10);
}

TEST(Checkpoint, RngStateRoundTrip) {
  testing::TempDir out;
  torch::manual_seed(123);
  torch::randn({3});
  save_rng_state((out / "rng_state.pt").string());
  const torch::Tensor expected = torch::randn({5});
  torch::manual_seed(999);
  load_rng_state((out / "rng_state.pt").string());
  EXPECT_TRUE(torch::equal(torch::randn({5}), expected));
  testing::write_file(out / "bad.pt", "garbage");
  EXPECT_THROW(load_rng_state((out / "bad.pt").string()), IoError);
}

}  // namespace
}  // namespace axolotl::train
