// The unix-socket Kubernetes client lives in dev/lab (the demo drives its API double with it too).
export * from '../../dev/lab/kube-socket.js';
