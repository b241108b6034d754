/**
 * The two text helpers every HTML page of the core uses (the report and the
 * multi-run documents): escaping and coordinates.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A coordinate rounded to a tenth of a pixel: short, stable output (`-0` prints as `0`). */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}
