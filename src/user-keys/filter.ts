// A subset of AIP-160 list filters: comparisons joined by AND, e.g.
//   actor_id = "user_42" AND status = KEY_STATUS_ACTIVE AND create_time > "2026-01-01T00:00:00Z"
// Fields: actor_id, name, key_id, visibility (= and !=; name also takes a trailing `*` as a prefix
// match), status (= and !=), create_time and expire_time (= != < <= > >=, RFC 3339 values).
// Anything else (OR, NOT, parentheses, functions, unknown fields) is refused with a reason: a list
// that silently ignored part of a filter would return keys the caller meant to exclude.

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type FilterField = 'actor_id' | 'name' | 'key_id' | 'visibility' | 'status' | 'create_time' | 'expire_time';

export type Condition =
  | { field: 'actor_id' | 'name' | 'key_id' | 'visibility'; op: '=' | '!='; value: string; prefix?: boolean }
  | { field: 'status'; op: '=' | '!='; value: 'KEY_STATUS_ACTIVE' | 'KEY_STATUS_REVOKED' | 'KEY_STATUS_EXPIRED' }
  | { field: 'create_time' | 'expire_time'; op: FilterOp; value: string };

const TEXT_FIELDS = new Set(['actor_id', 'name', 'key_id', 'visibility']);
const TIME_FIELDS = new Set(['create_time', 'expire_time']);
const STATUSES = new Set(['KEY_STATUS_ACTIVE', 'KEY_STATUS_REVOKED', 'KEY_STATUS_EXPIRED']);
const MAX_FILTER_LENGTH = 1024;
const MAX_CONDITIONS = 16;

type Token = { kind: 'word' | 'string' | 'op'; text: string };

function tokenize(filter: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i];
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < filter.length && filter[j] !== c) {
        if (filter[j] === '\\' && j + 1 < filter.length) j++;
        text += filter[j++];
      }
      if (j >= filter.length) return 'the filter has an unterminated string';
      tokens.push({ kind: 'string', text });
      i = j + 1;
      continue;
    }
    const op = /^(!=|<=|>=|=|<|>|:)/.exec(filter.slice(i));
    if (op) { tokens.push({ kind: 'op', text: op[1] }); i += op[1].length; continue; }
    const word = /^[A-Za-z0-9_.*+-]+/.exec(filter.slice(i));
    if (!word) return `the filter has an unexpected character ${JSON.stringify(c)} at position ${i + 1}`;
    tokens.push({ kind: 'word', text: word[0] });
    i += word[0].length;
  }
  return tokens;
}

/** Parses a filter into conditions (all must hold), or returns the reason it is not one this server reads. */
export function parseFilter(filter: string | undefined): Condition[] | string {
  if (filter === undefined || filter.trim() === '') return [];
  if (filter.length > MAX_FILTER_LENGTH) return `the filter must be at most ${MAX_FILTER_LENGTH} characters`;
  const tokens = tokenize(filter);
  if (typeof tokens === 'string') return tokens;
  const conditions: Condition[] = [];
  let i = 0;
  for (;;) {
    const [f, o, v] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (!f || f.kind !== 'word') return 'the filter must be comparisons such as actor_id = "user_42", joined by AND';
    if (f.text === 'OR' || f.text === 'NOT') return `the filter operator ${f.text} is not supported; join comparisons with AND`;
    const field = f.text;
    if (!TEXT_FIELDS.has(field) && !TIME_FIELDS.has(field) && field !== 'status') return `the filter field ${JSON.stringify(field)} is not supported (actor_id, name, key_id, visibility, status, create_time, expire_time)`;
    if (!o || o.kind !== 'op' || o.text === ':') return `the filter needs a comparison operator after ${field}`;
    if (!v || v.kind === 'op') return `the filter needs a value after ${field} ${o.text}`;
    const op = o.text as FilterOp;
    if (TIME_FIELDS.has(field)) {
      const ms = Date.parse(v.text);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(v.text) || Number.isNaN(ms)) return `${field} must be compared with an RFC 3339 time such as "2026-01-01T00:00:00Z"`;
      conditions.push({ field: field as 'create_time', op, value: new Date(ms).toISOString() });
    } else {
      if (op !== '=' && op !== '!=') return `${field} can only be compared with = or !=`;
      if (field === 'status') {
        if (!STATUSES.has(v.text)) return 'status must be KEY_STATUS_ACTIVE, KEY_STATUS_REVOKED or KEY_STATUS_EXPIRED';
        conditions.push({ field: 'status', op, value: v.text as 'KEY_STATUS_ACTIVE' });
      } else {
        const prefix = field === 'name' && op === '=' && v.text.endsWith('*');
        const value = prefix ? v.text.slice(0, -1) : v.text;
        if (value.length > 256) return `${field} values must be at most 256 characters`;
        conditions.push({ field: field as 'name', op, value, ...(prefix ? { prefix: true } : {}) });
      }
    }
    if (conditions.length > MAX_CONDITIONS) return `the filter may have at most ${MAX_CONDITIONS} comparisons`;
    i += 3;
    if (i >= tokens.length) return conditions;
    if (tokens[i].kind !== 'word' || tokens[i].text !== 'AND') return tokens[i].text === 'OR' ? 'the filter operator OR is not supported; join comparisons with AND' : 'the filter must join comparisons with AND';
    i++;
  }
}
