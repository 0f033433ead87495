import { createConnection, type Socket } from 'node:net';
import t from 'tap';
import { NetTransport, type NetTransportOptions } from '../../src/cluster/net-transport.js';
import { TransportError } from '../../src/cluster/transport.js';

const host = '127.0.0.1';

t.test('datagrams and exchanges over real sockets on one port', async (t) => {
  const a = await NetTransport.listen({ bindHost: host, bindPort: 0 });
  const b = await NetTransport.listen({ bindHost: host, bindPort: 0, maxStreamBytes: 1 << 20 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const got: Array<[number, string]> = [];
  b.setHandlers({
    packet: (from, data) => got.push([from.port, data.toString()]),
    exchange: async (_from, req) => Buffer.concat([Buffer.from('echo:'), req]),
  });
  a.setHandlers({ packet: () => {}, exchange: async () => undefined });
  a.sendPacket({ host, port: b.port }, Buffer.from('hello'));
  for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.same(got, [[a.port, 'hello']], 'the datagram arrives from the sender\'s gossip port');

  const big = Buffer.alloc(300_000, 7);
  const reply = await a.exchange({ host, port: b.port }, big, 5000);
  t.equal(reply.length, big.length + 5, 'a 300 kB state exchange round-trips');
  t.equal(reply.subarray(0, 5).toString(), 'echo:');

  await t.rejects(b.exchange({ host, port: a.port }, Buffer.from('x'), 5000), { code: 'closed' }, 'a peer that returns no reply closes the stream');
});

t.test('inbound streams claiming too much are cut without reading them', async (t) => {
  const s = await NetTransport.listen({ bindHost: host, bindPort: 0, maxStreamBytes: 1024 });
  t.teardown(() => s.close());
  let served = 0;
  s.setHandlers({ packet: () => {}, exchange: async () => (served++, Buffer.from('no')) });
  const sock = createConnection({ host, port: s.port });
  await new Promise((r) => sock.once('connect', r));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(0xffffffff, 0);
  sock.write(header);
  await new Promise((r) => sock.once('close', r));
  t.equal(served, 0, 'the handler never ran');
  t.equal(s.stats().streams.oversized, 1, 'counted as oversized');
});

/** Polls (real time, generous) until cond holds; false if it never does. */
async function eventually(cond: () => boolean, ms = 45_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

function lengthHeader(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Opens a connection and plays one way of ending (or not ending) an exchange. */
async function misbehave(port: number, how: 'stall' | 'reset' | 'half-close' | 'garbage' | 'big-header-stall'): Promise<Socket> {
  const sock = createConnection({ host, port });
  sock.on('error', () => {});
  await new Promise((r) => sock.once('connect', r));
  if (how === 'reset') {
    sock.write(Buffer.from([0, 0]));
    sock.resetAndDestroy();
  } else if (how === 'half-close') {
    sock.end(Buffer.from([0, 0, 0]));
  } else if (how === 'garbage') {
    sock.write(Buffer.concat([lengthHeader(16), Buffer.alloc(16, 0xab)]));
  } else if (how === 'big-header-stall') {
    sock.write(lengthHeader(4 << 20));
  }
  return sock;
}

/** A server with these stream limits that answers "ping" (only), a client, and the sockets a test opens; all closed at teardown. */
async function serverAndClient(t: { teardown(fn: () => unknown): void }, opts: Partial<NetTransportOptions>): Promise<{ s: NetTransport; client: NetTransport; open: Socket[] }> {
  const s = await NetTransport.listen({ bindHost: host, bindPort: 0, ...opts });
  const client = await NetTransport.listen({ bindHost: host, bindPort: 0 });
  const open: Socket[] = [];
  t.teardown(async () => {
    for (const sock of open) sock.destroy();
    await s.close();
    await client.close();
  });
  // Anything but "ping" is garbage the handler refuses.
  s.setHandlers({ packet: () => {}, exchange: async (_f, req) => (req.toString() === 'ping' ? Buffer.from('pong') : undefined) });
  client.setHandlers({ packet: () => {}, exchange: async () => undefined });
  return { s, client, open };
}

t.test('every way an inbound stream ends gives its slot back', async (t) => {
  const slots = 4;
  // A timeout the ending can beat under load: with 300 ms a process paused
  // between accepting a stream and reading its reset or garbage counted it
  // as timed out instead (timers run before I/O in an event-loop turn).
  const { s, client, open } = await serverAndClient(t, { maxConcurrentStreams: slots, streamTimeoutMs: 3_000, streamIdleMs: 60_000 });
  const cases = [
    ['stall', 'timedOut'],
    ['big-header-stall', 'timedOut'],
    ['reset', 'incomplete'],
    ['half-close', 'incomplete'],
    ['garbage', 'incomplete'],
  ] as const;
  for (const [how, counter] of cases) {
    const before = s.stats().streams[counter];
    for (let i = 0; i < slots; i++) open.push(await misbehave(s.port, how));
    t.ok(await eventually(() => s.stats().streams[counter] - before === slots), `${how}: all ${slots} counted as ${counter}`);
    t.ok(await eventually(() => s.stats().streams.active === 0), `${how}: every slot given back`);
    const reply = await client.exchange({ host, port: s.port }, Buffer.from('ping'), 5000);
    t.equal(reply.toString(), 'pong', `${how}: the next exchange is served`);
  }
  t.equal(s.stats().streams.refused, 0, 'nothing was refused along the way');
});

t.test('stalled streams give their slots to new ones; busy ones do not', async (t) => {
  const slots = 4;
  const { s, client, open } = await serverAndClient(t, { maxConcurrentStreams: slots, streamTimeoutMs: 60_000, streamIdleMs: 200 });
  for (let i = 0; i < slots; i++) open.push(await misbehave(s.port, 'big-header-stall'));
  t.ok(await eventually(() => s.stats().streams.active === slots), 'stalled connections hold every slot');
  await new Promise((r) => setTimeout(r, 300));
  const reply = await client.exchange({ host, port: s.port }, Buffer.from('ping'), 5000);
  t.equal(reply.toString(), 'pong', 'an exchange is served while stalled peers hold every slot');
  const st = s.stats().streams;
  t.ok(st.preempted >= 1, `idle streams were closed to make room (${st.preempted})`);
  t.ok(st.active <= slots, 'never more than the slots in use');

  // Within the idle time a new connection has to wait its turn: refused.
  const { s: fresh, open: held } = await serverAndClient(t, { maxConcurrentStreams: 1, streamTimeoutMs: 60_000, streamIdleMs: 60_000 });
  held.push(await misbehave(fresh.port, 'stall'));
  await t.rejects(client.exchange({ host, port: fresh.port }, Buffer.from('ping'), 5000), 'the next one is turned away');
  t.ok(await eventually(() => fresh.stats().streams.refused === 1), 'and counted as refused');
});

t.test('the UDP socket asks for a burst-sized receive buffer and reports what it got', async (t) => {
  const s = await NetTransport.listen({ bindHost: host, bindPort: 0 });
  t.teardown(() => s.close());
  const udp = s.stats().udp;
  t.equal(udp.receiveBufferRequested, 2 << 20, 'asks for 2 MiB, as memberlist does');
  t.ok(udp.receiveBufferBytes !== undefined && udp.receiveBufferBytes > 0, `granted ${udp.receiveBufferBytes} bytes`);
  if (process.platform === 'linux') t.equal(typeof udp.kernelDrops, 'number', `the kernel's drop count of this socket is read (${udp.kernelDrops})`);
});

t.test('exchanges with nobody listening fail with a typed error', async (t) => {
  const a = await NetTransport.listen({ bindHost: host, bindPort: 0 });
  const gone = await NetTransport.listen({ bindHost: host, bindPort: 0 });
  const port = gone.port;
  await gone.close();
  t.teardown(() => a.close());
  const err = await a.exchange({ host, port }, Buffer.from('x'), 2000).catch((e: unknown) => e);
  t.ok(err instanceof TransportError && err.code === 'refused', 'connection refused');
  t.rejects(NetTransport.listen({ bindHost: 'not-an-ip', bindPort: 0 }), /not an IP address/);
});
