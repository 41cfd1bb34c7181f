/**
 * Layer rules for src/ (docs/architecture.md): no import cycles, and platform/ is the ground floor,
 * importing nothing from a domain folder or the root, not even a type. `npm run lint:deps` runs it;
 * test/architecture.test.ts does too, so CI fails on a cycle or an upward import.
 */
module.exports = {
  forbidden: [
    { name: 'no-cycle', severity: 'error', comment: 'Import cycles make the order of module evaluation matter.', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'platform-is-the-ground-floor',
      severity: 'error',
      comment: 'platform/ is shared plumbing: it must not depend on the domains or the app built on it.',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
    {
      name: 'migrations-are-frozen',
      severity: 'error',
      comment: 'A migration never imports app code: what it does must not change when the code does.',
      from: { path: '^src/platform/db/migrations/' },
      to: { path: '^src/', pathNot: '^src/platform/db/migrations/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
