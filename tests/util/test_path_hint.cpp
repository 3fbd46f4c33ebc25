// "did you mean" for paths: model folders under a parent folder, and the closest existing path.
#include <gtest/gtest.h>

#include <filesystem>

#include "axolotl/util/path_hint.h"
#include "test_support.h"

namespace axolotl {
namespace {
namespace fs = std::filesystem;

TEST(PathHint, FoldersHoldingFindsModelFoldersBelowAParent) {
  testing::TempDir dir;
  const std::string outputs = (dir / "outputs").string();
  fs::create_directories(dir / "outputs" / "tiny-model");
  fs::create_directories(dir / "outputs" / "runs" / "lora-out");
  fs::create_directories(dir / "outputs" / "empty");
  fs::create_directories(dir / "outputs" / ".cache" / "hidden");
  testing::write_file(dir / "outputs" / "tiny-model" / "config.json", "{}");
  testing::write_file(dir / "outputs" / "runs" / "lora-out" / "config.json", "{}");
  testing::write_file(dir / "outputs" / ".cache" / "hidden" / "config.json", "{}");
  const auto found = folders_holding(outputs, "config.json");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0], outputs + "/tiny-model");
  EXPECT_EQ(found[1], outputs + "/runs/lora-out");
  EXPECT_EQ(folders_holding(outputs, "config.json", 1).size(), 1u);
  EXPECT_TRUE(folders_holding((dir / "missing").string(), "config.json").empty());
  EXPECT_EQ(did_you_mean_paths({"a/b"}), "did you mean a/b?");
  EXPECT_EQ(did_you_mean_paths({"a/b", "a/c"}), "did you mean one of a/b, a/c?");
  EXPECT_EQ(did_you_mean_paths({}), "");
}

TEST(PathHint, CloseExistingPathFixesEachMistypedComponent) {
  testing::TempDir dir;
  fs::create_directories(dir / "outputs" / "tiny-model");
  const std::string base = dir.path().string();
  EXPECT_EQ(close_existing_path(base + "/outputs/tiny-modle"), base + "/outputs/tiny-model");
  EXPECT_EQ(close_existing_path(base + "/outptus/tiny-model"), base + "/outputs/tiny-model");
  EXPECT_EQ(close_existing_path(base + "/outputs/tiny-model/"), "");          // exists
  EXPECT_EQ(close_existing_path(base + "/outputs/llama-3-8b-instruct"), "");  // nothing close
  EXPECT_EQ(close_existing_path(base + "/elsewhere/tiny-model"), "");
}

}  // namespace
}  // namespace axolotl
