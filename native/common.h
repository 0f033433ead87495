// Helpers both native addons (shoal_packet, shoal_tcp) need: errno errors
// shaped like Node's own (code, errno, syscall), calling JS from libuv
// callbacks, and a uv_poll watch of one fd on the Node loop.
#pragma once

#include <napi.h>
#include <uv.h>

#include <string>

namespace shoal {

// "EPERM" for EPERM; libuv knows the names Node uses.
inline std::string ErrnoName(int err) {
  const char* name = uv_err_name(-err);
  return name ? name : "E" + std::to_string(err);
}

inline Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

// Calls a JS callback from a libuv callback. A throwing callback must not be
// lost nor leave an exception pending in native code: it is handed to Node's
// uncaught-exception machinery, as an exception in any other I/O callback is.
inline void CallBack(Napi::Env env, Napi::FunctionReference& fn, Napi::AsyncContext& ctx, const std::initializer_list<napi_value>& args) {
  if (fn.IsEmpty()) return;
  fn.MakeCallback(env.Global(), args, ctx);
  if (env.IsExceptionPending()) {
    Napi::Error err = env.GetAndClearPendingException();
    napi_fatal_exception(env, err.Value());
  }
}

// A uv_poll handle on the Node loop for one fd (the fd itself is owned by
// the caller). The handle is freed in its close callback: libuv may still
// touch it after uv_close returns.
class Poller {
 public:
  using ReadyFn = void (*)(void* owner, int status);

  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  ~Poller() { Stop(); }

  // Returns 0 or a negative libuv error.
  int Start(napi_env env, int fd, int events, void* owner, ReadyFn ready) {
    owner_ = owner;
    ready_ = ready;
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return UV_EINVAL;
    handle_ = new uv_poll_t;
    int rc = uv_poll_init(loop, handle_, fd);
    if (rc != 0) {
      delete handle_;
      handle_ = nullptr;
      return rc;
    }
    handle_->data = this;
    return uv_poll_start(handle_, events, OnPoll);
  }

  void Stop() {
    if (handle_ == nullptr) return;
    uv_poll_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
  }

 private:
  static void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<Poller*>(handle->data);
    if (self != nullptr && self->ready_ != nullptr) self->ready_(self->owner_, status);
  }

  uv_poll_t* handle_ = nullptr;
  void* owner_ = nullptr;
  ReadyFn ready_ = nullptr;
};

}  // namespace shoal
