// shoal_memory: gives the C heap's free pages back to the kernel (glibc's
// malloc_trim). What node allocates outside V8's heap (network buffers,
// the compiler's zones, TLS) comes from malloc, and glibc keeps what is
// freed for reuse: without a trim a process keeps the resident size of its
// busiest moment (start-up, a large list from the API server) for good.
// It also asks V8 to give back the heap it committed for a burst of work
// and no longer uses (reduceHeap). docs/speaker.md, "Memory", has the figures.

#include <napi.h>
#include <v8.h>

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

// limitArenas(n): at most n malloc arenas from now on (mallopt
// M_ARENA_MAX; glibc otherwise gives threads arenas of their own, up to 8
// per core, each keeping the pages it touched). The environment's
// MALLOC_ARENA_MAX does the same at start-up, but glibc ignores it in a
// process with file capabilities (AT_SECURE), which the speaker's image
// gives node. True when set, false when refused, undefined off glibc.
Napi::Value LimitArenas(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(info.Env(), "limitArenas(n): n must be a number").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
#ifdef __GLIBC__
  return Napi::Boolean::New(info.Env(), mallopt(M_ARENA_MAX, info[0].As<Napi::Number>().Int32Value()) == 1);
#else
  return info.Env().Undefined();
#endif
}

// reduceHeap(): tells V8 that memory is short (moderate pressure). V8
// starts an incremental full collection, marked as one that reduces memory
// (the kind its memory reducer runs when a process goes idle): it compacts
// the old generation and returns the pages it no longer needs. Incremental:
// marking runs in small steps and in the background, with no long pause.
// Nothing happens when a collection is already under way.
Napi::Value ReduceHeap(const Napi::CallbackInfo& info) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("trim", Napi::Function::New(env, Trim, "trim"));
  exports.Set("limitArenas", Napi::Function::New(env, LimitArenas, "limitArenas"));
  exports.Set("reduceHeap", Napi::Function::New(env, ReduceHeap, "reduceHeap"));
  return exports;
}

}  // namespace

NODE_API_MODULE(shoal_memory, Init)
