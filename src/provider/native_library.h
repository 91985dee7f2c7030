// Capability providers in shared libraries: loads a library built against the C ABI of
// include/wasmcloud/provider.h (by hand or with sdk/provider/wasmcloud/provider_sdk.h)
// and puts it behind provider::Provider, so the host runs it like any in-process
// provider (host::Host::StartNativeCapability). See docs/providers.md.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "provider/provider.h"

namespace wasmcloud::provider {

// Opens the library at `path` (dlopen RTLD_NOW | RTLD_LOCAL), checks that it exports
// wasmcloud_provider_abi_version and wasmcloud_provider_create, that it speaks this
// host's ABI version, creates one provider instance and checks its vtable. With
// `expected_contract`, the provider's contract id must be that one.
//
// The returned Provider forwards to the library. The instance gets its wc_host_api at
// creation; until Start (and after Stop) its call_actor answers an error and its log
// lines go to the host log. The instance is destroyed, and the library closed, when the
// last reference to the Provider goes (Stop is called first if the host never did).
//
// Errors (every message starts with `path`):
//   kNotFound          no file at `path`
//   kInvalidArgument   not a loadable library ("<path>: cannot load: <dlerror>"), a
//                      missing symbol ("<path>: not a wasmcloud provider: symbol
//                      wasmcloud_provider_create not found"), a bad vtable, no contract
//                      id, or "contract id X, expected Y"
//   kFailedPrecondition  "ABI version mismatch: the library was built for ABI N, this host
//                      speaks M"
//   kUnavailable       wasmcloud_provider_create failed (with the provider's message)
Result<std::shared_ptr<Provider>> LoadNativeProvider(
    const std::string& path, std::optional<std::string> expected_contract = {});

// The same for a library reached another way: loads `file` (a provider child's
// /proc/self/fd/N) while every message, and the provider's name in later ones, say `path`.
Result<std::shared_ptr<Provider>> LoadNativeProviderFrom(
    const std::string& file, const std::string& path,
    std::optional<std::string> expected_contract = {});

}  // namespace wasmcloud::provider
