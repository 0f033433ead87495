import t from 'tap';
import { cpuSeconds, nodeFlagsArg, statCpuSeconds } from '../../bench/proc.js';

t.test('CPU time is read from a /proc stat line, after a command name that holds spaces and parentheses', async (t) => {
  const stat = '4242 (node (a) b) S 1 4242 4242 0 -1 4194560 1510 0 0 0 731 129 0 0 20 0 11 0 123 1000000 5000 18446744073709551615';
  t.equal(statCpuSeconds(stat), 8.6, 'utime 731 + stime 129 ticks at 100 a second');
  t.equal(statCpuSeconds('4242 (node) S 1 4242'), undefined, 'a cut line has no CPU time');
  t.equal(statCpuSeconds('no command name'), undefined);
});

t.test("this process's CPU time agrees with node's own account of it", async (t) => {
  const before = process.cpuUsage();
  const read = cpuSeconds(process.pid);
  const after = process.cpuUsage();
  t.ok(read !== undefined, 'read from /proc');
  // /proc counts whole 10 ms ticks: allow a few on either side.
  t.ok(read! >= (before.user + before.system) / 1e6 - 0.05, `${read} s is not below node's ${(before.user + before.system) / 1e6} s`);
  t.ok(read! <= (after.user + after.system) / 1e6 + 0.05, `${read} s is not above node's ${(after.user + after.system) / 1e6} s`);
  t.equal(cpuSeconds(2 ** 22 + 1), undefined, 'a pid above the kernel limit has none');
});

t.test('node flags come as one argument, split at spaces', async (t) => {
  t.same(nodeFlagsArg('speaker-flags', ['node', 'run.js', '--soak', '--speaker-flags=--max-opt=1 --trace-gc']), ['--max-opt=1', '--trace-gc']);
  t.same(nodeFlagsArg('speaker-flags', ['node', 'run.js', '--twin-flags=--max-opt=1']), [], 'another name is not taken');
  t.same(nodeFlagsArg('twin-flags', ['node', 'run.js', '--twin-flags=']), []);
});
