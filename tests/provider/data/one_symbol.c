/* Not quite a provider: only one of the two symbols of the C ABI. */
#include <wasmcloud/provider.h>

WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) {
  return WASMCLOUD_PROVIDER_ABI_VERSION;
}
