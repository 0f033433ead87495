// Settings the command line needs before it loads any Kubernetes client
// code (client-node takes half a second to import), shared by the
// controller and the speaker.

/** MetalLB's namespace: an existing install's objects and Secret are found there. */
export const DEFAULT_NAMESPACE = 'metallb-system';

export type ConfigSourceMode = 'auto' | 'crd' | 'configmap';
export const CONFIG_SOURCE_MODES: readonly ConfigSourceMode[] = ['auto', 'crd', 'configmap'];

/** MetalLB's gossip key Secret and its key: mounted into the speakers, created by the controller when missing. */
export const GOSSIP_SECRET_NAME = 'memberlist';
export const GOSSIP_SECRET_KEY = 'secretkey';
