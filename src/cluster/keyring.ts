// AES-256-GCM sealing of gossip packets with a key ring: the primary key
// seals, every key in the ring may open, so a cluster rotates keys without
// downtime (add the new key everywhere, make it primary everywhere, remove
// the old one).
//
// Sealed packet:
//   +------+----------------+------------+----------------+---------+
//   | 0x03 | sent at (u64)  | nonce (12) | ciphertext (n) | tag (16)|
//   +------+----------------+------------+----------------+---------+
// "sent at" is the sender's wall clock in ms since the epoch. It travels in
// the clear but is authenticated with the version byte as additional data,
// so a receiver can refuse a packet outside its replay window (replay.ts)
// before spending a decryption on it, and no one can restamp a captured
// packet. 0x02 was the format without the time stamp; it is refused.
// Nonces are random: with 96-bit random nonces NIST SP 800-38D caps a key
// at 2^32 seals, so busy clusters should rotate keys (docs/gossip.md says
// how often).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SEALED_PACKET } from './codec.js';
import { KEY_BYTES } from './new-key.js';

const STAMP_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + STAMP_BYTES;
export const SEAL_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** The clear part of a sealed packet: what can be checked before decrypting. */
export interface SealedHeader {
  /** Sender's wall clock when it sealed the packet, ms since the epoch. */
  readonly sentAt: number;
  /** The packet's nonce: unique per seal, so it identifies a replay. */
  readonly nonce: Buffer;
}

export interface Opened {
  readonly plain: Buffer;
  readonly sentAt: number;
}

/** Reads the header of a sealed packet; undefined when it is not one or too short. */
export function sealedHeader(sealed: Uint8Array): SealedHeader | undefined {
  if (sealed.length < SEAL_OVERHEAD + 1 || sealed[0] !== SEALED_PACKET) return undefined;
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const high = b.readUInt32BE(1);
  // Past 2^53 ms a number loses precision; no honest clock is there.
  if (high >= 0x20_0000) return undefined;
  return { sentAt: high * 0x1_0000_0000 + b.readUInt32BE(5), nonce: b.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES) };
}

export class Keyring {
  private keys: Buffer[];

  /** keys[0] is the primary. Each key is exactly 32 bytes. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new Error('a key ring needs at least one key');
    keys.forEach((k, i) => {
      if (k.length !== KEY_BYTES) throw new Error(`key ${i}: AES-256 needs ${KEY_BYTES} bytes, got ${k.length}`);
    });
    this.keys = keys.map((k) => Buffer.from(k));
  }

  /** Parses base64 keys (as `openssl rand -base64 32` prints them), primary first. */
  static fromBase64(keys: readonly string[]): Keyring {
    return new Keyring(
      keys.map((k, i) => {
        const b = Buffer.from(k.trim(), 'base64');
        if (b.length !== KEY_BYTES) throw new Error(`key ${i}: expected ${KEY_BYTES} bytes of base64, got ${b.length}`);
        return b;
      }),
    );
  }

  /**
   * Keys from secret text, primary first: a line that is base64 of exactly
   * 32 bytes is used as it is; any other non-empty text is hashed with
   * SHA-256 into a key. So MetalLB's memberlist Secret (128 random bytes in
   * base64) seals shoal's gossip unchanged, and so does a passphrase.
   */
  static fromSecretText(keys: readonly string[]): Keyring {
    return new Keyring(
      keys.map((text, i) => {
        const t = text.trim();
        if (t === '') throw new Error(`key ${i}: empty`);
        const b = /^[A-Za-z0-9+/]+={0,2}$/.test(t) ? Buffer.from(t, 'base64') : undefined;
        return b && b.length === KEY_BYTES ? b : createHash('sha256').update(t).digest();
      }),
    );
  }

  get size(): number {
    return this.keys.length;
  }

  /** Adds a key that can open packets; it seals only once made primary. */
  add(key: Uint8Array): void {
    if (key.length !== KEY_BYTES) throw new Error(`AES-256 needs ${KEY_BYTES} bytes, got ${key.length}`);
    if (!this.keys.some((k) => k.equals(key))) this.keys.push(Buffer.from(key));
  }

  usePrimary(key: Uint8Array): void {
    this.add(key);
    const i = this.keys.findIndex((k) => k.equals(key));
    const [k] = this.keys.splice(i, 1);
    this.keys.unshift(k!);
  }

  remove(key: Uint8Array): void {
    const i = this.keys.findIndex((k) => k.equals(key));
    if (i === 0) throw new Error('cannot remove the primary key; make another key primary first');
    if (i > 0) this.keys.splice(i, 1);
  }

  /** Seals a plain packet, stamped with `sentAt` (wall clock, ms since the epoch). */
  seal(plain: Uint8Array, sentAt: number): Buffer {
    if (!Number.isSafeInteger(sentAt) || sentAt < 0) throw new RangeError(`seal time ${sentAt} is not a non-negative integer of ms`);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header[0] = SEALED_PACKET;
    header.writeUInt32BE(Math.floor(sentAt / 0x1_0000_0000), 1);
    header.writeUInt32BE(sentAt % 0x1_0000_0000, 5);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, nonce);
    cipher.setAAD(header);
    const body = cipher.update(plain);
    const final = cipher.final();
    return Buffer.concat([header, nonce, body, final, cipher.getAuthTag()]);
  }

  /** Opens a sealed packet with any key of the ring; undefined when none fits. */
  open(sealed: Uint8Array): Opened | undefined {
    const head = sealedHeader(sealed);
    if (!head) return undefined;
    const body = sealed.subarray(SEAL_OVERHEAD - TAG_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    for (const key of this.keys) {
      try {
        const d = createDecipheriv('aes-256-gcm', key, head.nonce);
        d.setAAD(sealed.subarray(0, HEADER_BYTES));
        d.setAuthTag(tag);
        return { plain: Buffer.concat([d.update(body), d.final()]), sentAt: head.sentAt };
      } catch {
        // wrong key for this packet: try the next one
      }
    }
    return undefined;
  }
}
