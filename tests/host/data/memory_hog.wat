;; A waPC actor that grows its memory on request (tests of the memory limits, issue 16).
;; Every operation reads a 4-byte little-endian payload N, grows the memory by N pages of
;; 64 KiB, writes one byte in every 4 KiB of the new pages (so that they are resident),
;; and answers the 4 payload bytes. It traps ("unreachable") when the memory cannot grow.
(module
  (import "wapc" "__guest_request" (func $req (param i32 i32)))
  (import "wapc" "__guest_response" (func $resp (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $old i32) (local $p i32) (local $end i32)
    (if (i32.ne (local.get $msg_len) (i32.const 4)) (then (unreachable)))
    (if (i32.gt_u (local.get $op_len) (i32.const 1024)) (then (unreachable)))
    (call $req (i32.const 1024) (i32.const 0))
    (local.set $old (memory.grow (i32.load (i32.const 0))))
    (if (i32.eq (local.get $old) (i32.const -1)) (then (unreachable)))
    (local.set $p (i32.mul (local.get $old) (i32.const 65536)))
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done
      (loop $touch
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store8 (local.get $p) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 4096)))
        (br $touch)))
    (call $resp (i32.const 0) (i32.const 4))
    (i32.const 1)))
