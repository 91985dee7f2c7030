// A provider whose create throws a C++ exception through the C ABI (no SDK to catch it):
// the loader must turn it into an error, in process and in a child process.
#include <wasmcloud/provider.h>

#include <stdexcept>

extern "C" WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) {
  return WASMCLOUD_PROVIDER_ABI_VERSION;
}

extern "C" WC_PROVIDER_EXPORT int wasmcloud_provider_create(const wc_host_api*, wc_provider*,
                                                            wc_buffer*) {
  throw std::runtime_error("chaos: thrown from create");
}
