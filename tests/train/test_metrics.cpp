// metrics.jsonl (flushed lines, resume truncation), trainer_state.json (HF layout), the loss-curve SVG,
// the loss watchdog, the progress text and the stop-signal flag.
#include <gtest/gtest.h>

#include <csignal>
#include <cmath>

#include "axolotl/train/loss_curve.h"
#include "axolotl/train/loss_watchdog.h"
#include "axolotl/train/metrics_writer.h"
#include "axolotl/train/progress.h"
#include "axolotl/train/stop_signal.h"
#include "axolotl/train/trainer_state.h"
#include "test_support.h"

namespace axolotl::train {
namespace {

TEST(MetricsWriter, LinesAreReadableWhileWriting) {
  testing::TempDir dir;
  const std::string path = (dir / "metrics.jsonl").string();
  MetricsWriter w(path, -1);
  w.write({{"step", 1}, {"loss", 2.5}});
  auto rows = read_metrics(path);  // flushed: visible before the writer closes
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["loss"].get<double>(), 2.5);
  w.write({{"step", 2}, {"loss", std::nan("")}});
  rows = read_metrics(path);
  EXPECT_TRUE(rows[1]["loss"].is_null());
}

TEST(MetricsWriter, ResumeDropsLinesPastTheCheckpoint) {
  testing::TempDir dir;
  const std::string path = (dir / "metrics.jsonl").string();
  testing::write_file(path, "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n{\"step\":4,\"lo");  // torn last line
  {
    MetricsWriter w(path, 2);
    w.write({{"step", 3}, {"loss", 1.0}});
  }
  auto rows = read_metrics(path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2]["loss"].get<double>(), 1.0);
  MetricsWriter fresh(path, -1);
  EXPECT_TRUE(read_metrics(path).empty());
}

TEST(TrainerState, WritesHfLayoutAndReadsBack) {
  testing::TempDir dir;
  TrainerState s;
  s.global_step = 7;
  s.epoch = 0.5;
  s.max_steps = 14;
  s.log_history.push_back({{"loss", 1.25}, {"step", 7}, {"epoch", 0.5}});
  s.best_metric = 0.75;
  s.early_stopping_patience = 3;
  s.early_stopping_patience_counter = 1;
  write_trainer_state((dir / "trainer_state.json").string(), s);
  const std::string text = testing::read_file(dir / "trainer_state.json");
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\n  \"best_global_step\": null,\n  \"best_metric\": 0.75,"), std::string::npos);
  EXPECT_LT(text.find("\"epoch\""), text.find("\"global_step\""));  // sorted keys
  const TrainerState r = read_trainer_state((dir / "trainer_state.json").string());
  EXPECT_EQ(r.global_step, 7);
  EXPECT_EQ(r.max_steps, 14);
  EXPECT_EQ(r.log_history.size(), 1u);
  EXPECT_EQ(*r.best_metric, 0.75);
  EXPECT_EQ(r.early_stopping_patience_counter, 1);
  // Older files without the newer keys load too.
  const TrainerState old = TrainerState::from_json({{"global_step", 3}});
  EXPECT_EQ(old.global_step, 3);
  EXPECT_FALSE(old.best_metric);
}

TEST(LossCurve, SvgHasBothSeries) {
  const std::string svg = loss_curve_svg({{1, 3.0}, {2, 2.0}, {3, std::nan("")}, {4, 1.5}}, {{2, 2.5}}, "run <a>");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("stroke=\"#1f77b4\""), std::string::npos);
  EXPECT_NE(svg.find("<circle"), std::string::npos);
  EXPECT_NE(svg.find("run &lt;a&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_NE(loss_curve_svg({}, {}, "empty").find("</svg>"), std::string::npos);
}

TEST(LossWatchdog, StopsOnNonFiniteAndOnPatience) {
  LossWatchdog none(std::nullopt, 3);
  EXPECT_EQ(none.check(1, 100.0, 1.0), "");
  EXPECT_NE(none.check(2, std::nan(""), 1.0).find("loss became nan"), std::string::npos);
  EXPECT_NE(none.check(3, 1.0, INFINITY).find("gradient norm"), std::string::npos);
  LossWatchdog w(5.0, 2);
  EXPECT_EQ(w.check(1, 6.0, 1.0), "");
  EXPECT_EQ(w.check(2, 4.0, 1.0), "");  // resets the count
  EXPECT_EQ(w.check(3, 6.0, 1.0), "");
  EXPECT_NE(w.check(4, 7.0, 1.0).find("loss_watchdog_threshold"), std::string::npos);
}

TEST(Progress, TextHasTheFields) {
  ProgressInfo p{5, 10, 0.5, 1.2345, 2e-4, 0.75, 1234.0, 2.0};
  const std::string t = format_progress(p);
  EXPECT_NE(t.find("step 5/10"), std::string::npos);
  EXPECT_NE(t.find("loss 1.2345"), std::string::npos);
  EXPECT_NE(t.find("1234 tok/s"), std::string::npos);
  EXPECT_NE(t.find("ETA 10s"), std::string::npos);
  EXPECT_EQ(format_duration(3725), "1h02m");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_GT(resident_memory_bytes(), 0);
}

TEST(StopSignal, FirstSignalSetsTheFlag) {
  StopSignal stop;
  EXPECT_FALSE(stop.requested());
  std::raise(SIGTERM);
  EXPECT_TRUE(stop.requested());
  EXPECT_EQ(stop.exit_code(), 128 + SIGTERM);
}

}  // namespace
}  // namespace axolotl::train
