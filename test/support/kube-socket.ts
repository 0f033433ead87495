// The unix-socket Kubernetes client lives in src/lab (the demo drives its API double with it too).
export * from '../../src/lab/kube-socket.js';
