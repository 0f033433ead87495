// The model as plain JSON: BigInt ranges as text, timers in milliseconds.
// Used by the golden tests and for `shoal validate` style dumps.

import { formatRange } from '../net/index.js';
import type { Config } from './model.js';

export function configToJSON(config: Config): unknown {
  // The pool index is derived from the pools: nothing of its own to show.
  const { poolIndex: _derived, ...model } = config;
  return JSON.parse(
    JSON.stringify(
      {
        ...model,
        pools: config.pools.map((p) => ({ ...p, ranges: p.ranges.map((r) => ({ family: r.family, range: formatRange(r), size: (r.last - r.first + 1n).toString() })) })),
      },
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v === undefined ? null : v),
    ),
  ) as unknown;
}
