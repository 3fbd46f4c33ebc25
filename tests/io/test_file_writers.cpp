// AppendFile, FolderLock and the AXOLOTL_FAIL_WRITES hook shared by every writer (atomic_file too).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "axolotl/io/append_file.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/folder_lock.h"
#include "axolotl/io/write_fault.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::io {
namespace {
namespace fs = std::filesystem;

TEST(AppendFile, AppendsWholeRecordsAndTruncatesOnRequest) {
  testing::TempDir dir;
  const std::string p = (dir / "m.jsonl").string();
  {
    AppendFile f(p, AppendFile::Mode::kTruncate);
    f.write("a\n");
  }
  {
    AppendFile f(p, AppendFile::Mode::kAppend);
    f.write("b\n");
  }
  EXPECT_EQ(testing::read_file(p), "a\nb\n");
  AppendFile f(p, AppendFile::Mode::kTruncate);
  EXPECT_EQ(testing::read_file(p), "");
}

TEST(AppendFile, UnopenableFileIsAnIoErrorNamingIt) {
  try {
    AppendFile f("/nonexistent-dir/x.jsonl", AppendFile::Mode::kAppend);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.jsonl"), std::string::npos) << e.what();
  }
}

// The hook is read once per process, so each case runs in a child with its own environment.
int in_child_with(const char* rule, void (*body)()) {
  pid_t pid = fork();
  if (pid == 0) {
    setenv("AXOLOTL_FAIL_WRITES", rule, 1);
    try {
      body();
    } catch (const IoError& e) {
      _exit(std::string(e.what()).find("No space left on device") != std::string::npos ? 10 : 11);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(WriteFault, FailsOnlyMatchingPathsAfterTheGivenBytes) {
  static testing::TempDir dir;
  static std::string base;
  base = dir.path().string();
  EXPECT_EQ(in_child_with("victim", [] { write_file_atomic(base + "/other.txt", "x"); }), 0);
  EXPECT_EQ(in_child_with("victim", [] { write_file_atomic(base + "/victim.txt", "x"); }), 10);
  EXPECT_EQ(in_child_with("victim@4", [] {
              AppendFile f(base + "/victim.log", AppendFile::Mode::kTruncate);
              f.write("abcd");  // 4 bytes: still allowed
            }),
            0);
  EXPECT_EQ(in_child_with("victim@4", [] {
              AppendFile f(base + "/victim.log", AppendFile::Mode::kTruncate);
              f.write("abcd");
              f.write("e");
            }),
            10);
  // A failed atomic write leaves neither the file nor its temporary.
  EXPECT_EQ(in_child_with("gone", [] { write_file_atomic(base + "/gone.txt", "x"); }), 10);
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find("gone"), std::string::npos) << e.path();
}

TEST(FolderLock, SecondHolderIsRefusedNamingTheFirstAndReleasedOnExit) {
  testing::TempDir dir;
  const std::string out = (dir / "out").string();
  {
    FolderLock first(out, "axolotl train");
    EXPECT_TRUE(fs::exists(first.path()));
    try {
      FolderLock second(out, "axolotl train");
      FAIL() << "second lock taken";
    } catch (const IoError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("another run is using this folder"), std::string::npos) << what;
      EXPECT_NE(what.find("pid " + std::to_string(getpid())), std::string::npos) << what;
    }
  }
  FolderLock again(out, "axolotl train");  // released by the first's destructor
  // A holder that dies without cleaning up releases the lock too (the kernel drops flocks).
  testing::TempDir dir2;
  const std::string out2 = (dir2 / "out").string();
  pid_t pid = fork();
  if (pid == 0) {
    FolderLock held(out2, "child");
    _exit(0);  // no destructor runs
  }
  int status = 0;
  waitpid(pid, &status, 0);
  FolderLock after(out2, "axolotl train");
}

}  // namespace
}  // namespace axolotl::io
