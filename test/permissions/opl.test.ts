import { describe, expect, it } from 'vitest';
import { parseOpl } from '../../src/permissions/opl.js';
import { compileModel, ModelCache } from '../../src/permissions/model.js';
import { DOCS_OPL } from './helpers.js';

describe('OPL parser', () => {
  it('parses namespaces, relations with their types, and permits into rule trees', () => {
    const { namespaces, errors } = parseOpl(DOCS_OPL);
    expect(errors).toEqual([]);
    expect(namespaces.map((n) => n.name)).toEqual(['User', 'Group', 'Folder', 'Document']);
    const group = namespaces.find((n) => n.name === 'Group')!;
    expect(group.relations.get('members')).toEqual([{ namespace: 'User' }, { namespace: 'Group', relation: 'members' }]);
    const doc = namespaces.find((n) => n.name === 'Document')!;
    expect([...doc.relations.keys()]).toEqual(['parents', 'viewers', 'editors', 'owners', 'banned']);
    expect(doc.permits.get('view')).toEqual({
      op: 'and',
      children: [
        {
          op: 'or',
          children: [
            { op: 'computed', relation: 'viewers', kind: 'related' },
            { op: 'computed', relation: 'edit', kind: 'permits' },
            { op: 'traverse', relation: 'parents', computed: 'view', kind: 'permits' },
          ],
        },
        { op: 'not', child: { op: 'computed', relation: 'banned', kind: 'related' } },
      ],
    });
  });

  it('accepts the TypeScript variations Keto accepts', () => {
    const src = `
      /* block comment */
      import { Namespace, Context } from '@ory/keto-namespace-types';
      export class User implements Namespace {}
      class Team implements Namespace {
        related: {
          members: Array<User>;
          admins?: User[],
        };
      }
      class Repo implements Namespace {
        related: { teams: Team[] }
        permits = {
          read: (ctx) => this.related.teams.traverse(t => t.related.members.includes(ctx.subject)),
          admin: (c: Context): boolean => (this.related.teams.traverse((t: Team) => (t.related.admins.includes(c.subject)))),
        };
      }`;
    const { namespaces, errors } = parseOpl(src);
    expect(errors).toEqual([]);
    const repo = namespaces.find((n) => n.name === 'Repo')!;
    expect(repo.permits.get('read')).toEqual({ op: 'traverse', relation: 'teams', computed: 'members', kind: 'related' });
    expect(repo.permits.get('admin')).toEqual({ op: 'traverse', relation: 'teams', computed: 'admins', kind: 'related' });
  });

  it('accepts multi-line lambdas, trailing commas in calls and keyword-like names', () => {
    const src = `
      class Person implements Namespace {}
      class Team implements Namespace { related: { members: (Person | Team)[] } }
      class Album implements Namespace {
        related: {
          parents: (Album | Team)[]
          watchers: (Person | SubjectSet<Team, "members">)[]
          keepers: Person[]
        }
        permits = {
          see: (ctx: Context): boolean =>
            (
              this.related.parents.traverse((p) =>
                p.related.members.includes(ctx.subject,),
              ) && this.related.parents.traverse(p => p.permits.see(ctx,)) ) ||
            (this.related.watchers.includes(ctx.subject) ||
              this.related.keepers.includes(ctx.subject) ),
          not: (ctx: Context) => !this.related.keepers.includes(ctx.subject),
          delete: (ctx: Context) => this.permits.not(ctx),
        }
      }`;
    const { namespaces, errors } = parseOpl(src);
    expect(errors).toEqual([]);
    const album = namespaces.find((n) => n.name === 'Album')!;
    expect([...album.permits.keys()]).toEqual(['see', 'not', 'delete']);
    expect(album.permits.get('see')).toMatchObject({ op: 'or', children: [{ op: 'and' }, { op: 'or' }] });
  });

  it('reports a syntax error with its line and column', () => {
    const src = 'class User implements Namespace {}\nclass Doc implements Namespace {\n  permits = {\n    view: (ctx: Context) this.related.x.includes(ctx.subject),\n  }\n}';
    const { errors } = parseOpl(src);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe('expected "=>", got "this"');
    expect(errors[0].start).toEqual({ Line: 4, column: 25 });
    expect(errors[0].end).toEqual({ Line: 4, column: 29 });
  });

  it.each([
    ['class A implements Namespace {', 'expected "related" or "permits", got end of input'],
    ['class A extends Namespace {}', 'expected "implements", got "extends"'],
    ['class A implements Namespace { related: { x: User } }', 'expected "[]" after the relation\'s type, got "}"'],
    ['class A implements Namespace { permits = { v: (ctx) => ctx.subject } }', 'expected "this", "(" or "!", got "ctx"'],
    ['class A implements Namespace { permits = { v: (ctx) => this.related.x.includes(other.subject) } }', 'expected the context parameter "ctx", got "other"'],
    ['class A implements Namespace { related: { x: A[] } permits = { v: (ctx) => this.related.x.contains(ctx.subject) } }', 'expected "includes" or "traverse", got "contains"'],
    ['class A implements Namespace { # }', 'unexpected character "#"'],
    ['class A implements Namespace { related: { x: SubjectSet<A, "y>[] } }', 'unclosed string literal'],
    ['/* never closed', 'unclosed comment'],
    ['function f() {}', 'expected "class" or "import", got "function"'],
  ])('refuses %j', (src, message) => {
    const { errors } = parseOpl(src);
    expect(errors.map((e) => e.message)).toEqual([message]);
    expect(errors[0].start.Line).toBeGreaterThanOrEqual(1);
  });

  it('reports every undeclared name, with positions', () => {
    const src = [
      'class User implements Namespace {}',
      'class Doc implements Namespace {',
      '  related: { parents: Folder[]; viewers: SubjectSet<User, "members">[]; owners: User[] }',
      '  permits = {',
      '    view: (ctx) => this.related.readers.includes(ctx.subject) || this.permits.edit(ctx),',
      '    open: (ctx) => this.related.owners.traverse((o) => o.permits.view(ctx)),',
      '  }',
      '}',
    ].join('\n');
    const { errors } = parseOpl(src);
    expect(errors.map((e) => e.message)).toEqual([
      'namespace "Folder" is not declared',
      'namespace "User" has no relation "members"',
      'relation "readers" is not declared in "Doc"',
      'permission "edit" is not declared in "Doc"',
      'no type of relation "owners" declares permission "view"',
    ]);
    expect(errors[2].start).toEqual({ Line: 5, column: 32 });
  });

  it('refuses duplicate declarations', () => {
    const { errors } = parseOpl('class A implements Namespace { related: { x: A[]; x: A[] } }\nclass A implements Namespace {}');
    expect(errors.map((e) => e.message)).toEqual(['relation "x" is declared twice in "A"', 'namespace "A" is declared twice']);
  });

  it('bounds nesting instead of overflowing the stack', () => {
    const deep = `class A implements Namespace { related: { x: A[] } permits = { v: (ctx) => ${'!'.repeat(5000)}this.related.x.includes(ctx.subject) } }`;
    expect(parseOpl(deep).errors[0].message).toMatch(/nested more than 64 levels/);
    const parens = `class A implements Namespace { related: { x: A[] } permits = { v: (ctx) => ${'('.repeat(5000)}this.related.x.includes(ctx.subject)${')'.repeat(5000)} } }`;
    expect(parseOpl(parens).errors[0].message).toMatch(/nested more than 64 levels/);
  });
});

describe('permission config', () => {
  it('reads OPL from namespaces.location (base64) and from the plain opl field', () => {
    const b64 = compileModel({ namespaces: { location: `base64://${Buffer.from(DOCS_OPL).toString('base64')}` } });
    const plain = compileModel({ opl: DOCS_OPL, namespaces: [{ id: 0, name: 'Ignored' }] });
    for (const m of [b64, plain]) {
      expect(m.configErrors).toEqual([]);
      expect([...m.namespaces.keys()]).toEqual(['User', 'Group', 'Folder', 'Document']);
      expect(m.namespaces.get('Document')!.typed).toBe(true);
    }
  });

  it('reads the legacy namespace list and the limits', () => {
    const m = compileModel({ namespaces: [{ id: 0, name: 'files' }, { id: 1, name: 'groups' }], limit: { max_read_depth: 3 }, batch_check: { max_batch_size: 50 } });
    expect([...m.namespaces.keys()]).toEqual(['files', 'groups']);
    expect(m.namespaces.get('files')!.typed).toBe(false);
    expect(m.maxReadDepth).toBe(3);
    expect(m.maxBatchCheckSize).toBe(50);
    expect(compileModel({ limit: { max_read_depth: 10_000 } }).maxReadDepth).toBe(32);
    expect(compileModel({}).maxReadDepth).toBe(5);
  });

  it('reports a broken OPL config instead of throwing', () => {
    expect(compileModel({ opl: 'class {' }).configErrors[0].message).toMatch(/expected class name/);
    expect(compileModel({ namespaces: { location: 'file:///etc/keto.ts' } }).configErrors[0].message).toMatch(/base64/);
  });

  it('caches by content: an equal config is not parsed again, a changed one is', () => {
    const cache = new ModelCache();
    const a = cache.get({ opl: DOCS_OPL });
    expect(cache.get({ opl: DOCS_OPL })).toBe(a);
    expect(cache.get({ opl: `${DOCS_OPL}\nclass Extra implements Namespace {}` })).not.toBe(a);
  });
});
