// Solicited-node memberships spread over several sockets once one socket's
// option memory is full (ENOMEM), and the errno recovered from raw-socket's
// strerror() text.
import t from 'tap';

import type { MulticastMembership } from '../../../src/announce/l2/io.js';
import { MulticastGroups } from '../../../src/announce/l2/multicast-groups.js';
import { codeFromStrerror } from '../../../src/announce/l2/system-io.js';

/** A socket that takes `capacity` groups and then fails as the kernel does. */
class FakeSocket implements MulticastMembership {
  readonly groups = new Set<string>();
  closed = false;
  constructor(
    private readonly capacity: number,
    private readonly failWith = 'ENOMEM',
  ) {}
  join(group: string): void {
    if (this.closed) throw new Error('closed');
    if (this.groups.size >= this.capacity) throw Object.assign(new Error('IPV6_ADD_MEMBERSHIP failed'), { code: this.failWith });
    this.groups.add(group);
  }
  leave(group: string): void {
    if (!this.groups.delete(group)) throw Object.assign(new Error('not a member'), { code: 'EADDRNOTAVAIL' });
  }
  close(): void {
    this.closed = true;
  }
}

const group = (i: number): string => `ff02::1:ff00:${i.toString(16)}`;

const noAllMulticast = (): never => {
  throw new Error('all-multicast not expected here');
};

t.test('past maxJoined groups the interface receives all multicast instead, while any group is over the limit', async (t) => {
  const sockets: FakeSocket[] = [];
  let opened = 0;
  let open = 0;
  const pool = new MulticastGroups({
    open: () => {
      const s = new FakeSocket(1000);
      sockets.push(s);
      return s;
    },
    openAllMulticast: () => {
      opened++;
      open++;
      return { close: () => open-- };
    },
    maxJoined: 1500,
  });
  for (let i = 0; i < 5000; i++) pool.join(group(i));
  pool.join(group(7));
  t.equal(pool.joinedCount, 1500, 'joined one by one up to the limit');
  t.equal(sockets.reduce((n, s) => n + s.groups.size, 0), 1500, 'no kernel membership past it');
  t.ok(pool.allMulticast);
  t.equal(opened, 1, 'one all-multicast membership for every group past the limit');
  for (let i = 1500; i < 4999; i++) pool.leave(group(i));
  t.equal(open, 1, 'held while one group is still over the limit');
  pool.settle();
  t.equal(open, 1, 'settle keeps it while a group is still over the limit');
  pool.leave(group(4999));
  // A batch that leaves the last group over the limit and then joins another keeps the one membership.
  pool.join(group(5000));
  pool.settle();
  t.equal(opened, 1, 'not closed and reopened within a batch');
  t.equal(open, 1);
  pool.leave(group(5000));
  t.equal(open, 1, 'kept until the batch ends');
  pool.settle();
  t.equal(open, 0, 'dropped when the batch that left the last group ends');
  t.notOk(pool.allMulticast);
  pool.join(group(6000));
  t.equal(open, 1);
  pool.close();
  t.equal(open, 0, 'close drops it');
  t.throws(() => new MulticastGroups({ open: () => new FakeSocket(1), openAllMulticast: noAllMulticast, maxJoined: -1 }), /maxJoined must be a non-negative integer, got -1/);
});

t.test('a failed all-multicast membership is reported and the group not counted; tried once a batch', async (t) => {
  let fail = true;
  let attempts = 0;
  const pool = new MulticastGroups({
    open: () => new FakeSocket(10),
    openAllMulticast: () => {
      attempts++;
      if (fail) throw Object.assign(new Error('setsockopt(PACKET_ADD_MEMBERSHIP) failed'), { code: 'EPERM' });
      return { close: () => {} };
    },
    maxJoined: 1,
  });
  pool.join(group(1));
  t.throws(() => pool.join(group(2)), { code: 'EPERM' });
  t.equal(attempts, 1);
  t.notOk(pool.allMulticast);
  fail = false;
  for (let i = 3; i < 100; i++) t.throws(() => pool.join(group(i)), { code: 'EPERM' }, 'the other groups of the batch fail alike');
  t.equal(attempts, 1, 'without trying again: one socket opened and closed a batch, not one a group');
  pool.settle();
  pool.join(group(2));
  t.equal(attempts, 2);
  t.ok(pool.allMulticast, 'the next batch tries again');
});

t.test('a full socket spills over to new ones; every group is held exactly once', async (t) => {
  const sockets: FakeSocket[] = [];
  const pool = new MulticastGroups({
    open: () => {
      const s = new FakeSocket(1000);
      sockets.push(s);
      return s;
    },
    openAllMulticast: noAllMulticast,
  });
  for (let i = 0; i < 2500; i++) pool.join(group(i));
  pool.join(group(7));
  t.equal(pool.socketCount, 3);
  t.same(
    sockets.map((s) => s.groups.size),
    [1000, 1000, 500],
  );
  const all = new Set(sockets.flatMap((s) => [...s.groups]));
  t.equal(all.size, 2500, 'each group joined once, on one socket');

  // Leaving from the spare sockets closes them once empty; the first stays.
  for (let i = 1000; i < 2500; i++) pool.leave(group(i));
  t.equal(pool.socketCount, 1);
  t.same(
    sockets.map((s) => s.closed),
    [false, true, true],
  );
  for (let i = 0; i < 1000; i++) pool.leave(group(i));
  t.equal(pool.socketCount, 1, 'the first socket stays open while the interface is used');
  t.equal(sockets[0]!.closed, false);
  pool.leave(group(1));
  t.pass('leaving a group not held is a no-op');

  // Room freed on the first socket is not reused until the last is full:
  // what matters is that every join finds a socket.
  for (let i = 0; i < 1200; i++) pool.join(group(i));
  t.equal(pool.socketCount, 2);
  pool.close();
  t.ok(sockets.every((s) => s.closed), 'close closes every socket');
});

t.test('other errors are not retried elsewhere', async (t) => {
  const pool = new MulticastGroups({ open: () => new FakeSocket(1, 'EINVAL'), openAllMulticast: noAllMulticast });
  pool.join(group(1));
  t.throws(() => pool.join(group(2)), { code: 'EINVAL' });
  t.equal(pool.socketCount, 1);
});

t.test('a fresh socket that cannot take one group reports the error and is closed', async (t) => {
  const sockets: FakeSocket[] = [];
  let capacity = 2;
  const pool = new MulticastGroups({
    open: () => {
      const s = new FakeSocket(capacity);
      sockets.push(s);
      capacity = 0;
      return s;
    },
    openAllMulticast: noAllMulticast,
  });
  pool.join(group(1));
  pool.join(group(2));
  t.throws(() => pool.join(group(3)), { code: 'ENOMEM' });
  t.equal(pool.socketCount, 1);
  t.equal(sockets[1]?.closed, true);
});

t.test('errno names from strerror() texts, including the ones libuv words differently', async (t) => {
  t.equal(codeFromStrerror('Cannot allocate memory'), 'ENOMEM');
  t.equal(codeFromStrerror('Operation not permitted'), 'EPERM');
  t.equal(codeFromStrerror('No such device'), 'ENODEV');
  t.equal(codeFromStrerror('No buffer space available'), 'ENOBUFS');
  t.equal(codeFromStrerror('something else'), 'EUNKNOWN');
});
