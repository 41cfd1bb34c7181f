import type { TraitField } from './ui.js';

/** A submitted flow body: a JSON object or a parsed HTML form (values may repeat as arrays). */
export type Body = Record<string, unknown>;

/** Normalises whatever arrived (JSON, form object, text, nothing) to an object; never throws. */
export function asBody(raw: unknown): Body {
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Body) : {};
}

/** A string field: the value if it is a string (the first one of a repeated form field), else undefined. */
export function field(body: Body, name: string, maxLength = 4096): string | undefined {
  let v = body[name];
  if (Array.isArray(v)) v = v.find((x) => typeof x === 'string');
  return typeof v === 'string' && v.length <= maxLength ? v : undefined;
}

/** True when the field is present but not a usable string (wrong type or too long). */
export function badField(body: Body, name: string, maxLength = 4096): boolean {
  return body[name] !== undefined && field(body, name, maxLength) === undefined;
}

/**
 * The traits of a submission: the `traits` object of a JSON body, or the `traits.a.b` fields of a
 * form (coerced to the schema's types, since forms only carry text).
 */
export function traitsFrom(body: Body, fields: TraitField[]): Record<string, unknown> | undefined {
  if (body.traits !== undefined) {
    return body.traits && typeof body.traits === 'object' && !Array.isArray(body.traits) ? (body.traits as Record<string, unknown>) : undefined;
  }
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [key, raw] of Object.entries(body)) {
    if (!key.startsWith('traits.')) continue;
    const path = key.slice('traits.'.length).split('.');
    if (path.some((p) => !p || p === '__proto__' || p === 'constructor' || p === 'prototype') || path.length > 8) continue;
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const f = fields.find((x) => x.name === key);
    let v: unknown = value;
    if (typeof value === 'string' && f?.type === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) v = Number(value);
    if (typeof value === 'string' && f?.type === 'checkbox') v = value === 'true' || value === 'on';
    if (typeof value === 'string' && value === '' && !f?.required) continue;
    let cur = out;
    for (const p of path.slice(0, -1)) {
      if (!cur[p] || typeof cur[p] !== 'object') cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[path[path.length - 1]] = v;
    any = true;
  }
  return any ? out : {};
}
