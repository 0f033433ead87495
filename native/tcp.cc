// shoal_tcp: the socket options a BGP speaker needs and Node does not
// expose.
//
//  - TcpConnect: a non-blocking TCP connect with TCP_MD5SIG (RFC 2385) for
//    the peer, IP_TTL / IPV6_UNICAST_HOPS, and an optional source address,
//    all set before the SYN leaves. Completion is watched by a uv_poll handle
//    on the Node loop; the callback gets the connected fd, which JS wraps in
//    a net.Socket. cancel() abandons the attempt and closes the fd.
//  - listenTcp: a listening socket (dual-stack on "::") whose fd JS hands to
//    net.Server.listen({fd}); setMd5 adds or removes a peer's key on it.
//  - setTtl: TTL of an accepted connection.
//  - UdpTtlSocket: a UDP socket that reports each datagram's received TTL /
//    hop limit (IP_RECVTTL, IPV6_RECVHOPLIMIT), which Node's dgram drops and
//    BFD's single-hop check (RFC 5881 5, GTSM) needs.
//
// Every error becomes a JS Error with code (e.g. "ECONNREFUSED"), errno
// (negative, as Node does) and syscall. Every fd is closed by its owner, by
// garbage collection, or by the environment cleanup hook.

#include <napi.h>
#include <uv.h>

#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace {

constexpr size_t kDatagramBufferSize = 2048;
constexpr int kMaxDatagramsPerWakeup = 64;

using shoal::CallBack;
using shoal::ErrnoName;
using shoal::Poller;

// "connect EHOSTUNREACH (No route to host): peer 192.0.2.1": syscall, error and what it was about.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& what) {
  return shoal::ErrnoError(env, err, syscall, std::string(syscall) + " " + ErrnoName(err) + " (" + strerror(err) + "): " + what);
}

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family() const { return ss.ss_family; }
};

// Parses "192.0.2.1", "2001:db8::1" or "fe80::1%eth0". With want == AF_INET6
// an IPv4 address becomes IPv4-mapped, as a dual-stack socket needs it.
bool ParseAddr(const std::string& text, int port, int want, SockAddr* out) {
  std::string host = text;
  std::string scope;
  size_t pct = text.find('%');
  if (pct != std::string::npos) {
    host = text.substr(0, pct);
    scope = text.substr(pct + 1);
  }
  in_addr v4{};
  if (scope.empty() && inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    if (want == AF_INET6) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&out->ss);
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons(static_cast<uint16_t>(port));
      s6->sin6_addr.s6_addr[10] = 0xff;
      s6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&s6->sin6_addr.s6_addr[12], &v4, 4);
      out->len = sizeof(sockaddr_in6);
      return true;
    }
    auto* s4 = reinterpret_cast<sockaddr_in*>(&out->ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    s4->sin_addr = v4;
    out->len = sizeof(sockaddr_in);
    return true;
  }
  if (want == AF_INET) return false;
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&out->ss);
  if (inet_pton(AF_INET6, host.c_str(), &s6->sin6_addr) != 1) return false;
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(static_cast<uint16_t>(port));
  if (!scope.empty()) {
    unsigned idx = if_nametoindex(scope.c_str());
    if (idx == 0) {
      char* end = nullptr;
      unsigned long n = strtoul(scope.c_str(), &end, 10);
      if (end == scope.c_str() || *end != '\0') return false;
      idx = static_cast<unsigned>(n);
    }
    s6->sin6_scope_id = idx;
  }
  out->len = sizeof(sockaddr_in6);
  return true;
}

std::string FormatAddr(const sockaddr_storage& ss, int* port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof(buf));
    *port = ntohs(s4->sin_port);
  } else {
    auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
      inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, sizeof(buf));
    } else {
      inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf));
    }
    *port = ntohs(s6->sin6_port);
  }
  return buf;
}

int SocketFamily(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return -1;
  return ss.ss_family;
}

// Returns 0 or an errno. An empty key removes the peer's key (RFC 2385 keys
// are per peer address; the kernel matches them on every segment).
int SetMd5(int fd, const SockAddr& peer, const std::string& key) {
  tcp_md5sig sig{};
  memcpy(&sig.tcpm_addr, &peer.ss, peer.len);
  sig.tcpm_keylen = static_cast<uint16_t>(key.size());
  memcpy(sig.tcpm_key, key.data(), key.size());
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) < 0) {
    int err = errno;
    // Removing a key that was never set is not an error worth reporting.
    if (key.empty() && err == ENOENT) return 0;
    return err;
  }
  return 0;
}

// On an IPv6 socket the TTL of IPv4-mapped traffic is IP_TTL, so both are set.
int SetTtl(int fd, int family, int ttl) {
  if (family == AF_INET6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0) return errno;
    (void)setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
    return 0;
  }
  if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0) return errno;
  return 0;
}

bool GetString(Napi::Object o, const char* key, std::string* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsString()) return false;
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}

int GetInt(Napi::Object o, const char* key, int fallback) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return fallback;
  return v.As<Napi::Number>().Int32Value();
}

// An fd and the poller watching it: closing stops the watch, then the fd.
struct WatchedFd {
  int fd = -1;
  Poller poll;

  void Close() {
    poll.Stop();
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
};


// Resources that must go when the environment does, even if JS never
// closes them; registered while open.
template <typename T>
class CleanupHook {
 public:
  void Add(napi_env env, T* self) {
    env_ = env;
    self_ = self;
    napi_add_env_cleanup_hook(env, &CleanupHook::Run, this);
    registered_ = true;
  }
  void Remove() {
    if (!registered_) return;
    napi_remove_env_cleanup_hook(env_, &CleanupHook::Run, this);
    registered_ = false;
  }

 private:
  static void Run(void* arg) {
    auto* hook = static_cast<CleanupHook*>(arg);
    hook->registered_ = false;
    hook->self_->Release();
  }
  napi_env env_ = nullptr;
  T* self_ = nullptr;
  bool registered_ = false;
};

// new TcpConnect({ address, port, localAddress?, ttl?, md5Key? }, (err, fd) => {})
class TcpConnect : public Napi::ObjectWrap<TcpConnect> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TcpConnect", {InstanceMethod<&TcpConnect::Cancel>("cancel")});
  }

  explicit TcpConnect(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TcpConnect>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "TcpConnect({ address, port, localAddress?, ttl?, md5Key? }, callback)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    std::string address;
    std::string local;
    std::string key;
    int port = GetInt(o, "port", -1);
    int ttl = GetInt(o, "ttl", 0);
    if (!GetString(o, "address", &address) || port < 1 || port > 65535 || ttl < 0 || ttl > 255) {
      Napi::TypeError::New(env, "address must be a string, port 1..65535, ttl 0..255").ThrowAsJavaScriptException();
      return;
    }
    bool has_key = GetString(o, "md5Key", &key);
    if (has_key && (key.empty() || key.size() > TCP_MD5SIG_MAXKEYLEN)) {
      Napi::RangeError::New(env, "md5Key must be 1..80 bytes").ThrowAsJavaScriptException();
      return;
    }
    SockAddr peer;
    if (!ParseAddr(address, port, AF_UNSPEC, &peer)) {
      ErrnoError(env, EINVAL, "inet_pton", "\"" + address + "\" is not an IP address").ThrowAsJavaScriptException();
      return;
    }
    const std::string where = "connecting to " + address + " port " + std::to_string(port);
    SockAddr src;
    bool has_local = GetString(o, "localAddress", &local);
    if (has_local && !ParseAddr(local, 0, peer.family(), &src)) {
      ErrnoError(env, EINVAL, "inet_pton", "source address \"" + local + "\" is not of the peer's family").ThrowAsJavaScriptException();
      return;
    }
    const char* failed = nullptr;
    int err = 0;
    io_.fd = ::socket(peer.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (io_.fd < 0) {
      failed = "socket";
      err = errno;
    } else if (has_key && (err = SetMd5(io_.fd, peer, key)) != 0) {
      failed = "setsockopt(TCP_MD5SIG)";
    } else if (ttl > 0 && (err = SetTtl(io_.fd, peer.family(), ttl)) != 0) {
      failed = "setsockopt(IP_TTL)";
    } else if (has_local && ::bind(io_.fd, reinterpret_cast<sockaddr*>(&src.ss), src.len) < 0) {
      failed = "bind";
      err = errno;
    } else if (::connect(io_.fd, reinterpret_cast<sockaddr*>(&peer.ss), peer.len) < 0 && errno != EINPROGRESS) {
      failed = "connect";
      err = errno;
    } else {
      int rc = io_.poll.Start(env, io_.fd, UV_WRITABLE, this, &TcpConnect::OnReady);
      if (rc != 0) {
        failed = "uv_poll_start";
        err = -rc;
      }
    }
    if (failed) {
      Release();
      ErrnoError(env, err, failed, where).ThrowAsJavaScriptException();
      return;
    }
    where_ = where;
    env_ = env;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    async_ = std::make_unique<Napi::AsyncContext>(env, "shoal:TcpConnect");
    hook_.Add(env, this);
    // Keep this object alive until the attempt completes or is cancelled.
    self_ = Napi::Persistent(info.This().As<Napi::Object>());
  }

  ~TcpConnect() override { Release(); }

  void Release() {
    io_.Close();
    hook_.Remove();
    callback_.Reset();
    if (!self_.IsEmpty()) self_.Reset();
  }

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  static void OnReady(void* owner, int status) {
    auto* self = static_cast<TcpConnect*>(owner);
    Napi::Env env = self->env_;
    Napi::HandleScope scope(env);
    int err = 0;
    if (status < 0) {
      err = -status;
    } else {
      socklen_t len = sizeof(err);
      if (getsockopt(self->io_.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    }
    self->io_.poll.Stop();
    self->hook_.Remove();
    Napi::FunctionReference callback = std::move(self->callback_);
    Napi::ObjectReference keep = std::move(self->self_);
    std::unique_ptr<Napi::AsyncContext> async = std::move(self->async_);
    if (err != 0) {
      self->io_.Close();
      CallBack(env, callback, *async, {ErrnoError(env, err, "connect", self->where_).Value()});
      return;
    }
    int fd = self->io_.fd;
    self->io_.fd = -1;  // now the caller's
    CallBack(env, callback, *async, {env.Null(), Napi::Number::New(env, fd)});
  }

  WatchedFd io_;
  CleanupHook<TcpConnect> hook_;
  napi_env env_ = nullptr;
  std::string where_;
  Napi::FunctionReference callback_;
  Napi::ObjectReference self_;
  std::unique_ptr<Napi::AsyncContext> async_;
};

// listenTcp({ address, port, backlog?, ttl? }) -> fd
Napi::Value ListenTcp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "listenTcp({ address, port, backlog?, ttl? })").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  std::string address;
  int port = GetInt(o, "port", -1);
  int backlog = GetInt(o, "backlog", 128);
  int ttl = GetInt(o, "ttl", 0);
  SockAddr at;
  if (!GetString(o, "address", &address) || port < 0 || port > 65535 || !ParseAddr(address, port, AF_UNSPEC, &at)) {
    Napi::TypeError::New(env, "address must be an IP address and port 0..65535").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string where = "listening on " + address + " port " + std::to_string(port);
  int fd = ::socket(at.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ErrnoError(env, errno, "socket", where).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int one = 1;
  int zero = 0;
  const char* failed = nullptr;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) failed = "setsockopt(SO_REUSEADDR)";
  // "::" takes IPv4 peers too, as IPv4-mapped addresses.
  if (!failed && at.family() == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0) failed = "setsockopt(IPV6_V6ONLY)";
  if (!failed && ttl > 0 && SetTtl(fd, at.family(), ttl) != 0) failed = "setsockopt(IP_TTL)";
  if (!failed && ::bind(fd, reinterpret_cast<sockaddr*>(&at.ss), at.len) < 0) failed = "bind";
  if (!failed && ::listen(fd, backlog) < 0) failed = "listen";
  if (failed) {
    int err = errno;
    ::close(fd);
    ErrnoError(env, err, failed, where).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// setMd5(fd, peerAddress, key) ; an empty key removes the peer's key.
Napi::Value SetMd5Js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsString()) {
    Napi::TypeError::New(env, "setMd5(fd: number, peerAddress: string, key: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string address = info[1].As<Napi::String>().Utf8Value();
  std::string key = info[2].As<Napi::String>().Utf8Value();
  if (key.size() > TCP_MD5SIG_MAXKEYLEN) {
    Napi::RangeError::New(env, "key must be at most 80 bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int family = SocketFamily(fd);
  SockAddr peer;
  if (family < 0 || !ParseAddr(address, 0, family, &peer)) {
    ErrnoError(env, family < 0 ? errno : EINVAL, "setsockopt(TCP_MD5SIG)", "peer " + address + " on fd " + std::to_string(fd)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int err = SetMd5(fd, peer, key);
  if (err != 0) ErrnoError(env, err, "setsockopt(TCP_MD5SIG)", "peer " + address).ThrowAsJavaScriptException();
  return env.Undefined();
}

// setTtl(fd, ttl)
Napi::Value SetTtlJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "setTtl(fd: number, ttl: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  int ttl = info[1].As<Napi::Number>().Int32Value();
  int family = SocketFamily(fd);
  int err = family < 0 ? errno : (ttl < 1 || ttl > 255) ? EINVAL : SetTtl(fd, family, ttl);
  if (err != 0) ErrnoError(env, err, "setsockopt(IP_TTL)", "fd " + std::to_string(fd)).ThrowAsJavaScriptException();
  return env.Undefined();
}

// new UdpTtlSocket({ address, port }, onMessage(buf, address, port, ttl), onError(err))
class UdpTtlSocket : public Napi::ObjectWrap<UdpTtlSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpTtlSocket", {InstanceMethod<&UdpTtlSocket::CloseJs>("close")});
  }

  explicit UdpTtlSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpTtlSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsFunction() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "UdpTtlSocket({ address, port }, onMessage, onError)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    std::string address;
    int port = GetInt(o, "port", -1);
    SockAddr at;
    if (!GetString(o, "address", &address) || port < 0 || port > 65535 || !ParseAddr(address, port, AF_UNSPEC, &at)) {
      Napi::TypeError::New(env, "address must be an IP address and port 0..65535").ThrowAsJavaScriptException();
      return;
    }
    const std::string where = "UDP " + address + " port " + std::to_string(port);
    io_.fd = ::socket(at.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (io_.fd < 0) {
      ErrnoError(env, errno, "socket", where).ThrowAsJavaScriptException();
      return;
    }
    int one = 1;
    const char* failed = nullptr;
    if (setsockopt(io_.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) failed = "setsockopt(SO_REUSEADDR)";
    if (!failed && at.family() == AF_INET6) {
      if (setsockopt(io_.fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) failed = "setsockopt(IPV6_V6ONLY)";
      else if (setsockopt(io_.fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0) failed = "setsockopt(IPV6_RECVHOPLIMIT)";
    } else if (!failed && setsockopt(io_.fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) < 0) {
      failed = "setsockopt(IP_RECVTTL)";
    }
    if (!failed && ::bind(io_.fd, reinterpret_cast<sockaddr*>(&at.ss), at.len) < 0) failed = "bind";
    if (failed) {
      int err = errno;
      io_.Close();
      ErrnoError(env, err, failed, where).ThrowAsJavaScriptException();
      return;
    }
    int rc = io_.poll.Start(env, io_.fd, UV_READABLE, this, &UdpTtlSocket::OnReady);
    if (rc != 0) {
      Release();
      ErrnoError(env, -rc, "uv_poll_start", where).ThrowAsJavaScriptException();
      return;
    }
    where_ = where;
    env_ = env;
    on_message_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_error_ = Napi::Persistent(info[2].As<Napi::Function>());
    async_ = std::make_unique<Napi::AsyncContext>(env, "shoal:UdpTtlSocket");
    hook_.Add(env, this);
  }

  ~UdpTtlSocket() override { Release(); }

  void Release() {
    io_.Close();
    hook_.Remove();
    on_message_.Reset();
    on_error_.Reset();
  }

 private:
  Napi::Value CloseJs(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  static void OnReady(void* owner, int status) {
    auto* self = static_cast<UdpTtlSocket*>(owner);
    Napi::Env env = self->env_;
    Napi::HandleScope scope(env);
    if (status < 0) {
      CallBack(env, self->on_error_, *self->async_, {ErrnoError(env, -status, "uv_poll", self->where_).Value()});
      return;
    }
    self->Drain();
  }

  void Drain() {
    Napi::Env env = env_;
    uint8_t data[kDatagramBufferSize];
    alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(int)) * 2];
    for (int i = 0; i < kMaxDatagramsPerWakeup && io_.fd >= 0; ++i) {
      sockaddr_storage from{};
      iovec iov{data, sizeof(data)};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof(from);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = ::recvmsg(io_.fd, &msg, 0);
      if (n < 0) {
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (err == EINTR) continue;
        // ICMP errors queued on the socket (ECONNREFUSED) say nothing about
        // the datagrams still to come: report and keep reading.
        CallBack(env, on_error_, *async_, {ErrnoError(env, err, "recvmsg", where_).Value()});
        continue;
      }
      int ttl = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) || (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
          memcpy(&ttl, CMSG_DATA(c), sizeof(int));
        }
      }
      int port = 0;
      std::string address = FormatAddr(from, &port);
      size_t len = static_cast<size_t>(n);
      if (msg.msg_flags & MSG_TRUNC) len = sizeof(data);
      CallBack(env, on_message_, *async_,
               {Napi::Buffer<uint8_t>::Copy(env, data, len), Napi::String::New(env, address), Napi::Number::New(env, port),
                Napi::Number::New(env, ttl)});
    }
  }

  WatchedFd io_;
  CleanupHook<UdpTtlSocket> hook_;
  napi_env env_ = nullptr;
  std::string where_;
  Napi::FunctionReference on_message_;
  Napi::FunctionReference on_error_;
  std::unique_ptr<Napi::AsyncContext> async_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("TcpConnect", TcpConnect::Define(env));
  exports.Set("UdpTtlSocket", UdpTtlSocket::Define(env));
  exports.Set("listenTcp", Napi::Function::New(env, ListenTcp, "listenTcp"));
  exports.Set("setMd5", Napi::Function::New(env, SetMd5Js, "setMd5"));
  exports.Set("setTtl", Napi::Function::New(env, SetTtlJs, "setTtl"));
  return exports;
}

}  // namespace

NODE_API_MODULE(shoal_tcp, Init)
