/* A provider built for an ABI this host does not speak: create must never be called. */
#include <stdlib.h>
#include <wasmcloud/provider.h>

WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) { return 99; }

WC_PROVIDER_EXPORT int wasmcloud_provider_create(const wc_host_api* host, wc_provider* out,
                                                 wc_buffer* error) {
  (void)host;
  (void)out;
  (void)error;
  abort();
}
