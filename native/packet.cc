// shoal_packet: the few Linux link-layer facilities Node does not expose.
//
//  - PacketSocket: an AF_PACKET socket bound to one interface and one
//    ethertype, with an optional classic BPF filter so the kernel only wakes
//    us for the frames we care about. The fd is non-blocking and watched by a
//    uv_poll handle on the Node loop; frames arrive as Buffers in a callback.
//  - LinkWatcher: an rtnetlink socket subscribed to link and address events.
//    It never parses messages: any message means "something changed, rescan",
//    which keeps this file small and leaves the scan itself in JS.
//  - interfaceInfo / listInterfaces: ifindex, MAC, MTU and flags via ioctl.
//
// Every error becomes a JS Error with code (e.g. "EPERM"), errno (negative,
// as Node does) and syscall. No error path aborts the process, and every fd is
// closed by close(), by garbage collection, or by the environment cleanup hook
// when the process or worker exits.

#include <napi.h>
#include <uv.h>

#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace {

// Frames larger than this are truncated on receipt; ARP and Neighbor
// Discovery frames are far smaller (NS with options: under 100 bytes).
constexpr size_t kRecvBufferSize = 2048;
// Frames handled per wakeup before yielding back to the loop, so a flood on
// one interface cannot starve timers and other sockets.
constexpr int kMaxFramesPerWakeup = 64;

using shoal::CallBack;
using shoal::Poller;

Napi::Error MakeErrnoError(Napi::Env env, int err, const char* syscall, const std::string& message) {
  return shoal::ErrnoError(env, err, syscall, message);
}

// Messages an operator can act on for the errors they will actually meet.
std::string Describe(int err, const char* syscall, const std::string& what, const std::string& ifname) {
  switch (err) {
    case EPERM:
    case EACCES:
      return what + " on " + ifname + " needs CAP_NET_RAW (run as root or grant the capability)";
    case ENODEV:
    case ENXIO:
      return "interface " + ifname + " does not exist";
    case ENETDOWN:
      return "interface " + ifname + " is down";
    default:
      return std::string(syscall) + " for " + what + " on " + ifname + " failed: " + strerror(err);
  }
}

Napi::Error InterfaceError(Napi::Env env, int err, const char* syscall, const std::string& what, const std::string& ifname) {
  return MakeErrnoError(env, err, syscall, Describe(err, syscall, what, ifname));
}

bool ValidInterfaceName(const std::string& name) {
  return !name.empty() && name.size() < IFNAMSIZ && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// What every object here holds: a non-blocking fd watched for readability on
// the Node loop, the two JS callbacks it feeds (data, error), and the
// environment cleanup hook that closes it all when the process or worker
// exits.
class PolledFd {
 public:
  using ReadyFn = void (*)(void* owner, int status);

  PolledFd() = default;
  PolledFd(const PolledFd&) = delete;
  PolledFd& operator=(const PolledFd&) = delete;
  ~PolledFd() { Close(); }

  // Takes ownership of fd (closing it on failure). Returns 0 or a negative libuv error.
  int Start(Napi::Env env, int fd, const char* resource, void* owner, ReadyFn ready, Napi::Function on_data, Napi::Function on_error) {
    fd_ = fd;
    env_ = env;
    owner_ = owner;
    ready_ = ready;
    int rc = poll_.Start(env, fd_, UV_READABLE, this, OnReady);
    if (rc != 0) {
      Close();
      return rc;
    }
    on_data_ = Napi::Persistent(on_data);
    on_error_ = Napi::Persistent(on_error);
    async_ = std::make_unique<Napi::AsyncContext>(env, resource);
    napi_add_env_cleanup_hook(env, &PolledFd::Cleanup, this);
    hooked_ = true;
    return 0;
  }

  int fd() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  Napi::Env env() const { return Napi::Env(env_); }

  void Data(const std::initializer_list<napi_value>& args) {
    if (async_) CallBack(env(), on_data_, *async_, args);
  }
  void Error(const Napi::Error& err) {
    if (async_) CallBack(env(), on_error_, *async_, {err.Value()});
  }

  void Close() {
    poll_.Stop();
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (hooked_) {
      napi_remove_env_cleanup_hook(env_, &PolledFd::Cleanup, this);
      hooked_ = false;
    }
    on_data_.Reset();
    on_error_.Reset();
  }

 private:
  static void OnReady(void* arg, int status) {
    auto* self = static_cast<PolledFd*>(arg);
    if (self->ready_ == nullptr) return;
    Napi::HandleScope scope(self->env());
    self->ready_(self->owner_, status);
  }

  static void Cleanup(void* arg) {
    auto* self = static_cast<PolledFd*>(arg);
    self->hooked_ = false;  // the hook is running: removing it now is not allowed
    self->Close();
  }

  int fd_ = -1;
  Poller poll_;
  napi_env env_ = nullptr;
  void* owner_ = nullptr;
  ReadyFn ready_ = nullptr;
  Napi::FunctionReference on_data_;
  Napi::FunctionReference on_error_;
  std::unique_ptr<Napi::AsyncContext> async_;
  bool hooked_ = false;
};

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {
                           InstanceMethod<&PacketSocket::Send>("send"),
                           InstanceMethod<&PacketSocket::SetAllMulticast>("setAllMulticast"),
                           InstanceMethod<&PacketSocket::CloseJs>("close"),
                           InstanceAccessor<&PacketSocket::Closed>("closed"),
                           InstanceAccessor<&PacketSocket::Ifindex>("ifindex"),
                       });
  }

  // new PacketSocket(ifname, ethertype, filter: Buffer | null, onFrame, onError)
  explicit PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsString() || !info[1].IsNumber() || !info[3].IsFunction() || !info[4].IsFunction()) {
      Napi::TypeError::New(env, "PacketSocket(ifname: string, ethertype: number, filter: Buffer | null, onFrame: Function, onError: Function)")
          .ThrowAsJavaScriptException();
      return;
    }
    ifname_ = info[0].As<Napi::String>().Utf8Value();
    if (!ValidInterfaceName(ifname_)) {
      MakeErrnoError(env, EINVAL, "if_nametoindex", "invalid interface name \"" + ifname_ + "\" (1 to 15 characters, no '/')")
          .ThrowAsJavaScriptException();
      return;
    }
    double ethertype = info[1].As<Napi::Number>().DoubleValue();
    if (!(ethertype >= 0x0600 && ethertype <= 0xffff) || ethertype != static_cast<int>(ethertype)) {
      Napi::RangeError::New(env, "ethertype must be an integer in 0x0600..0xffff").ThrowAsJavaScriptException();
      return;
    }

    sock_fprog prog{};
    bool has_filter = !info[2].IsNull() && !info[2].IsUndefined();
    if (has_filter) {
      if (!info[2].IsBuffer()) {
        Napi::TypeError::New(env, "filter must be a Buffer of sock_filter instructions or null").ThrowAsJavaScriptException();
        return;
      }
      auto buf = info[2].As<Napi::Buffer<uint8_t>>();
      size_t n = buf.Length() / sizeof(sock_filter);
      if (buf.Length() % sizeof(sock_filter) != 0 || n == 0 || n > BPF_MAXINSNS) {
        Napi::RangeError::New(env, "filter length must be a non-zero multiple of 8 bytes, at most 4096 instructions")
            .ThrowAsJavaScriptException();
        return;
      }
      prog.len = static_cast<unsigned short>(n);
      prog.filter = reinterpret_cast<sock_filter*>(buf.Data());
    }

    // The name is resolved before the socket is opened so that a missing
    // interface is reported as such even to an unprivileged caller.
    ifindex_ = static_cast<int>(if_nametoindex(ifname_.c_str()));
    if (ifindex_ == 0) {
      InterfaceError(env, errno, "if_nametoindex", "AF_PACKET socket", ifname_).ThrowAsJavaScriptException();
      return;
    }
    // Protocol 0 receives nothing until bind(), so no unfiltered frame can be
    // queued between socket() and SO_ATTACH_FILTER.
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      InterfaceError(env, errno, "socket", "AF_PACKET socket", ifname_).ThrowAsJavaScriptException();
      return;
    }
    if (has_filter && ::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
      int err = errno;
      ::close(fd);
      InterfaceError(env, err, "setsockopt(SO_ATTACH_FILTER)", "AF_PACKET socket", ifname_).ThrowAsJavaScriptException();
      return;
    }
#ifdef PACKET_IGNORE_OUTGOING
    // Frames this host sends (our replies, the kernel's own ARP) are not
    // questions to answer. Kernels before 4.20 lack the option: the
    // PACKET_OUTGOING check in Drain() covers them.
    int one = 1;
    (void)::setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
#endif
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(static_cast<uint16_t>(ethertype));
    addr.sll_ifindex = ifindex_;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
      int err = errno;
      ::close(fd);
      InterfaceError(env, err, "bind", "AF_PACKET socket", ifname_).ThrowAsJavaScriptException();
      return;
    }
    int rc = poll_.Start(env, fd, "shoal:PacketSocket", this, &PacketSocket::OnReady, info[3].As<Napi::Function>(), info[4].As<Napi::Function>());
    if (rc != 0) {
      MakeErrnoError(env, -rc, "uv_poll_start", "cannot watch AF_PACKET socket on " + ifname_ + ": " + uv_strerror(rc))
          .ThrowAsJavaScriptException();
    }
  }

 private:
  static void OnReady(void* owner, int status) {
    auto* self = static_cast<PacketSocket*>(owner);
    if (status < 0) {
      self->poll_.Error(MakeErrnoError(self->poll_.env(), -status, "uv_poll", "watching AF_PACKET socket on " + self->ifname_ + " failed: " + uv_strerror(status)));
      return;
    }
    self->Drain();
  }

  void Drain() {
    Napi::Env env = poll_.env();
    uint8_t buf[kRecvBufferSize];
    for (int i = 0; i < kMaxFramesPerWakeup && poll_.open(); ++i) {
      sockaddr_ll from{};
      socklen_t fromlen = sizeof(from);
      ssize_t n = ::recvfrom(poll_.fd(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &fromlen);
      if (n < 0) {
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (err == EINTR) continue;
        // ENETDOWN / ENODEV when the interface goes away: the kernel reports
        // it once; the owner decides whether to close and rescan.
        poll_.Error(InterfaceError(env, err, "recvfrom", "AF_PACKET socket", ifname_));
        return;
      }
      if (from.sll_pkttype == PACKET_OUTGOING) continue;
      Napi::HandleScope scope(env);
      poll_.Data({Napi::Buffer<uint8_t>::Copy(env, buf, static_cast<size_t>(n))});
    }
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "send(frame: Buffer)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!poll_.open()) {
      MakeErrnoError(env, EBADF, "send", "AF_PACKET socket on " + ifname_ + " is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto frame = info[0].As<Napi::Buffer<uint8_t>>();
    ssize_t n;
    do {
      n = ::send(poll_.fd(), frame.Data(), frame.Length(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      InterfaceError(env, errno, "send", "AF_PACKET socket", ifname_).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, static_cast<double>(n));
  }

  // setAllMulticast(on: boolean): a PACKET_MR_ALLMULTI membership, so the
  // interface passes every multicast frame up (the NIC's filter included)
  // without one kernel membership per group. The kernel counts it per
  // socket and drops it when the socket closes.
  Napi::Value SetAllMulticast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBoolean()) {
      Napi::TypeError::New(env, "setAllMulticast(on: boolean)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!poll_.open()) {
      MakeErrnoError(env, EBADF, "setsockopt", "AF_PACKET socket on " + ifname_ + " is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    packet_mreq mreq{};
    mreq.mr_ifindex = ifindex_;
    mreq.mr_type = PACKET_MR_ALLMULTI;
    bool on = info[0].As<Napi::Boolean>().Value();
    if (::setsockopt(poll_.fd(), SOL_PACKET, on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
      InterfaceError(env, errno, on ? "setsockopt(PACKET_ADD_MEMBERSHIP)" : "setsockopt(PACKET_DROP_MEMBERSHIP)", "AF_PACKET socket", ifname_)
          .ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }

  Napi::Value CloseJs(const Napi::CallbackInfo& info) {
    poll_.Close();
    return info.Env().Undefined();
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !poll_.open()); }
  Napi::Value Ifindex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }

  std::string ifname_;
  int ifindex_ = 0;
  PolledFd poll_;
};

class LinkWatcher : public Napi::ObjectWrap<LinkWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LinkWatcher", {InstanceMethod<&LinkWatcher::CloseJs>("close")});
  }

  // new LinkWatcher(onChange: () => void, onError: (err) => void)
  explicit LinkWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LinkWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "LinkWatcher(onChange: Function, onError: Function)").ThrowAsJavaScriptException();
      return;
    }
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
      int err = errno;
      MakeErrnoError(env, err, "socket", std::string("rtnetlink socket failed: ") + strerror(err)).ThrowAsJavaScriptException();
      return;
    }
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
      int err = errno;
      ::close(fd);
      MakeErrnoError(env, err, "bind", std::string("rtnetlink subscription failed: ") + strerror(err)).ThrowAsJavaScriptException();
      return;
    }
    int rc = poll_.Start(env, fd, "shoal:LinkWatcher", this, &LinkWatcher::OnReady, info[0].As<Napi::Function>(), info[1].As<Napi::Function>());
    if (rc != 0) {
      MakeErrnoError(env, -rc, "uv_poll_start", std::string("cannot watch rtnetlink socket: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
    }
  }

 private:
  static void OnReady(void* owner, int status) {
    auto* self = static_cast<LinkWatcher*>(owner);
    if (status < 0) {
      self->poll_.Error(MakeErrnoError(self->poll_.env(), -status, "uv_poll", std::string("watching rtnetlink failed: ") + uv_strerror(status)));
      return;
    }
    // Drain everything queued; one notification covers the whole batch.
    // ENOBUFS means the kernel dropped events: still a change, and the
    // rescan that follows recovers the full state.
    uint8_t buf[8192];
    bool changed = false;
    for (;;) {
      ssize_t n = ::recv(self->poll_.fd(), buf, sizeof(buf), 0);
      if (n > 0 || (n < 0 && errno == ENOBUFS)) {
        changed = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    if (changed) self->poll_.Data({});
  }

  Napi::Value CloseJs(const Napi::CallbackInfo& info) {
    poll_.Close();
    return info.Env().Undefined();
  }

  PolledFd poll_;
};

// Fills an object with what ioctl knows about one interface. Returns 0 or an
// errno value.
int QueryInterface(int fd, const std::string& name, Napi::Object out) {
  Napi::Env env = out.Env();
  ifreq req{};
  memcpy(req.ifr_name, name.c_str(), name.size());
  if (::ioctl(fd, SIOCGIFINDEX, &req) < 0) return errno;
  int index = req.ifr_ifindex;
  if (::ioctl(fd, SIOCGIFFLAGS, &req) < 0) return errno;
  unsigned flags = static_cast<unsigned short>(req.ifr_flags);
  if (::ioctl(fd, SIOCGIFMTU, &req) < 0) return errno;
  int mtu = req.ifr_mtu;
  if (::ioctl(fd, SIOCGIFHWADDR, &req) < 0) return errno;
  int hw_type = req.ifr_hwaddr.sa_family;
  // Only Ethernet-like links carry a 6-byte MAC in this field; others (tun,
  // ip6gre, loopback's all-zero address) report an empty one here.
  bool ether = hw_type == ARPHRD_ETHER;
  out.Set("name", Napi::String::New(env, name));
  out.Set("index", Napi::Number::New(env, index));
  out.Set("flags", Napi::Number::New(env, flags));
  out.Set("mtu", Napi::Number::New(env, mtu));
  out.Set("hwType", Napi::Number::New(env, hw_type));
  out.Set("mac", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(req.ifr_hwaddr.sa_data), ether ? 6 : 0));
  return 0;
}

int InfoSocket() { return ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); }

// interfaceInfo(name) -> { name, index, flags, mtu, hwType, mac }
Napi::Value InterfaceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "interfaceInfo(name: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (!ValidInterfaceName(name)) {
    MakeErrnoError(env, EINVAL, "ioctl", "invalid interface name \"" + name + "\" (1 to 15 characters, no '/')").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = InfoSocket();
  if (fd < 0) {
    int err = errno;
    MakeErrnoError(env, err, "socket", std::string("socket for interface queries failed: ") + strerror(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  int err = QueryInterface(fd, name, out);
  ::close(fd);
  if (err != 0) {
    InterfaceError(env, err, "ioctl", "interface query", name).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return out;
}

// listInterfaces() -> the same objects for every interface, in index order.
// An interface deleted between listing and querying is simply left out.
Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct if_nameindex* names = if_nameindex();
  if (names == nullptr) {
    int err = errno;
    MakeErrnoError(env, err, "if_nameindex", std::string("listing interfaces failed: ") + strerror(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = InfoSocket();
  if (fd < 0) {
    int err = errno;
    if_freenameindex(names);
    MakeErrnoError(env, err, "socket", std::string("socket for interface queries failed: ") + strerror(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (struct if_nameindex* p = names; p->if_index != 0 && p->if_name != nullptr; ++p) {
    Napi::Object obj = Napi::Object::New(env);
    if (QueryInterface(fd, p->if_name, obj) == 0) out.Set(n++, obj);
  }
  ::close(fd);
  if_freenameindex(names);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Define(env));
  exports.Set("LinkWatcher", LinkWatcher::Define(env));
  exports.Set("interfaceInfo", Napi::Function::New(env, InterfaceInfo, "interfaceInfo"));
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfaces, "listInterfaces"));
  return exports;
}

}  // namespace

NODE_API_MODULE(shoal_packet, Init)
