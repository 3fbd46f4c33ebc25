// libaxolotl_spm.so: wraps sentencepiece behind data::spm::Module (see sentencepiece_backend.h).
// Self-contained (does not link libaxolotl_core): every failure is returned as a string.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "axolotl/data/sentencepiece_backend.h"

// Exported by libsentencepiece but not declared in its installed headers (common.h is private).
namespace sentencepiece::logging {
void SetMinLogLevel(int v);
}  // namespace sentencepiece::logging

namespace axolotl::data::spm {
namespace {

// sentencepiece logs to std::cerr. Under RTLD_DEEPBIND its std::cerr binds to libstdc++'s own
// object, which is never constructed when the executable holds a copy relocation of std::cerr
// (gtest binaries and the CLI do): any log line would crash. So every level is switched off
// (levels 0..3 = INFO..FATAL); failures still come back as util::Status strings.
void silence_logging() { sentencepiece::logging::SetMinLogLevel(4); }

class SpmModel final : public Model {
 public:
  explicit SpmModel(std::unique_ptr<sentencepiece::SentencePieceProcessor> sp) : sp_(std::move(sp)) {}

  std::vector<int> encode(const std::string& text) const override {
    std::vector<int> ids;
    const auto status = sp_->Encode(text, &ids);
    return status.ok() ? ids : std::vector<int>{};
  }
  std::string decode(const std::vector<int>& ids) const override {
    std::string text;
    const auto status = sp_->Decode(ids, &text);
    return status.ok() ? text : std::string{};
  }
  int piece_size() const override { return sp_->GetPieceSize(); }
  std::string id_to_piece(int id) const override { return in_range(id) ? sp_->IdToPiece(id) : std::string{}; }
  int piece_to_id(const std::string& piece) const override { return sp_->PieceToId(piece); }
  float score(int id) const override { return in_range(id) ? sp_->GetScore(id) : 0.0f; }
  bool is_control(int id) const override { return in_range(id) && sp_->IsControl(id); }
  bool is_unknown(int id) const override { return in_range(id) && sp_->IsUnknown(id); }
  bool is_byte(int id) const override { return in_range(id) && sp_->IsByte(id); }
  bool is_unused(int id) const override { return in_range(id) && sp_->IsUnused(id); }
  int bos_id() const override { return sp_->bos_id(); }
  int eos_id() const override { return sp_->eos_id(); }
  int unk_id() const override { return sp_->unk_id(); }
  int pad_id() const override { return sp_->pad_id(); }

 private:
  bool in_range(int id) const { return id >= 0 && id < sp_->GetPieceSize(); }
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
};

// Feeds the in-memory corpus to the trainer, so that no file path ends up in the model's trainer_spec.
class VectorIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& sentences) : sentences_(sentences) {}
  bool done() const override { return index_ >= sentences_.size(); }
  void Next() override { ++index_; }
  const std::string& value() const override { return sentences_[index_]; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }  // OK

 private:
  const std::vector<std::string>& sentences_;
  size_t index_ = 0;
};

class SpmModule final : public Module {
 public:
  int version() const override { return kModuleVersion; }

  std::unique_ptr<Model> load(const std::string& serialized, std::string* error) const override {
    try {
      auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
      const auto status = sp->LoadFromSerializedProto(serialized);
      if (!status.ok()) {
        *error = status.ToString();
        return nullptr;
      }
      return std::make_unique<SpmModel>(std::move(sp));
    } catch (const std::exception& e) {
      *error = e.what();
      return nullptr;
    }
  }

  std::string train(const TrainRequest& request, std::string* error) const override {
    try {
      silence_logging();
      sentencepiece::SetRandomGeneratorSeed(request.seed);
      VectorIterator it(request.sentences);
      std::string serialized;
      const auto status = sentencepiece::SentencePieceTrainer::Train(request.flags, &it, &serialized);
      if (!status.ok()) {
        *error = status.ToString();
        return {};
      }
      if (serialized.empty()) *error = "sentencepiece returned an empty model";
      return serialized;
    } catch (const std::exception& e) {
      *error = e.what();
      return {};
    }
  }
};

}  // namespace
}  // namespace axolotl::data::spm

extern "C" __attribute__((visibility("default"))) const axolotl::data::spm::Module* axolotl_spm_module() {
  static const axolotl::data::spm::SpmModule kModule;
  axolotl::data::spm::silence_logging();
  return &kModule;
}
