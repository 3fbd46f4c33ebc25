// The per-thread adapter switch (see adapter_switch.h).
#include "axolotl/adapters/adapter_switch.h"

namespace axolotl::adapters {
namespace {
thread_local bool g_disabled = false;
}  // namespace

bool adapters_disabled() { return g_disabled; }

AdaptersDisabled::AdaptersDisabled() : previous_(g_disabled) { g_disabled = true; }
AdaptersDisabled::~AdaptersDisabled() { g_disabled = previous_; }

}  // namespace axolotl::adapters
