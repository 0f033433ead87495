// Echoing untrusted text back (in errors, logs, HTTP answers): quoted, and
// cut short, so a 50 MB value makes a short line, not a 50 MB one.

export const QUOTE_CHARS = 80;

export function quote(s: string, max = QUOTE_CHARS): string {
  return s.length > max ? `${JSON.stringify(s.slice(0, max))}... (${s.length} characters)` : JSON.stringify(s);
}
