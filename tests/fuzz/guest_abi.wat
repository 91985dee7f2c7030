;; The guest of fuzz_guest_abi: a waPC guest that runs its request payload as a program of
;; `wapc` import calls with raw i32 arguments taken from the payload.
;;
;; __guest_call(op_len, len): zeroes all of memory (one page, 64 KiB), then
;; __guest_request(0, 32): the payload goes to 32, then the operation to 0 (which may
;; overwrite the payload's start). The program is the payload as it is now in memory,
;; [32, 32 + len), read one instruction at a time from memory as it is when the
;; instruction starts (a host write may change the bytes ahead of it):
;;   byte op; kind = (op & 0x7f) % 11; then the kind's i32 arguments, little-endian,
;;   each `& 0xffff` when op & 0x80 (inside or just past memory), else raw.
;;   kind  size  does
;;   0     33    __host_call(a0..a7), its result stored at 16
;;   1     9     __guest_response(a0, a1)
;;   2     9     __guest_error(a0, a1)
;;   3     9     __console_log(a0, a1)
;;   4     5     __host_response(a0)
;;   5     5     __host_error(a0)
;;   6     1     __host_response_len(), stored at 20
;;   7     1     __host_error_len(), stored at 24
;;   8     9     __guest_request(a0, a1)
;;   9     5     the call's result becomes a0 & 1 (it starts as 1)
;;   10    1     ends the program (what follows may be data)
;; An instruction that does not fit before the end ends the program; the call returns
;; its result. fuzz_guest_abi.cc emulates exactly this: keep the two in step.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)

  ;; The i32 at `at` (unaligned), masked to 16 bits when `mask` is set.
  (func $arg (param $at i32) (param $mask i32) (result i32)
    (local $v i32)
    (local.set $v (i32.load align=1 (local.get $at)))
    (if (result i32) (local.get $mask)
      (then (i32.and (local.get $v) (i32.const 0xffff)))
      (else (local.get $v))))

  (func (export "__guest_call") (param $op_len i32) (param $len i32) (result i32)
    (local $i i32) (local $pc i32) (local $end i32) (local $ret i32)
    (local $op i32) (local $kind i32) (local $size i32) (local $mask i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $a4 i32) (local $a5 i32) (local $a6 i32) (local $a7 i32)
    ;; Every call starts from zeroed memory, whatever the last one left.
    (local.set $i (i32.const 0))
    (loop $zero
      (i64.store (local.get $i) (i64.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $zero (i32.lt_u (local.get $i) (i32.const 65536))))
    (call $guest_request (i32.const 0) (i32.const 32))
    (local.set $pc (i32.const 32))
    (local.set $end (i32.add (i32.const 32) (local.get $len)))
    (local.set $ret (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $pc) (local.get $end)))
        (local.set $op (i32.load8_u (local.get $pc)))
        (local.set $mask (i32.and (local.get $op) (i32.const 0x80)))
        (local.set $kind (i32.rem_u (i32.and (local.get $op) (i32.const 0x7f)) (i32.const 11)))
        (local.set $size
          (if (result i32) (i32.eqz (local.get $kind))
            (then (i32.const 33))
            (else
              (if (result i32) (i32.or (i32.or (i32.eq (local.get $kind) (i32.const 6))
                                               (i32.eq (local.get $kind) (i32.const 7)))
                                       (i32.eq (local.get $kind) (i32.const 10)))
                (then (i32.const 1))
                (else
                  (if (result i32) (i32.or (i32.or (i32.eq (local.get $kind) (i32.const 4))
                                                   (i32.eq (local.get $kind) (i32.const 5)))
                                           (i32.eq (local.get $kind) (i32.const 9)))
                    (then (i32.const 5))
                    (else (i32.const 9))))))))
        (br_if $done (i32.gt_u (i32.add (local.get $pc) (local.get $size)) (local.get $end)))
        (br_if $done (i32.eq (local.get $kind) (i32.const 10)))
        (if (i32.gt_u (local.get $size) (i32.const 1))
          (then (local.set $a0 (call $arg (i32.add (local.get $pc) (i32.const 1)) (local.get $mask)))))
        (if (i32.gt_u (local.get $size) (i32.const 5))
          (then (local.set $a1 (call $arg (i32.add (local.get $pc) (i32.const 5)) (local.get $mask)))))
        (if (i32.gt_u (local.get $size) (i32.const 9))
          (then
            (local.set $a2 (call $arg (i32.add (local.get $pc) (i32.const 9)) (local.get $mask)))
            (local.set $a3 (call $arg (i32.add (local.get $pc) (i32.const 13)) (local.get $mask)))
            (local.set $a4 (call $arg (i32.add (local.get $pc) (i32.const 17)) (local.get $mask)))
            (local.set $a5 (call $arg (i32.add (local.get $pc) (i32.const 21)) (local.get $mask)))
            (local.set $a6 (call $arg (i32.add (local.get $pc) (i32.const 25)) (local.get $mask)))
            (local.set $a7 (call $arg (i32.add (local.get $pc) (i32.const 29)) (local.get $mask)))))
        (block $step
          (block $k9 (block $k8 (block $k7 (block $k6 (block $k5
          (block $k4 (block $k3 (block $k2 (block $k1 (block $k0
            (br_table $k0 $k1 $k2 $k3 $k4 $k5 $k6 $k7 $k8 $k9 (local.get $kind)))
            (i32.store (i32.const 16)
              (call $host_call (local.get $a0) (local.get $a1) (local.get $a2) (local.get $a3)
                               (local.get $a4) (local.get $a5) (local.get $a6) (local.get $a7)))
            (br $step))
            (call $guest_response (local.get $a0) (local.get $a1))
            (br $step))
            (call $guest_error (local.get $a0) (local.get $a1))
            (br $step))
            (call $console_log (local.get $a0) (local.get $a1))
            (br $step))
            (call $host_response (local.get $a0))
            (br $step))
            (call $host_error (local.get $a0))
            (br $step))
            (i32.store (i32.const 20) (call $host_response_len))
            (br $step))
            (i32.store (i32.const 24) (call $host_error_len))
            (br $step))
            (call $guest_request (local.get $a0) (local.get $a1))
            (br $step))
            (local.set $ret (i32.and (local.get $a0) (i32.const 1))))
        (local.set $pc (i32.add (local.get $pc) (local.get $size)))
        (br $next)))
    (local.get $ret)))
