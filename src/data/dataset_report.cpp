// Statistics text, row rendering and JSONL dump for `axolotl preprocess`.
#include "axolotl/data/dataset_report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "axolotl/io/atomic_file.h"
#include "axolotl/data/packing.h"
#include "axolotl/util/error.h"

namespace axolotl::data {

namespace {

std::string percent(int64_t part, int64_t whole) {
  return whole == 0 ? "0%" : fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string histogram(const RowStore& rows, int sequence_len) {
  constexpr int kBuckets = 8;
  std::vector<int64_t> counts(kBuckets, 0);
  int64_t width = std::max(1, (sequence_len + kBuckets - 1) / kBuckets);
  for (size_t i = 0; i < rows.size(); ++i) {
    auto b = static_cast<size_t>(std::min<int64_t>(kBuckets - 1, (rows.length(i) - 1) / width));
    ++counts[b];
  }
  int64_t most = *std::max_element(counts.begin(), counts.end());
  std::string out = "row lengths (train):\n";
  for (int b = 0; b < kBuckets; ++b) {
    int bar = most == 0 ? 0 : static_cast<int>(40 * counts[b] / most);
    out += fmt::format("  {:>6}-{:<6} {:>9} {}\n", b * width + 1, (b + 1) * width, counts[b], std::string(bar, '#'));
  }
  return out;
}

}  // namespace

std::string format_stats(const PreparedData& data, int sequence_len) {
  const DatasetStats& s = data.stats;
  std::string out;
  out += fmt::format("records read: {}   rows made: {}   kept: {} (train {}, validation {})\n", s.records, s.rows,
                     s.kept, data.train.size(), data.val.size());
  out += fmt::format("dropped: {} longer than sequence_len {}, {} shorter than min_sample_len, {} with nothing trained, "
                     "{} bad records skipped\n",
                     s.dropped_too_long, sequence_len, s.dropped_too_short, s.dropped_no_trained, s.bad_records);
  if (s.truncated) out += fmt::format("truncated to sequence_len: {}\n", s.truncated);
  for (const auto& e : s.bad_examples) out += "  bad record: " + e + "\n";
  out += fmt::format("tokens: {}   trained tokens: {} ({})   mean row length: {:.1f}\n", s.tokens, s.trained_tokens,
                     percent(s.trained_tokens, s.tokens),
                     s.kept ? static_cast<double>(s.tokens) / static_cast<double>(s.kept) : 0.0);
  std::vector<int64_t> lengths(data.train.size());
  std::vector<size_t> order(data.train.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    lengths[i] = data.train.length(i);
    order[i] = i;
  }
  auto bins = pack_rows(lengths, order, {sequence_len, 200, 100000});
  out += fmt::format("sample packing into {}-token rows: {} rows from {} samples, efficiency {:.1f}%\n", sequence_len,
                     bins.size(), lengths.size(), 100.0 * packing_efficiency(bins, lengths, sequence_len));
  if (s.without_trained_eos) {
    out += fmt::format("WARNING: {} rows never train an EOS token, so the model will not learn to stop; e.g.\n  {}\n"
                       "  hint: use a template whose turns end with the tokenizer's eos, or set "
                       "special_tokens: {{eos_token: ...}} to the template's end-of-turn token\n",
                       s.without_trained_eos, s.eos_example.substr(0, 400));
  }
  return out + histogram(data.train, sequence_len);
}

std::string render_row(const TokenizedRow& row, const Tokenizer& tok, bool ansi) {
  std::string out;
  bool masked_run = false;
  for (size_t i = 0; i < row.input_ids.size(); ++i) {
    int32_t id = row.input_ids[i];
    bool masked = row.labels[i] == -100;
    std::string text = tok.is_special(id) ? tok.id_to_token(id) : tok.token_text(id);
    if (ansi) {
      out += (masked ? "\x1b[2m" : "\x1b[32m") + text + "\x1b[0m";
      continue;
    }
    if (masked && !masked_run) out += "[masked]";
    if (!masked && masked_run) out += "[/masked]";
    masked_run = masked;
    out += text;
  }
  if (masked_run) out += "[/masked]";
  return out;
}

std::string render_row_tokens(const TokenizedRow& row, const Tokenizer& tok, bool ansi) {
  std::string out;
  size_t trained = 0;
  for (size_t i = 0; i < row.input_ids.size(); ++i) {
    int32_t id = row.input_ids[i], label = row.labels[i];
    trained += label != -100;
    std::string text = tok.decode({id}, false);
    std::string pair = "(" + std::to_string(label) + ", " + std::to_string(id) + ")";
    if (i) out += " ";
    if (ansi) {
      const char* color = label == -100 ? "\x1b[31m" : label == 0 ? "\x1b[33m" : "\x1b[32m";
      out += color + text + "\x1b[0m\x1b[37m" + pair + "\x1b[0m";
    } else {
      out += text + pair;
    }
  }
  out += "\nTotal input len: " + std::to_string(row.input_ids.size()) + "\nCount of labels: " + std::to_string(trained);
  return out;
}

void dump_rows(const RowStore& rows, const std::string& path) {
  io::AtomicFile out(path);
  for (size_t i = 0; i < rows.size(); ++i) {
    TokenizedRow r = rows.row(i);
    const std::string line = nlohmann::json{{"input_ids", r.input_ids}, {"labels", r.labels}}.dump() + "\n";
    out.write(line.data(), line.size());
  }
  out.commit();
}

}  // namespace axolotl::data
