// A test hook that makes file writes fail as a full disk would, so every writer's error path can be
// exercised without root. Off unless AXOLOTL_FAIL_WRITES is set; costs one cached lookup otherwise.
#pragma once

#include <cstddef>
#include <string>

namespace axolotl::io {

// AXOLOTL_FAIL_WRITES="SUBSTRING[@BYTES]": a write to a file whose path contains SUBSTRING fails
// with ENOSPC once BYTES (default 0) bytes have been written to it. Returns the errno to report, or
// 0 when the write may go ahead. `written` is the number of bytes already written to this file.
int injected_write_error(const std::string& path, size_t written, size_t size);

}  // namespace axolotl::io
