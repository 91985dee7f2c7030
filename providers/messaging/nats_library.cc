#include "messaging/nats_library.h"

#include <dlfcn.h>
#include <nats/nats.h>

namespace wasmcloud::messaging {

std::string NatsLibraryPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&nats_GetVersion), &info) == 0 || info.dli_fname == nullptr) {
    return "";
  }
  return info.dli_fname;
}

Status PinNatsLibrary() {
  const std::string path = NatsLibraryPath();
  if (path.empty()) return Internal("cannot find the loaded libnats (dladdr of nats_GetVersion)");
  // RTLD_NOLOAD: only the copy already mapped; RTLD_NODELETE: never unmapped. The handle
  // is not closed: the reference it holds is the point.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Internal("cannot pin " + path + " in memory: " + (why ? why : "dlopen failed"));
  }
  return Status::Ok();
}

}  // namespace wasmcloud::messaging
