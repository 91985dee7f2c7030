// The provider C ABI's log level for a level of the project's log facade (core/log.h), for
// first-party providers that log through sdk::Host::Log. Header-only.
#pragma once

#include <wasmcloud/provider.h>

#include "core/log.h"

namespace wasmcloud::providers {

inline wc_log_level ToWcLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return WC_LOG_TRACE;
    case LogLevel::kDebug:
      return WC_LOG_DEBUG;
    case LogLevel::kInfo:
      return WC_LOG_INFO;
    case LogLevel::kWarn:
      return WC_LOG_WARN;
    default:
      return WC_LOG_ERROR;
  }
}

}  // namespace wasmcloud::providers
