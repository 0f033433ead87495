// What the speaker's status endpoint shows per peer.

import type { AfiName } from './messages/mp-nlri.js';
import type { NotificationRecord } from './fsm/connection.js';

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export interface SessionError {
  /** Wall-clock time, ISO 8601. */
  readonly at: string;
  readonly reason: string;
  readonly notification?: NotificationRecord;
}

export interface BfdStatus {
  readonly state: 'AdminDown' | 'Down' | 'Init' | 'Up';
  readonly remoteState: 'AdminDown' | 'Down' | 'Init' | 'Up';
  readonly localDiagnostic: string;
  /** Agreed transmit interval and detection time, in milliseconds, while the session is up. */
  readonly transmitIntervalMs: number;
  readonly detectionTimeMs: number;
  readonly upEvents: number;
  readonly downEvents: number;
}

export interface PeerStatus {
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localAsn: number;
  /** Configured, or learned from the OPEN with a dynamic AS. */
  readonly peerAsn?: number;
  readonly state: SessionState;
  /** Seconds in the current state. */
  readonly stateSeconds: number;
  /** Seconds since Established; absent otherwise. */
  readonly uptimeSeconds?: number;
  readonly localAddress?: string;
  readonly peerRouterId?: string;
  readonly ibgp?: boolean;
  readonly holdTimeSeconds?: number;
  readonly keepaliveSeconds?: number;
  readonly families?: readonly AfiName[];
  /** Prefixes currently advertised to the peer. */
  readonly prefixesSent: number;
  /** Prefixes the speaker asked for, valid or not sendable. */
  readonly prefixesWanted: number;
  /** Why some wanted prefixes are not sent (bad input, family not negotiated, no next hop). */
  readonly routeProblems: readonly string[];
  readonly updatesSent: number;
  readonly updatesReceived: number;
  /** Received UPDATEs with RFC 7606 errors that did not reset the session. */
  readonly updateErrorsReceived: number;
  /** Consecutive failed attempts; 0 once Established. */
  readonly failures: number;
  readonly lastError?: SessionError;
  readonly bfd?: BfdStatus;
}
