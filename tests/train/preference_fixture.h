// The fixture of the preference end-to-end tests (test_preference_e2e.cpp,
// test_preference_examples_e2e.cpp): the tiny model `axolotl create-tiny` makes, preference rows of
// every strategy built from the bundled alpaca rows, and flat-dialect rl configs over them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace axolotl::train {
namespace fs = std::filesystem;
using nlohmann::json;

class PreferenceE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite();  // the tiny model and preference rows of every strategy
  static void TearDownTestSuite() { delete dir_; }
  static fs::path model_dir() { return dir_->path() / "tiny-model"; }
  static fs::path intel_file() { return dir_->path() / "intel.jsonl"; }
  static fs::path conversation_file() { return dir_->path() / "conversation.jsonl"; }
  static fs::path argilla_file() { return dir_->path() / "argilla.jsonl"; }
  static fs::path kto_file() { return dir_->path() / "kto.jsonl"; }
  static fs::path kto_ultra_file() { return dir_->path() / "kto_ultra.jsonl"; }

  // A flat-dialect rl config on the intel rows; `extra` ("key: value" lines) adds or replaces keys.
  static fs::path config(const fs::path& out, const std::string& extra, const std::string& dataset = "");
  static std::vector<json> train_records(const fs::path& out);  // metrics.jsonl's training lines
  // rl: kto on 2 ranks against 1 process on the first `count` bundled rows (definition below).
  static void expect_kto_ranks_match_one_process(size_t count, int steps, const std::string& name);

  static testing::TempDir* dir_;
};

}  // namespace axolotl::train
