// libaxolotl_engine.so's exported table of entry points (see engine_api.h).
#include "axolotl/engine/engine_api.h"

#include "axolotl/util/error.h"

namespace axolotl::engine {
namespace {

int train(const config::Config&, const TrainOptions&) {
  throw NotAvailableError("train is not available yet (the trainer is not built)");
}
int merge(const config::Config&, const MergeOptions&) {
  throw NotAvailableError("merge is not available yet (adapters are not built)");
}
int inference(const config::Config&, const InferenceOptions&) {
  throw NotAvailableError("inference is not available yet (the model is not built)");
}
int create_tiny_model(const TinyModelOptions&) {
  throw NotAvailableError("create-tiny is not available yet (the model is not built)");
}

const Api kApi{kApiVersion, &train, &merge, &inference, &create_tiny_model};

}  // namespace
}  // namespace axolotl::engine

extern "C" __attribute__((visibility("default"))) const axolotl::engine::Api* axolotl_engine_api() {
  return &axolotl::engine::kApi;
}
