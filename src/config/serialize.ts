// The model as plain JSON: BigInt ranges as text, timers in milliseconds.
// Used by the golden tests and for `shoal validate` style dumps.

import { formatRange } from '../alloc/range.js';
import type { Config } from './model.js';

export function configToJSON(config: Config): unknown {
  return JSON.parse(
    JSON.stringify(
      {
        ...config,
        pools: config.pools.map((p) => ({ ...p, ranges: p.ranges.map((r) => ({ family: r.family, range: formatRange(r), size: (r.last - r.first + 1n).toString() })) })),
      },
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v === undefined ? null : v),
    ),
  ) as unknown;
}
