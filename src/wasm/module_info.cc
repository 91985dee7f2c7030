// Implementation in progress (see src/wasm/module_info.h).
