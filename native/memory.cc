// shoal_memory: gives the C heap's free pages back to the kernel (glibc's
// malloc_trim). What node allocates outside V8's heap (network buffers,
// the compiler's zones, TLS) comes from malloc, and glibc keeps what is
// freed for reuse: without a trim a process keeps the resident size of its
// busiest moment (start-up, a large list from the API server) for good.
// docs/speaker.md, "Memory", has the figures.

#include <napi.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

// trim(): true when glibc released memory, false when it had none to
// release, undefined where the C library is not glibc (nothing to do).
Napi::Value Trim(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return info.Env().Undefined();
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("trim", Napi::Function::New(env, Trim, "trim"));
  return exports;
}

}  // namespace

NODE_API_MODULE(shoal_memory, Init)
