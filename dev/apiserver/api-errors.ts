// Errors as the real API server returns them: a metav1 Status object with
// the HTTP code, a machine-readable reason and details. client-node and
// every controller decide what to do from these (conflict: re-read; gone:
// re-list; too many requests: back off), so the double must produce them
// exactly where a real server would.

export type StatusReason =
  | 'BadRequest'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Gone'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'Forbidden'
  | 'Unauthorized'
  | '';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A failed request: thrown inside the double, written to the wire as its Status. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): StatusObject {
    const s: StatusObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** Who an error is about: the qualified resource ("services", "ipaddresspools.metallb.io"). */
export interface Subject {
  group: string;
  resource: string;
  name: string;
}

function qualified(s: Subject): string {
  return s.group === '' ? s.resource : `${s.resource}.${s.group}`;
}

function detailsOf(s: Subject): StatusDetails {
  const d: StatusDetails = { name: s.name, kind: s.resource };
  if (s.group !== '') d.group = s.group;
  return d;
}

export function notFound(s: Subject): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(s)} "${s.name}" not found`, detailsOf(s));
}

export function alreadyExists(s: Subject): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(s)} "${s.name}" already exists`, detailsOf(s));
}

export function conflict(s: Subject, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(s)} "${s.name}": ${why}`, detailsOf(s));
}

export const staleObject = 'the object has been modified; please apply your changes to the latest version and try again';

export interface FieldError {
  /** Path as the API prints it: "spec.ports[0].port". */
  field: string;
  /** FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong. */
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden' | 'FieldValueTooLong';
  detail: string;
}

const typeText: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
};

export function fieldErrorText(e: FieldError): string {
  const head = typeText[e.type];
  return e.detail ? `${e.field}: ${head}: ${e.detail}` : `${e.field}: ${head}`;
}

/** 422 Invalid, as the server returns it for a failed validation. */
export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): ApiError {
  const list = errors.map(fieldErrorText);
  const summary = list.length === 1 ? list[0]! : `[${list.join(', ')}]`;
  const details: StatusDetails = {
    name,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail ? `${typeText[e.type]}: ${e.detail}` : typeText[e.type], field: e.field })),
  };
  if (group !== '') details.group = group;
  return new ApiError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${summary}`, details);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(verb: string, what: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb} ${what})`);
}

/** The answer for a path the server does not serve, e.g. a CRD that is not installed. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType || 'none'}) - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** Watch or list from a resourceVersion older than the kept history. */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: '', message }] });
}

/** The canonical reason for a bare HTTP code, used by fault injection. */
export function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 405: return 'MethodNotAllowed';
    case 409: return 'Conflict';
    case 410: return 'Expired';
    case 413: return 'RequestEntityTooLarge';
    case 415: return 'UnsupportedMediaType';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 500: return 'InternalError';
    case 503: return 'ServiceUnavailable';
    case 504: return 'Timeout';
    default: return '';
  }
}
