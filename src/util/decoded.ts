// What every decoder of untrusted bytes returns: the value, or a typed error
// that says what was wrong and where (each codec's error type carries a
// stable code; BGP's also the NOTIFICATION to send). Decoders never throw on
// bad input, so a receive loop checks `ok`, counts the error by its code and
// drops the input.

export type Decoded<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function decoded<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function refused<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
