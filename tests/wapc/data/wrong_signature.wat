;; Imports __host_call with the wrong signature.
(module
  (import "wapc" "__host_call" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) i32.const 1))
