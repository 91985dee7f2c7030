// Errors as values: Status (ok or a code with a message) and Result<T> (a value or a
// non-ok Status). Nothing in the project throws across a layer boundary.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace wasmcloud {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // the caller passed something unusable (bad flag, bad key text)
  kMalformed,           // untrusted bytes do not parse (module, JWT, msgpack, manifest)
  kNotFound,            // a named thing (actor, export, file, link) does not exist
  kAlreadyExists,       // a thing with that identity is already there
  kPermissionDenied,    // claims, capability or authorizer said no
  kUnauthenticated,     // a signature or hash does not verify
  kFailedPrecondition,  // the system is not in a state where this can be done
  kDeadlineExceeded,    // a deadline passed (guest call stopped by the watchdog)
  kResourceExhausted,   // a configured cap was hit (memory, body size)
  kTrap,                // a guest trapped (unreachable, out-of-bounds, stack overflow)
  kGuestError,          // the guest reported an error through its ABI
  kUnavailable,         // a server or peer cannot be reached
  kUnimplemented,       // not built (yet); the message says what
  kInternal,            // a bug or an unexpected failure of a dependency
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<message>" for errors; "ok" for success.
  std::string ToString() const { return ok() ? std::string("ok") : message_; }

  // Returns a copy whose message is "<prefix>: <message>" (same code).
  Status WithContext(std::string_view prefix) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status Malformed(std::string m) { return {Code::kMalformed, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
inline Status Trap(std::string m) { return {Code::kTrap, std::move(m)}; }
inline Status GuestError(std::string m) { return {Code::kGuestError, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// A value of T, or the Status that says why there is none. Constructing a Result from
// an ok Status is a bug and becomes kInternal.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<1>, std::move(value)) {}        // NOLINT: implicit
  Result(Status status) : v_(std::in_place_index<0>, std::move(status)) {  // NOLINT
    if (std::get<0>(v_).ok()) v_ = Status(Code::kInternal, "Result built from an ok Status");
  }

  bool ok() const { return v_.index() == 1; }
  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<0>(v_); }

  T& value() & { return std::get<1>(v_); }
  const T& value() const& { return std::get<1>(v_); }
  T&& value() && { return std::get<1>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace wasmcloud

#define WC_CONCAT_INNER_(a, b) a##b
#define WC_CONCAT_(a, b) WC_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define WC_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::wasmcloud::Status wc_status_ = (expr); \
    if (!wc_status_.ok()) return wc_status_; \
  } while (0)

// `WC_ASSIGN_OR_RETURN(auto x, Foo());` binds the value or returns the error.
#define WC_ASSIGN_OR_RETURN(lhs, expr) \
  WC_ASSIGN_OR_RETURN_IMPL_(WC_CONCAT_(wc_result_, __LINE__), lhs, expr)
#define WC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
