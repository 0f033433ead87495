// Structured logs: one JSON object per line on stderr, so that a node's
// journal or `kubectl logs` can be filtered with jq. Levels follow the usual
// debug < info < warn < error order; SHOAL_LOG_LEVEL picks the threshold.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

export function parseLogLevel(s: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  return s === 'debug' || s === 'info' || s === 'warn' || s === 'error' ? s : fallback;
}

export function createLogger(opts: {
  level?: LogLevel;
  sink?: LogSink;
  fields?: LogFields;
  now?: () => Date;
} = {}): Logger {
  const level = opts.level ?? parseLogLevel(process.env['SHOAL_LOG_LEVEL']);
  const sink = opts.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = opts.fields ?? {};
  const now = opts.now ?? (() => new Date());
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (rank[lvl] < rank[level]) return;
    const rec: LogFields = { ts: now().toISOString(), level: lvl, msg, ...base, ...fields };
    sink(JSON.stringify(rec, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, sink, now, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything: for tests and simulations. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out['code'] = code;
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
