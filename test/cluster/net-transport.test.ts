import { createConnection } from 'node:net';
import t from 'tap';
import { NetTransport } from '../../src/cluster/net-transport.js';
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
  t.equal(s.stats.streamsOversized, 1, 'counted as oversized');
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
