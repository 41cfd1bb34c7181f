// The Ory Permission Language (OPL): a small TypeScript subset that declares namespaces, their
// relations (`related`) and their permission rules (`permits`). A hand-written tokenizer and
// recursive-descent parser turn the source into an AST with source positions; a second pass checks
// names and types. Grammar (what Ory Keto accepts, minus decorative TypeScript):
//
//   file      := ( import | 'export'? class | ';' )* EOF
//   import    := 'import' ( '{' ident (',' ident)* ','? '}' | ident | '*' 'as' ident ) 'from' STRING ';'?
//   class     := 'class' IDENT 'implements' 'Namespace' '{' member* '}'
//   member    := 'related' ':' '{' ( IDENT ':' type (';'|',')? )* '}' ';'?
//              | 'permits' '=' '{' ( permit (',' permit)* ','? )? '}' ';'?
//   type      := 'Array' '<' union '>' | ( '(' union ')' | ref ) '[' ']'
//   union     := ref ( '|' ref )*
//   ref       := IDENT | 'SubjectSet' '<' IDENT ',' STRING '>'
//   permit    := IDENT ':' '(' IDENT ( ':' IDENT )? ')' ( ':' IDENT )? '=>' expr
//   expr      := and ( '||' and )*          and := unary ( '&&' unary )*
//   unary     := '!' unary | '(' expr ')' | 'this' '.' access
//   access    := 'related' '.' IDENT '.' ( 'includes' '(' ctx '.' 'subject' ','? ')' | 'traverse' '(' lambda ','? ')' )
//              | 'permits' '.' IDENT '(' ctx ','? ')'
//   lambda    := ( IDENT | '(' IDENT ( ':' IDENT )? ')' ) '=>' ( '(' body ')' | body )
//   body      := IDENT '.' ( 'related' '.' IDENT '.' 'includes' '(' ctx '.' 'subject' ')' | 'permits' '.' IDENT '(' ctx ')' )
//
// Positions: `Line` is 1-based, `column` is 0-based (as Keto reports them).

export interface SourcePosition {
  Line: number;
  column: number;
}

export interface OplError {
  message: string;
  start: SourcePosition;
  end: SourcePosition;
}

/** A permission rule, evaluated by the check engine. */
export type Rewrite =
  | { op: 'or' | 'and'; children: Rewrite[] }
  | { op: 'not'; child: Rewrite }
  /** `this.related.R.includes(ctx.subject)` or `this.permits.P(ctx)`: relation R/P of the same object. */
  | { op: 'computed'; relation: string; kind: 'related' | 'permits' }
  /** `this.related.R.traverse(x => x.permits.P(ctx))`: P on every object R points to. */
  | { op: 'traverse'; relation: string; computed: string; kind: 'related' | 'permits' };

export interface TypeRef {
  namespace: string;
  /** Set for `SubjectSet<Namespace, "relation">`. */
  relation?: string;
}

export interface NamespaceDecl {
  name: string;
  relations: Map<string, TypeRef[]>;
  permits: Map<string, Rewrite>;
}

export interface OplResult {
  namespaces: NamespaceDecl[];
  errors: OplError[];
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'ident' | 'string' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  value: string;
  start: SourcePosition;
  end: SourcePosition;
}

class SyntaxFailure extends Error {
  constructor(readonly error: OplError) {
    super(error.message);
  }
}

const PUNCT3 = new Set(['===']);
const PUNCT2 = new Set(['=>', '||', '&&', '==']);
const PUNCT1 = new Set(['{', '}', '(', ')', '[', ']', '<', '>', ',', ';', ':', '.', '=', '|', '!', '*', '?']);

/** Splits OPL source into tokens; comments and whitespace are dropped. Throws SyntaxFailure. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let col = 0;
  const pos = (): SourcePosition => ({ Line: line, column: col });
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) {
      if (src.charCodeAt(i) === 10) {
        line++;
        col = 0;
      } else col++;
      i++;
    }
  };
  const fail = (message: string, start: SourcePosition): never => {
    throw new SyntaxFailure({ message, start, end: pos() });
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\ufeff' || c === '\u00a0') {
      advance(1);
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') advance(1);
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const start = pos();
      const endAt = src.indexOf('*/', i + 2);
      if (endAt < 0) fail('unclosed comment', start);
      advance(endAt + 2 - i);
      continue;
    }
    const start = pos();
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_$]/.test(src[j])) j++;
      const value = src.slice(i, j);
      advance(j - i);
      tokens.push({ kind: 'ident', value, start, end: pos() });
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\n') break;
        if (src[j] === '\\' && j + 1 < src.length) {
          value += src[j + 1];
          j += 2;
          continue;
        }
        value += src[j];
        j++;
      }
      if (src[j] !== c) {
        advance(j - i);
        fail('unclosed string literal', start);
      }
      advance(j + 1 - i);
      tokens.push({ kind: 'string', value, start, end: pos() });
      continue;
    }
    const three = src.slice(i, i + 3);
    const two = src.slice(i, i + 2);
    const value = PUNCT3.has(three) ? three : PUNCT2.has(two) ? two : PUNCT1.has(c) ? c : null;
    if (value === null) {
      advance(1);
      fail(`unexpected character ${JSON.stringify(c)}`, start);
    }
    advance(value!.length);
    tokens.push({ kind: 'punct', value: value!, start, end: pos() });
  }
  tokens.push({ kind: 'eof', value: '', start: pos(), end: pos() });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

const MAX_NESTING = 64;
/** Largest OPL source accepted (characters). */
export const MAX_OPL_LENGTH = 256 * 1024;

interface Positioned<T> {
  value: T;
  start: SourcePosition;
  end: SourcePosition;
}

interface ParsedClass {
  name: Positioned<string>;
  relations: { name: Positioned<string>; types: Positioned<TypeRef>[] }[];
  permits: { name: Positioned<string>; rewrite: Rewrite; refs: RewriteRef[] }[];
}

/** A name used inside a rule, kept with its position for the semantic checks. */
type RewriteRef =
  | { kind: 'related' | 'permits'; name: Positioned<string> }
  | { kind: 'traverse'; relation: Positioned<string>; targetKind: 'related' | 'permits'; target: Positioned<string> };

class Parser {
  private p = 0;
  private nesting = 0;
  private refs: RewriteRef[] = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.p + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.p++;
    return t;
  }

  private is(value: string, offset = 0): boolean {
    const t = this.peek(offset);
    return (t.kind === 'punct' || t.kind === 'ident') && t.value === value;
  }

  private fail(message: string, t: Token = this.peek()): never {
    throw new SyntaxFailure({ message, start: t.start, end: t.end });
  }

  private describe(t: Token): string {
    return t.kind === 'eof' ? 'end of input' : t.kind === 'string' ? `string ${JSON.stringify(t.value)}` : `"${t.value}"`;
  }

  private expect(value: string): Token {
    const t = this.peek();
    if ((t.kind === 'punct' || t.kind === 'ident') && t.value === value) return this.next();
    return this.fail(`expected "${value}", got ${this.describe(t)}`);
  }

  private ident(what = 'identifier'): Positioned<string> {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(`expected ${what}, got ${this.describe(t)}`);
    this.next();
    return { value: t.value, start: t.start, end: t.end };
  }

  private optional(value: string): boolean {
    if (this.is(value)) {
      this.next();
      return true;
    }
    return false;
  }

  parseFile(): ParsedClass[] {
    const classes: ParsedClass[] = [];
    while (this.peek().kind !== 'eof') {
      if (this.optional(';')) continue;
      if (this.is('import')) {
        this.parseImport();
        continue;
      }
      this.optional('export');
      if (this.is('class')) {
        classes.push(this.parseClass());
        continue;
      }
      this.fail(`expected "class" or "import", got ${this.describe(this.peek())}`);
    }
    return classes;
  }

  private parseImport(): void {
    this.expect('import');
    if (this.optional('{')) {
      if (!this.is('}')) {
        this.ident();
        while (this.optional(',')) {
          if (this.is('}')) break;
          this.ident();
        }
      }
      this.expect('}');
    } else if (this.optional('*')) {
      this.expect('as');
      this.ident();
    } else {
      this.ident();
    }
    this.expect('from');
    if (this.peek().kind !== 'string') this.fail(`expected a module name string, got ${this.describe(this.peek())}`);
    this.next();
    this.optional(';');
  }

  private parseClass(): ParsedClass {
    this.expect('class');
    const name = this.ident('class name');
    this.expect('implements');
    const iface = this.peek();
    if (iface.kind !== 'ident' || iface.value !== 'Namespace') this.fail(`expected "Namespace", got ${this.describe(iface)}`);
    this.next();
    this.expect('{');
    const cls: ParsedClass = { name, relations: [], permits: [] };
    while (!this.is('}')) {
      if (this.optional(';')) continue;
      const t = this.peek();
      if (t.kind === 'ident' && t.value === 'related') {
        this.next();
        this.optional('?');
        this.expect(':');
        this.parseRelated(cls);
      } else if (t.kind === 'ident' && t.value === 'permits') {
        this.next();
        this.expect('=');
        this.parsePermits(cls);
      } else {
        this.fail(`expected "related" or "permits", got ${this.describe(t)}`);
      }
    }
    this.expect('}');
    return cls;
  }

  private parseRelated(cls: ParsedClass): void {
    this.expect('{');
    while (!this.is('}')) {
      const name = this.ident('relation name');
      this.optional('?');
      this.expect(':');
      const types = this.parseRelationType();
      cls.relations.push({ name, types });
      if (!this.optional(';')) this.optional(',');
    }
    this.expect('}');
    this.optional(';');
  }

  private parseRelationType(): Positioned<TypeRef>[] {
    if (this.is('Array') && this.is('<', 1)) {
      this.next();
      this.next();
      const types = this.parseUnion();
      this.expect('>');
      return types;
    }
    let types: Positioned<TypeRef>[];
    if (this.optional('(')) {
      types = this.parseUnion();
      this.expect(')');
    } else {
      types = [this.parseTypeRef()];
    }
    if (!this.is('[')) this.fail(`expected "[]" after the relation's type, got ${this.describe(this.peek())}`);
    this.next();
    this.expect(']');
    return types;
  }

  private parseUnion(): Positioned<TypeRef>[] {
    const types = [this.parseTypeRef()];
    while (this.optional('|')) types.push(this.parseTypeRef());
    return types;
  }

  private parseTypeRef(): Positioned<TypeRef> {
    const t = this.peek();
    if (t.kind === 'ident' && t.value === 'SubjectSet') {
      this.next();
      this.expect('<');
      const ns = this.ident('namespace name');
      this.expect(',');
      const rel = this.peek();
      if (rel.kind !== 'string') this.fail(`expected the relation name as a string, got ${this.describe(rel)}`);
      this.next();
      const close = this.expect('>');
      return { value: { namespace: ns.value, relation: rel.value }, start: t.start, end: close.end };
    }
    const ns = this.ident('namespace name');
    return { value: { namespace: ns.value }, start: ns.start, end: ns.end };
  }

  private parsePermits(cls: ParsedClass): void {
    this.expect('{');
    while (!this.is('}')) {
      const name = this.ident('permission name');
      this.expect(':');
      this.expect('(');
      const ctx = this.ident('context parameter name');
      if (this.optional(':')) this.ident('type name');
      this.expect(')');
      if (this.optional(':')) this.ident('type name');
      this.expect('=>');
      this.refs = [];
      this.nesting = 0;
      const rewrite = this.parseOr(ctx.value);
      cls.permits.push({ name, rewrite, refs: this.refs });
      if (!this.optional(',')) break;
    }
    this.expect('}');
    this.optional(';');
  }

  private parseOr(ctx: string): Rewrite {
    return this.parseChain('||', 'or', () => this.parseAnd(ctx));
  }

  private parseAnd(ctx: string): Rewrite {
    return this.parseChain('&&', 'and', () => this.parseUnary(ctx));
  }

  /** `operand (operator operand)*`: the operand alone, or the `op` of all of them. */
  private parseChain(operator: '||' | '&&', op: 'or' | 'and', operand: () => Rewrite): Rewrite {
    const first = operand();
    if (!this.is(operator)) return first;
    const children = [first];
    while (this.optional(operator)) children.push(operand());
    return { op, children };
  }

  private parseUnary(ctx: string): Rewrite {
    if (++this.nesting > MAX_NESTING) this.fail(`expression nested more than ${MAX_NESTING} levels deep`);
    try {
      if (this.optional('!')) return { op: 'not', child: this.parseUnary(ctx) };
      if (this.optional('(')) {
        const inner = this.parseOr(ctx);
        this.expect(')');
        return inner;
      }
      const t = this.peek();
      if (t.kind === 'ident' && t.value === 'this') {
        this.next();
        this.expect('.');
        return this.parseAccess('this', ctx);
      }
      return this.fail(`expected "this", "(" or "!", got ${this.describe(t)}`);
    } finally {
      this.nesting--;
    }
  }

  /** After `this.` (or `x.` inside a traverse lambda). */
  private parseAccess(self: string, ctx: string): Rewrite {
    const t = this.peek();
    if (t.kind === 'ident' && t.value === 'related') {
      this.next();
      this.expect('.');
      const relation = this.ident('relation name');
      this.expect('.');
      const method = this.peek();
      if (method.kind === 'ident' && method.value === 'includes') {
        this.next();
        this.expect('(');
        this.parseCtxSubject(ctx);
        this.optional(',');
        this.expect(')');
        if (self === 'this') this.refs.push({ kind: 'related', name: relation });
        return { op: 'computed', relation: relation.value, kind: 'related' };
      }
      if (method.kind === 'ident' && method.value === 'traverse' && self === 'this') {
        this.next();
        this.expect('(');
        const target = this.parseLambda(ctx);
        this.optional(',');
        this.expect(')');
        this.refs.push({ kind: 'traverse', relation, targetKind: target.kind, target: target.name });
        return { op: 'traverse', relation: relation.value, computed: target.name.value, kind: target.kind };
      }
      return this.fail(self === 'this' ? `expected "includes" or "traverse", got ${this.describe(method)}` : `expected "includes", got ${this.describe(method)}`, method);
    }
    if (t.kind === 'ident' && t.value === 'permits') {
      this.next();
      this.expect('.');
      const name = this.ident('permission name');
      this.expect('(');
      const arg = this.ident('context');
      if (arg.value !== ctx) this.fail(`expected the context parameter "${ctx}", got "${arg.value}"`, { kind: 'ident', value: arg.value, start: arg.start, end: arg.end });
      this.optional(',');
      this.expect(')');
      if (self === 'this') this.refs.push({ kind: 'permits', name });
      return { op: 'computed', relation: name.value, kind: 'permits' };
    }
    return this.fail(`expected "related" or "permits", got ${this.describe(t)}`);
  }

  private parseCtxSubject(ctx: string): void {
    const c = this.ident('context');
    if (c.value !== ctx) this.fail(`expected the context parameter "${ctx}", got "${c.value}"`, { kind: 'ident', value: c.value, start: c.start, end: c.end });
    this.expect('.');
    const s = this.peek();
    if (s.kind !== 'ident' || s.value !== 'subject') this.fail(`expected "subject", got ${this.describe(s)}`);
    this.next();
  }

  private parseLambda(ctx: string): { kind: 'related' | 'permits'; name: Positioned<string> } {
    let param: Positioned<string>;
    if (this.optional('(')) {
      param = this.ident('parameter name');
      if (this.optional(':')) this.ident('type name');
      this.expect(')');
    } else {
      param = this.ident('parameter name');
    }
    if (param.value === ctx) this.fail(`the traverse parameter must not shadow the context "${ctx}"`);
    this.expect('=>');
    const parens = this.optional('(');
    const self = this.ident(`"${param.value}"`);
    if (self.value !== param.value) this.fail(`expected "${param.value}", got "${self.value}"`, { kind: 'ident', value: self.value, start: self.start, end: self.end });
    this.expect('.');
    const before = this.p;
    const rewrite = this.parseAccess(param.value, ctx);
    if (parens) this.expect(')');
    const nameTok = this.tokens[before + 2];
    if (rewrite.op !== 'computed') this.fail('expected a relation or permission of the traversed object');
    return { kind: rewrite.kind, name: { value: rewrite.relation, start: nameTok.start, end: nameTok.end } };
  }
}

// ---------------------------------------------------------------------------------------------
// Semantic checks and the public entry point

/**
 * Parses OPL source into namespace declarations. Never throws: syntax errors (the first one stops
 * the parse) and name/type errors (all of them) are returned in `errors`, each with its position.
 */
export function parseOpl(src: string): OplResult {
  if (src.length > MAX_OPL_LENGTH) {
    return { namespaces: [], errors: [{ message: `the OPL source exceeds ${MAX_OPL_LENGTH} characters`, start: { Line: 1, column: 0 }, end: { Line: 1, column: 0 } }] };
  }
  let classes: ParsedClass[];
  try {
    classes = new Parser(tokenize(src)).parseFile();
  } catch (err) {
    if (err instanceof SyntaxFailure) return { namespaces: [], errors: [err.error] };
    throw err;
  }
  const errors: OplError[] = [];
  const err = (message: string, at: { start: SourcePosition; end: SourcePosition }) => errors.push({ message, start: at.start, end: at.end });

  const byName = new Map<string, ParsedClass>();
  for (const cls of classes) {
    if (byName.has(cls.name.value)) err(`namespace "${cls.name.value}" is declared twice`, cls.name);
    else byName.set(cls.name.value, cls);
  }
  const hasRelation = (ns: string, name: string) => byName.get(ns)?.relations.some((r) => r.name.value === name) ?? false;
  const hasPermit = (ns: string, name: string) => byName.get(ns)?.permits.some((p) => p.name.value === name) ?? false;

  for (const cls of byName.values()) {
    const seen = new Set<string>();
    for (const rel of cls.relations) {
      if (seen.has(rel.name.value)) err(`relation "${rel.name.value}" is declared twice in "${cls.name.value}"`, rel.name);
      seen.add(rel.name.value);
      for (const t of rel.types) {
        if (!byName.has(t.value.namespace)) err(`namespace "${t.value.namespace}" is not declared`, t);
        else if (t.value.relation !== undefined && !hasRelation(t.value.namespace, t.value.relation) && !hasPermit(t.value.namespace, t.value.relation)) {
          err(`namespace "${t.value.namespace}" has no relation "${t.value.relation}"`, t);
        }
      }
    }
    for (const permit of cls.permits) {
      if (seen.has(permit.name.value)) err(`"${permit.name.value}" is declared twice in "${cls.name.value}"`, permit.name);
      seen.add(permit.name.value);
    }
    for (const permit of cls.permits) {
      for (const ref of permit.refs) {
        if (ref.kind !== 'traverse') {
          if (ref.kind === 'related' && !hasRelation(cls.name.value, ref.name.value)) err(`relation "${ref.name.value}" is not declared in "${cls.name.value}"`, ref.name);
          if (ref.kind === 'permits' && !hasPermit(cls.name.value, ref.name.value)) err(`permission "${ref.name.value}" is not declared in "${cls.name.value}"`, ref.name);
        } else {
          const rel = cls.relations.find((r) => r.name.value === ref.relation.value);
          if (!rel) {
            err(`relation "${ref.relation.value}" is not declared in "${cls.name.value}"`, ref.relation);
            continue;
          }
          const has = ref.targetKind === 'permits' ? hasPermit : hasRelation;
          if (!rel.types.some((t) => has(t.value.namespace, ref.target.value))) {
            err(`no type of relation "${ref.relation.value}" declares ${ref.targetKind === 'permits' ? 'permission' : 'relation'} "${ref.target.value}"`, ref.target);
          }
        }
      }
    }
  }

  const namespaces: NamespaceDecl[] = [...byName.values()].map((cls) => ({
    name: cls.name.value,
    relations: new Map(cls.relations.map((r) => [r.name.value, r.types.map((t) => t.value)])),
    permits: new Map(cls.permits.map((p) => [p.name.value, p.rewrite])),
  }));
  errors.sort((a, b) => a.start.Line - b.start.Line || a.start.column - b.start.column);
  return { namespaces, errors };
}
