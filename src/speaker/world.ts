// What the speaker knows about the world besides gossip: the configuration,
// the nodes and the services with their addresses and endpoints. Kubernetes
// mode fills it from informers, file mode from the speaker's config file;
// the speaker core reads it the same way in both.
import type { ElectionInputs, ElectionMember } from '../announce/election-inputs.js';

export interface World {
  /** The election inputs for the given gossip members; undefined until a usable config exists. */
  inputs(members: readonly ElectionMember[]): ElectionInputs | undefined;
  /** This node's labels and addresses, for BGP peer and advertisement selectors. */
  self(): SelfNode;
  /** Called on every change of anything inputs() reads. */
  onChange(fn: () => void): void;
}

export interface SelfNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ipv4: string | undefined;
  readonly ipv6: string | undefined;
}
