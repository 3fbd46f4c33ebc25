// `axolotl validate` and `axolotl init` through the real executable: the malformed-config corpus
// (exit 2, a line number, never a signal), round trips of the printed config, init's file handling.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "config/config_texts.h"
#include "test_support.h"

namespace axolotl::testing {
namespace fs = std::filesystem;

namespace {

fs::path bad_dir() { return source_dir() / "tests" / "assets" / "config" / "bad"; }

struct Expectation {
  std::string file;
  int line = 0;
  std::string text;
};

std::vector<Expectation> expectations() {
  std::vector<Expectation> out;
  std::istringstream in(read_file(bad_dir() / "expected.tsv"));
  std::string row;
  while (std::getline(in, row)) {
    if (row.empty() || row[0] == '#') continue;
    std::istringstream cols(row);
    Expectation e;
    std::string line;
    std::getline(cols, e.file, '\t');
    std::getline(cols, line, '\t');
    std::getline(cols, e.text);
    e.line = std::stoi(line);
    out.push_back(e);
  }
  return out;
}

}  // namespace

TEST(Validate, MalformedCorpusFailsWithLineNumbers) {
  auto rows = expectations();
  ASSERT_GE(rows.size(), 30u);
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(bad_dir())) files += e.path().extension() == ".yml";
  EXPECT_EQ(files, rows.size()) << "every file in tests/assets/config/bad needs a row in expected.tsv";
  for (const auto& e : rows) {
    auto r = run_axolotl({"validate", (bad_dir() / e.file).string()});
    EXPECT_EQ(r.exit_code, 2) << e.file << "\n" << r.err;
    EXPECT_NE(r.err.find(e.file + ":" + std::to_string(e.line) + ":"), std::string::npos) << e.file << "\n" << r.err;
    EXPECT_NE(r.err.find(e.text), std::string::npos) << e.file << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << e.file;
  }
}

TEST(Validate, RandomBytesNeverCrash) {
  TempDir dir;
  std::mt19937 rng(1234);
  const std::string yamlish = "key: value\n- [ ] { } & * ! | > ' \" % @ ` # ? : , \t\xc3\xa9\xff\x00";
  for (int i = 0; i < 40; ++i) {
    std::string s;
    size_t n = rng() % 400;
    for (size_t k = 0; k < n; ++k) {
      s += (i % 2) ? static_cast<char>(rng() & 0xFF) : yamlish[rng() % yamlish.size()];
    }
    fs::path p = dir / ("fuzz" + std::to_string(i) + ".yml");
    write_file(p, s);
    auto r = run_axolotl({"validate", p.string()});
    EXPECT_EQ(r.exit_code, 2) << "input " << i << ": " << r.err;
    EXPECT_NE(r.err.find("fuzz" + std::to_string(i) + ".yml:"), std::string::npos) << r.err;
  }
}

TEST(Validate, TwentyThousandKeysAreFast) {
  TempDir dir;
  std::string s = "base_model: x\n";
  for (int i = 0; i < 20000; ++i) s += "unknown_key_" + std::to_string(i) + ": 1\n";
  write_file(dir / "huge.yml", s);
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_axolotl({"validate", (dir / "huge.yml").string()});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("huge.yml:2:1"), std::string::npos);
  EXPECT_NE(r.err.find("more problems not shown"), std::string::npos);
  EXPECT_LT(secs, 5.0);
}

TEST(Validate, NestedExampleOutputValidatesAgainUnchanged) {
  TempDir dir;
  write_file(dir / "nested.yml", kNestedExample);
  auto first = run_axolotl({"validate", (dir / "nested.yml").string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("effective batch size: 16"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("model: meta-llama/Llama-2-7b-hf"), std::string::npos);
  write_file(dir / "resolved.yml", first.out);
  auto second = run_axolotl({"validate", (dir / "resolved.yml").string()});
  ASSERT_EQ(second.exit_code, 0) << second.err << first.out;
  // Same settings: identical output apart from the file name in the header line.
  auto body = [](const std::string& s) { return s.substr(s.find('\n')); };
  EXPECT_EQ(body(first.out), body(second.out));
}

TEST(Validate, JsonFormatAndOverrides) {
  TempDir dir;
  write_file(dir / "nested.yml", kNestedExample);
  auto r = run_axolotl({"validate", (dir / "nested.yml").string(), "--format", "json", "--learning-rate", "1e-3",
                        "--set", "adapter.rank=4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["config"]["training"]["learning_rate"].get<double>(), 1e-3);
  EXPECT_EQ(j["config"]["adapter"]["rank"], 4);
  EXPECT_EQ(j["summary"]["effective_batch_size"], 16);
  auto bad = run_axolotl({"validate", (dir / "nested.yml").string(), "--set", "training.learnin_rate=1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("did you mean 'training.learning_rate'"), std::string::npos) << bad.err;
}

TEST(Validate, AxolotlExamplesPassWithNotes) {
  AXOLOTL_REQUIRE_SHARED();
  fs::path dir = shared_dir() / "axolotl-examples";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no axolotl-examples";
  for (const auto& e : fs::directory_iterator(dir)) {
    auto r = run_axolotl({"validate", e.path().string()});
    EXPECT_EQ(r.exit_code, 0) << e.path() << "\n" << r.err;
    EXPECT_NE(r.err.find("[config]"), std::string::npos) << r.err;  // notes on stderr
  }
}

TEST(Validate, HelpListsEveryKey) {
  auto r = run_axolotl({"validate", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("adapter.rank | lora_r"), std::string::npos);
  EXPECT_NE(r.out.find("datasets[].format | datasets[].type"), std::string::npos);
}

TEST(Init, WritesValidConfigsAndRefusesToOverwrite) {
  TempDir dir;
  fs::path out = dir / "tiny.yml";
  auto r = run_axolotl({"init", "--preset", "tiny", "--output", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = read_file(out);
  EXPECT_NE(text.find("# "), std::string::npos);  // commented
  EXPECT_EQ(run_axolotl({"validate", out.string()}).exit_code, 0);
  write_file(out, "mine\n");
  auto again = run_axolotl({"init", "--preset", "llama-2-7b", "--output", out.string()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--force"), std::string::npos);
  EXPECT_EQ(read_file(out), "mine\n");
  auto forced = run_axolotl({"init", "--preset", "llama-2-7b", "--qlora", "--force", "--output", out.string()});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(read_file(out).find("adapter: qlora"), std::string::npos);
  EXPECT_EQ(run_axolotl({"validate", out.string()}).exit_code, 0);
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "left a temporary file";
  }
}

TEST(Init, PrintsToStdoutFromAnyFolder) {
  TempDir dir;
  auto r = run_axolotl({"init", "--preset", "mistral-7b"}, "", dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("base_model: mistralai/Mistral-7B-v0.1"), std::string::npos);
  EXPECT_EQ(run_axolotl({"init", "--preset", "nope"}).exit_code, 2);
}

}  // namespace axolotl::testing
