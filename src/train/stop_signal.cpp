// The training loop's view of the process-wide interrupt flag (util/interrupt.h).
#include "axolotl/train/stop_signal.h"

#include "axolotl/util/interrupt.h"

namespace axolotl::train {
namespace {

constexpr char kMessage[] = "\n[train] stop requested: finishing this step and saving a checkpoint "
                            "(signal again to stop at once)\n";

}  // namespace

StopSignal::StopSignal() : defer_(std::make_unique<DeferInterrupts>(kMessage)) { install_interrupt_handlers(); }

StopSignal::~StopSignal() = default;

bool StopSignal::requested() const { return interrupt_signal() != 0; }
int StopSignal::signal() const { return interrupt_signal(); }

}  // namespace axolotl::train
