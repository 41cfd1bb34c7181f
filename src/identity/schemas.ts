import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { RE2JS } from 're2js';
import { badRequest } from '../platform/errors/errors.js';
import { readIdentityConfig, type IdentitySchemaEntry } from './identity-config.js';

const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

export const PRESET_EMAIL_ID = 'preset://email';

/** The built-in `preset://email` schema: one email trait, password identifier, verifiable, recoverable. */
export const PRESET_EMAIL_SCHEMA = {
  $id: 'https://schemas.ory.sh/presets/kratos/identity.email.schema.json',
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Person',
  type: 'object',
  properties: {
    traits: {
      type: 'object',
      properties: {
        email: {
          type: 'string',
          format: 'email',
          title: 'E-Mail',
          maxLength: 320,
          'ory.sh/kratos': {
            credentials: { password: { identifier: true }, code: { identifier: true, via: 'email' } },
            recovery: { via: 'email' },
            verification: { via: 'email' },
          },
        },
      },
      required: ['email'],
      additionalProperties: false,
    },
  },
} as const;

/** One schema of the project, resolved to its JSON. */
export interface IdentitySchema {
  id: string;
  schema: Record<string, unknown>;
  /** sha256 of the schema's canonical text: the key of its compiled validator. */
  hash: string;
}

/** What the `ory.sh/kratos` extension found in a set of traits. */
export interface TraitExtensions {
  /** Password identifiers, normalized (trimmed, lowercased), unique. */
  passwordIdentifiers: string[];
  /** Code (one-time code) identifiers. */
  codeIdentifiers: string[];
  verifiable: { via: string; value: string }[];
  recovery: { via: string; value: string }[];
}

export type TraitsValidation = { ok: true; extensions: TraitExtensions } | { ok: false; message: string; path: string };

type Collected = { ext: any; value: unknown };
// Ajv validates synchronously, so one module-level sink collects the extension hits of the call in progress.
let sink: Collected[] | null = null;

// Ajv keyword names may not contain '.' or '/', so the extension key is renamed before compiling.
const EXT_KEYWORD = 'x-ory-kratos-ext';

function renameExtension(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(renameExtension);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k === 'ory.sh/kratos' ? EXT_KEYWORD : k] = k === 'ory.sh/kratos' ? v : renameExtension(v);
  return out;
}

const MAX_PATTERN_LENGTH = 1000;

/**
 * The regular-expression engine for project-supplied `pattern` and `patternProperties`: RE2 (re2js),
 * which runs in time linear in the input for every pattern. V8's backtracking engine would let one
 * project's identity schema (`^(a|a)*$`, `(a+)+$`) stall the event loop for every tenant. RE2 is also
 * the engine Kratos validates with (Go's `regexp`), so a pattern means here what it means there; one
 * RE2 cannot run (lookaround, backreferences) or longer than 1,000 characters fails to compile, and
 * the writes that need it are refused with a 400 naming the pattern.
 */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
    try {
      return RE2JS.compile(pattern);
    } catch (err) {
      throw new Error(`pattern ${JSON.stringify(pattern.slice(0, 100))} is not supported (RE2 syntax: no lookaround or backreferences): ${(err as Error).message}`);
    }
  },
  { code: 're2js' },
);

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: false, strict: false, validateSchema: false, coerceTypes: false, useDefaults: false, logger: false, code: { regExp: linearRegExp } });
  addFormats(ajv);
  // Kratos identity schemas commonly use `tel` (phone numbers): E.164-ish, lenient on separators.
  ajv.addFormat('tel', /^\+?[0-9][0-9 ().-]{3,30}$/);
  ajv.addKeyword({
    keyword: EXT_KEYWORD,
    schemaType: 'object',
    errors: false,
    validate: (ext: unknown, data: unknown) => {
      sink?.push({ ext, value: data });
      return true;
    },
  });
  return ajv;
}

const normalizeAddress = (via: string, value: string) => (via === 'email' ? value.trim().toLowerCase() : value.trim());
export const normalizeIdentifier = (value: string) => value.trim().toLowerCase();

/**
 * Resolves a project's identity schemas (from `identity.schemas` of its identity config: `preset://email`,
 * `base64://...`, inline JSON in `url`, or a `schema` object) and validates traits against them. Compiled
 * validators are cached by the schema's content hash in a bounded LRU, so a hot path never compiles.
 */
export class SchemaService {
  private readonly ajv = newAjv();
  private readonly compiled = new LRUCache<string, { validate: ValidateFunction } | { error: string }>({ max: 500 });
  // Resolved schema lists per config object: the project resolver hands out the same parsed object
  // until the config changes, so this is a free memo that never outlives a config revision.
  private readonly resolved = new WeakMap<object, Map<string, IdentitySchema | { error: string }>>();

  /** The configured default schema id (falls back to the first schema, then `preset://email`). */
  defaultSchemaId(identityConfig: unknown): string {
    const id = readIdentityConfig(identityConfig).defaultSchemaId;
    if (id) return id;
    const first = this.entries(identityConfig)[0];
    return first?.id ?? PRESET_EMAIL_ID;
  }

  /** Every schema the project declares, resolved; unloadable ones are skipped. */
  list(identityConfig: unknown): IdentitySchema[] {
    const out: IdentitySchema[] = [];
    for (const { id } of this.entries(identityConfig)) {
      const s = this.resolve(identityConfig, id);
      if (s && !('error' in s)) out.push(s);
    }
    return out;
  }

  /** One schema by id, or null if the project has no such schema (or it cannot be loaded). */
  get(identityConfig: unknown, id: string): IdentitySchema | null {
    const s = this.resolve(identityConfig, id);
    return s && !('error' in s) ? s : null;
  }

  /** Like `get`, but throws 400 for an unknown or unloadable schema id. */
  require(identityConfig: unknown, id: string): IdentitySchema {
    const s = this.resolve(identityConfig, id);
    if (!s) throw badRequest(`The requested identity schema "${id}" does not exist.`);
    if ('error' in s) throw badRequest(`The identity schema "${id}" could not be loaded: ${s.error}`);
    return s;
  }

  /** Validates `traits` against a schema (as Kratos does: the document `{traits}`) and reads the extension. */
  validateTraits(schema: IdentitySchema, traits: unknown): TraitsValidation {
    const v = this.validatorFor(schema);
    if ('error' in v) return { ok: false, message: `the identity schema could not be compiled: ${v.error}`, path: '' };
    const collected: Collected[] = [];
    sink = collected;
    let ok: boolean;
    try {
      ok = v.validate({ traits }) as boolean;
    } catch (err) {
      return { ok: false, message: String((err as Error)?.message ?? err), path: '' };
    } finally {
      sink = null;
    }
    if (!ok) {
      const e = v.validate.errors?.[0];
      const path = (e?.instancePath ?? '').replace(/^\/traits/, '#/traits');
      return { ok: false, message: e ? `${path || '#/traits'}: ${describe(e)}` : 'the traits are invalid', path };
    }
    return { ok: true, extensions: extract(collected) };
  }

  private validatorFor(schema: IdentitySchema): { validate: ValidateFunction } | { error: string } {
    const hit = this.compiled.get(schema.hash);
    if (hit) return hit;
    let entry: { validate: ValidateFunction } | { error: string };
    try {
      // $id and $schema are dropped: many projects reuse one $id, and ajv refuses to register it twice.
      const { $id: _id, $schema: _s, ...rest } = schema.schema as Record<string, unknown>;
      const source = renameExtension(rest) as object;
      const validate = this.ajv.compile(source);
      // Ajv keeps every compiled schema in its own unbounded cache; the LRU above is the only cache
      // wanted, so the entry is dropped at once (the validator keeps working) and evictions free memory.
      this.ajv.removeSchema(source);
      entry = { validate };
    } catch (err) {
      entry = { error: String((err as Error)?.message ?? err).slice(0, 300) };
    }
    this.compiled.set(schema.hash, entry);
    return entry;
  }

  private entries(identityConfig: unknown): IdentitySchemaEntry[] {
    return readIdentityConfig(identityConfig).schemas ?? [{ id: PRESET_EMAIL_ID, url: PRESET_EMAIL_ID }];
  }

  private resolve(identityConfig: unknown, id: string): IdentitySchema | { error: string } | null {
    const key = (identityConfig && typeof identityConfig === 'object' ? identityConfig : {}) as object;
    let memo = this.resolved.get(key);
    if (!memo) {
      memo = new Map();
      this.resolved.set(key, memo);
    }
    const cached = memo.get(id);
    if (cached) return cached;
    const entry = this.entries(identityConfig).find((e) => e.id === id);
    if (!entry) return null;
    const out = loadEntry(entry);
    memo.set(id, out);
    return out;
  }
}

function loadEntry(entry: IdentitySchemaEntry): IdentitySchema | { error: string } {
  let schema: unknown;
  try {
    if (entry.schema && typeof entry.schema === 'object') schema = entry.schema;
    else if (typeof entry.url === 'string') {
      const url = entry.url.trim();
      if (url === PRESET_EMAIL_ID) schema = PRESET_EMAIL_SCHEMA;
      else if (url.startsWith('base64://')) schema = JSON.parse(Buffer.from(url.slice(9), 'base64').toString('utf8'));
      else if (url.startsWith('{')) schema = JSON.parse(url);
      else return { error: `unsupported schema location (use preset://email, base64:// or inline JSON)` };
    } else if (entry.id === PRESET_EMAIL_ID) schema = PRESET_EMAIL_SCHEMA;
    else return { error: 'the schema has no url' };
  } catch {
    return { error: 'the schema is not valid JSON' };
  }
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return { error: 'the schema must be a JSON object' };
  const text = JSON.stringify(schema);
  return { id: entry.id, schema: schema as Record<string, unknown>, hash: createHash('sha256').update(text).digest('hex') };
}

function describe(e: { keyword: string; message?: string; params?: Record<string, any> }): string {
  switch (e.keyword) {
    case 'required':
      return `missing properties: "${e.params?.missingProperty}"`;
    case 'additionalProperties':
      return `additionalProperties "${e.params?.additionalProperty}" not allowed`;
    case 'format':
      return `"${e.params?.format}" is not valid`;
    default:
      return e.message ?? 'is invalid';
  }
}

function extract(collected: Collected[]): TraitExtensions {
  const pw = new Set<string>();
  const code = new Set<string>();
  const verifiable = new Map<string, { via: string; value: string }>();
  const recovery = new Map<string, { via: string; value: string }>();
  for (const { ext, value } of collected) {
    if (!ext || typeof ext !== 'object') continue;
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String);
    for (const raw of values) {
      if (!raw.trim()) continue;
      if (ext.credentials?.password?.identifier === true) pw.add(normalizeIdentifier(raw));
      if (ext.credentials?.code?.identifier === true) code.add(normalizeIdentifier(raw));
      const vvia = ext.verification?.via;
      if (typeof vvia === 'string') {
        const v = normalizeAddress(vvia, raw);
        verifiable.set(`${vvia}\u0000${v}`, { via: vvia, value: v });
      }
      const rvia = ext.recovery?.via;
      if (typeof rvia === 'string') {
        const v = normalizeAddress(rvia, raw);
        recovery.set(`${rvia}\u0000${v}`, { via: rvia, value: v });
      }
    }
  }
  return { passwordIdentifiers: [...pw], codeIdentifiers: [...code], verifiable: [...verifiable.values()], recovery: [...recovery.values()] };
}

/** Kratos' schema URL path segment: the base64url of the schema id. */
export const encodeSchemaId = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

/** Accepts a schema id as sent by clients: raw, or base64url-encoded as in `schema_url`. */
export function schemaIdCandidates(raw: string): string[] {
  const out = [raw];
  if (/^[A-Za-z0-9_-]+$/.test(raw)) {
    const dec = Buffer.from(raw, 'base64url').toString('utf8');
    if (dec && Buffer.from(dec, 'utf8').toString('base64url') === raw) out.push(dec);
  }
  return out;
}

