// Gossip message model: a tagged union, one variant per wire message.
// Wire type codes are append-only: never renumber or reuse one.

export const MessageType = {
  Ping: 1,
  IndirectPing: 2,
  Ack: 3,
  Nack: 4,
  Suspect: 5,
  Alive: 6,
  Dead: 7,
  PushPull: 8,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Member states as gossiped and as shown by the status endpoint. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** Small per-member string map: node name, version, labels. */
export type Meta = Readonly<Record<string, string>>;

export interface Ping {
  type: 'ping';
  seq: number;
  /** Name of the member the sender means to probe; a receiver with another name drops it. */
  target: string;
  /** Where the ack goes: the sender's advertised address. */
  sourceHost: string;
  sourcePort: number;
  sourceName: string;
}

export interface IndirectPing {
  type: 'indirect-ping';
  seq: number;
  target: string;
  targetHost: string;
  targetPort: number;
  /** Lifeguard: the requester wants a nack if the target does not answer in time. */
  wantNack: boolean;
  sourceHost: string;
  sourcePort: number;
  sourceName: string;
}

export interface Ack {
  type: 'ack';
  seq: number;
}

export interface Nack {
  type: 'nack';
  seq: number;
}

export interface Suspect {
  type: 'suspect';
  incarnation: number;
  node: string;
  from: string;
}

export interface Alive {
  type: 'alive';
  incarnation: number;
  node: string;
  host: string;
  port: number;
  meta: Meta;
}

/** A dead message whose `from` is the node itself means it left gracefully. */
export interface Dead {
  type: 'dead';
  incarnation: number;
  node: string;
  from: string;
}

export interface MemberRecord {
  name: string;
  host: string;
  port: number;
  incarnation: number;
  state: MemberState;
  meta: Meta;
}

/** Full state exchanged over TCP on join and periodically. */
export interface PushPull {
  type: 'push-pull';
  join: boolean;
  members: MemberRecord[];
}

export type Message = Ping | IndirectPing | Ack | Nack | Suspect | Alive | Dead | PushPull;

/** Messages that are broadcast (disseminated) rather than exchanged point to point. */
export type MembershipMessage = Suspect | Alive | Dead;
