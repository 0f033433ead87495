import t from 'tap';
import { ApiException } from '@kubernetes/client-node';
import { describeApiError, isAlreadyExists, isConflict, isGone, isNotFound, isRetryable } from '../../src/kube/errors.js';

const status = (code: number, reason: string, extra: object = {}): string =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `m ${reason}`, reason, code, ...extra });

t.test('ApiException from the typed APIs', async (t) => {
  const conflict = new ApiException(409, 'Unknown API Status Code!', status(409, 'Conflict'), {});
  t.same(describeApiError(conflict), { status: 409, reason: 'Conflict', message: 'm Conflict', network: false });
  t.ok(isConflict(conflict));
  t.notOk(isRetryable(conflict), 'a conflict is re-read, not blindly retried');
  const exists = new ApiException(409, 'x', status(409, 'AlreadyExists'), {});
  t.ok(isAlreadyExists(exists));
  t.notOk(isConflict(exists), 'AlreadyExists is not a write conflict');
  t.ok(isNotFound(new ApiException(404, 'x', status(404, 'NotFound'), {})));
  t.ok(isGone(new ApiException(410, 'x', status(410, 'Expired'), {})));
  const throttled = new ApiException(429, 'x', status(429, 'TooManyRequests', { details: { retryAfterSeconds: 3 } }), {});
  t.equal(describeApiError(throttled).retryAfterSeconds, 3);
  t.ok(isRetryable(throttled));
  const header = new ApiException(503, 'x', 'not json', { 'retry-after': '9' });
  t.match(describeApiError(header), { status: 503, retryAfterSeconds: 9, reason: undefined });
  t.ok(isRetryable(header));
  t.notOk(isRetryable(new ApiException(422, 'x', status(422, 'Invalid'), {})));
  t.notOk(isRetryable(new ApiException(403, 'x', status(403, 'Forbidden'), {})));
});

t.test('Watch errors and connection failures', async (t) => {
  const watchErr = Object.assign(new Error('Gone'), { statusCode: 410 });
  t.ok(isGone(watchErr));
  const refused = Object.assign(new Error('request to http://127.0.0.1:1/ failed, reason: connect ECONNREFUSED'), { code: 'ECONNREFUSED', type: 'system' });
  t.match(describeApiError(refused), { status: undefined, network: true });
  t.ok(isRetryable(refused));
  t.ok(isRetryable(new Error('Premature close')));
  t.notOk(isRetryable(new TypeError('x is not a function')), 'programming errors are not retried');
  t.notOk(isRetryable(undefined));
});
