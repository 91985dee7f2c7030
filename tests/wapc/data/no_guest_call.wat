;; Exports memory and wapc_init but no __guest_call: not a waPC module.
(module
  (memory (export "memory") 1)
  (func (export "wapc_init")))
