// A new gossip key: the key size and the generator, apart from the keyring
// (keyring.ts) so that what only writes keys (`shoal keygen`, the
// controller's memberlist Secret) does not load the gossip codec.
import { randomBytes } from 'node:crypto';

/** AES-256. */
export const KEY_BYTES = 32;

/** A new random AES-256 gossip key, base64: a key file's line, or the memberlist Secret's `secretkey`. */
export function newGossipKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
