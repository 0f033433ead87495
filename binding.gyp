# Native addons, built by node-gyp when `npm install` runs (npm does this by
# itself for a package with a binding.gyp and no install script).
# Settings shared by every addon live in target_defaults; each addon is one
# entry in targets.
{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
    "cflags_cc!": ["-fno-exceptions"]
  },
  "targets": [
    {
      "target_name": "shoal_packet",
      "sources": ["native/packet.cc"]
    },
    {
      "target_name": "shoal_tcp",
      "sources": ["native/tcp.cc"]
    },
    {
      "target_name": "shoal_memory",
      "sources": ["native/memory.cc"]
    }
  ]
}
