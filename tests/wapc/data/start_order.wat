;; Records the order in which _start and wapc_init run; __guest_call answers with it
;; through __guest_response (memory[0..2]).
(module
  (import "wapc" "__guest_request" (func $req (param i32 i32)))
  (import "wapc" "__guest_response" (func $resp (param i32 i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func $mark (param $c i32)
    (i32.store8 (global.get $n) (local.get $c))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func (export "wapc_init") (call $mark (i32.const 105)))   ;; 'i'
  (func (export "_start") (call $mark (i32.const 115)))      ;; 's'
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $req (i32.const 100) (i32.const 200))
    (call $resp (i32.const 0) (global.get $n))
    i32.const 1))
