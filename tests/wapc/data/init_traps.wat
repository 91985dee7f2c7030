;; wapc_init traps: the module must fail to load.
(module
  (memory (export "memory") 1)
  (func (export "wapc_init") unreachable)
  (func (export "__guest_call") (param i32 i32) (result i32) i32.const 1))
