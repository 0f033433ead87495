import t from 'tap';
import { createLogger } from '../../src/util/log.js';
import { BATCH_LOG_FIRST, BatchLog } from '../../src/util/log-batch.js';

function capture(level: 'debug' | 'info'): { lines: Record<string, unknown>[]; batch: BatchLog } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level, sink: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), now: () => new Date(0) });
  return { lines, batch: new BatchLog(log, 'announcing') };
}

t.test('a batch logs one summary line at info with the count and the first few items', async (t) => {
  const { lines, batch } = capture('info');
  for (let i = 0; i < 1000; i++) batch.add(`198.51.100.${i % 256}`, { ip: `198.51.100.${i % 256}` });
  t.equal(lines.length, 0, 'nothing at info before the flush');
  batch.flush({ interface: 'eth0' });
  t.equal(lines.length, 1);
  t.match(lines[0], { level: 'info', msg: 'announcing', count: 1000, interface: 'eth0' });
  t.same(lines[0]!['addresses'], ['198.51.100.0', '198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'].slice(0, BATCH_LOG_FIRST));
  batch.flush();
  t.equal(lines.length, 1, 'an empty batch logs nothing');
  batch.add('2001:db8::1', { ip: '2001:db8::1' });
  batch.flush();
  t.match(lines[1], { count: 1, addresses: ['2001:db8::1'] }, 'the next batch starts from zero');
});

t.test('each item is logged at debug', async (t) => {
  const { lines, batch } = capture('debug');
  batch.add('192.0.2.1', { ip: '192.0.2.1', from: 'node-a' });
  batch.add('192.0.2.2', { ip: '192.0.2.2' });
  batch.flush();
  t.same(
    lines.map((l) => [l['level'], l['ip'] ?? l['count']]),
    [
      ['debug', '192.0.2.1'],
      ['debug', '192.0.2.2'],
      ['info', 2],
    ],
  );
});
