/**
 * A project's own courier templates (`courier.templates.{recovery_code,verification_code}.valid.email`,
 * Kratos's keys): `subject`, `body.plaintext` and `body.html`, each given as `base64://…` as Ory
 * Network stores them. The placeholders are Go template fields as Kratos documents them:
 * `{{ .To }}`, `{{ .RecoveryCode }}`, `{{ .VerificationCode }}`, `{{ .Identity.traits.email }}`…,
 * with `{{-`/`-}}` trimming. Other template actions (`if`, `range`, pipelines) are refused when the
 * config is written, so a template never fails or shows half its text at send time. HTML bodies have
 * every value HTML-escaped.
 */

/** The message types that can have a template, by their Kratos config key. */
export const TEMPLATE_KEYS: Record<string, string> = {
  recovery_code_valid: 'recovery_code',
  verification_code_valid: 'verification_code',
};

/** What a template's placeholders may name, by template type (Kratos's template models). */
const FIELDS: Record<string, readonly string[]> = {
  recovery_code: ['To', 'RecoveryCode', 'Identity', 'RequestURL'],
  verification_code: ['To', 'VerificationCode', 'VerificationURL', 'Identity', 'RequestURL'],
};

export interface RenderedMessage {
  subject: string;
  body: string;
  html: string | null;
}

const ACTION = /\{\{(-?)\s*([^}]*?)\s*(-?)\}\}/g;
const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)$/;
const MAX_TEMPLATE = 64 * 1024;

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The text of a template value (`base64://…`), or why it is not one. */
function decode(value: unknown, at: string): string | { problem: string } {
  if (typeof value !== 'string') return { problem: `${at} must be a string (base64://…).` };
  if (!value.startsWith('base64://')) return { problem: `${at} must be given as base64://… (Gatehouse loads no templates from files or URLs).` };
  const b64 = value.slice('base64://'.length);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) return { problem: `${at} is not valid base64.` };
  const text = Buffer.from(b64, 'base64').toString('utf8');
  if (text.length > MAX_TEMPLATE) return { problem: `${at} is longer than 64 KiB.` };
  return text;
}

/** Why `text` uses something other than the fields of `key`'s template, or null. */
function placeholderProblem(text: string, key: string, at: string): string | null {
  for (const m of text.matchAll(ACTION)) {
    const field = FIELD.exec(m[2]);
    if (!field) return `${at}: "{{ ${m[2]} }}" is not a field; Gatehouse templates take fields such as {{ .To }} only (no if, range or pipelines).`;
    if (!FIELDS[key].includes(field[1])) return `${at}: {{ .${field[1]} }} is not a field of ${key} messages (${FIELDS[key].map((f) => `.${f}`).join(', ')}).`;
  }
  const rest = text.replace(ACTION, '');
  if (rest.includes('{{')) return `${at}: a "{{" is not closed.`;
  return null;
}

/** Why the templates of an identity config cannot be used, or null. */
export function templatesProblem(identityConfig: unknown): string | null {
  const templates = obj(obj(obj(identityConfig).courier).templates);
  for (const [key, raw] of Object.entries(templates)) {
    const at = `services.identity.config.courier.templates.${key}`;
    if (!FIELDS[key]) return `${at}: Gatehouse sends ${Object.keys(FIELDS).join(' and ')} messages; there is no ${key} template.`;
    for (const [variant, v] of Object.entries(obj(raw))) {
      if (variant !== 'valid') return `${at}.${variant}: only the "valid" template is sent (Gatehouse sends nothing to unknown addresses).`;
      const email = obj(obj(v).email);
      const parts: [string, unknown][] = [['subject', email.subject], ['body.plaintext', obj(email.body).plaintext], ['body.html', obj(email.body).html]];
      for (const [name, value] of parts) {
        if (value === undefined) continue;
        const text = decode(value, `${at}.valid.email.${name}`);
        if (typeof text !== 'string') return text.problem;
        const problem = placeholderProblem(text, key, `${at}.valid.email.${name}`);
        if (problem) return problem;
      }
    }
  }
  return null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const ACTION_WITH_SPACE = /(\s*)\{\{(-?)\s*([^}]*?)\s*(-?)\}\}(\s*)/g;

/**
 * Fills a template checked by `templatesProblem`. Go's `{{-` and `-}}` drop the white space before
 * and after an action; a field that is not there renders as Go does, `<no value>`.
 */
function render(text: string, data: Record<string, unknown>, html: boolean): string {
  return text.replace(ACTION_WITH_SPACE, (_all, before: string, trimBefore: string, expr: string, trimAfter: string, after: string) => {
    const field = FIELD.exec(expr);
    let shown = '';
    if (field) {
      let v: unknown = data[field[1]];
      for (const part of field[2].split('.').filter(Boolean)) v = obj(v)[part];
      shown = v === undefined || v === null ? '<no value>' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    return (trimBefore ? '' : before) + (html ? escapeHtml(shown) : shown) + (trimAfter ? '' : after);
  });
}

/**
 * The message of `templateType` for `data` with the project's template where it has one, the
 * default text (`fallback`) where it does not.
 */
export function renderMessage(identityConfig: unknown, templateType: string, data: Record<string, unknown>, fallback: { subject: string; body: string }): RenderedMessage {
  const key = TEMPLATE_KEYS[templateType];
  const email = key ? obj(obj(obj(obj(obj(obj(identityConfig).courier).templates)[key]).valid).email) : {};
  const part = (value: unknown, html: boolean): string | null => {
    if (value === undefined) return null;
    const text = decode(value, '');
    return typeof text === 'string' ? render(text, data, html) : null;
  };
  return {
    subject: (part(email.subject, false) ?? fallback.subject).replace(/[\r\n]+/g, ' ').trim(),
    body: part(obj(email.body).plaintext, false) ?? fallback.body,
    html: part(obj(email.body).html, true),
  };
}
