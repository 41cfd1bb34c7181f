import { describe, expect, it } from 'vitest';
import { readIdentityConfig } from '../../src/identity/identity-config.js';

describe('readIdentityConfig', () => {
  it("applies Kratos's defaults to a missing or malformed config, never throwing", () => {
    const defaults = { defaultSchemaId: null, schemas: null, session: { lifespanMs: 72 * 3600_000, earliestPossibleExtendMs: 72 * 3600_000 }, password: { minLength: 8, identifierSimilarityCheck: true },
      secondFactors: { totp: false, lookup_secret: false, webauthn: false }, passkey: false, requiredAal: { whoami: 'highest_available', settings: 'highest_available' } };
    for (const raw of [undefined, null, 'text', 42, [], {}, { identity: 'x', session: [], selfservice: { methods: { password: { config: 'nope' } } } }]) {
      expect(readIdentityConfig(raw)).toEqual(defaults);
    }
    expect(readIdentityConfig({ session: { lifespan: 'forever' }, selfservice: { methods: { password: { config: { min_password_length: 2.5, identifier_similarity_check_enabled: 'no' } } } } })).toEqual(defaults);
  });

  it('reads schemas, session lifespans and the password policy', () => {
    const cfg = readIdentityConfig({
      identity: { default_schema_id: 'customer', schemas: [{ id: 'customer', url: 'base64://e30=' }, { id: '' }, null, 'x', { url: 'no id' }] },
      session: { lifespan: '2h', earliest_possible_extend: 60 },
      selfservice: {
        methods: { password: { config: { min_password_length: 12, identifier_similarity_check_enabled: false } }, totp: { enabled: true }, lookup_secret: { enabled: 'yes' }, webauthn: { enabled: true }, passkey: { enabled: true } },
        flows: { settings: { required_aal: 'aal1' } },
      },
    });
    expect(cfg).toEqual({
      defaultSchemaId: 'customer',
      schemas: [{ id: 'customer', url: 'base64://e30=' }],
      session: { lifespanMs: 2 * 3600_000, earliestPossibleExtendMs: 60_000 },
      password: { minLength: 12, identifierSimilarityCheck: false },
      // Only a real `true` switches a method on; an unknown required_aal keeps Kratos's default.
      secondFactors: { totp: true, lookup_secret: false, webauthn: true },
      passkey: true,
      requiredAal: { whoami: 'highest_available', settings: 'aal1' },
    });
    expect(readIdentityConfig({ session: { whoami: { required_aal: 'aal3' } } }).requiredAal.whoami).toBe('highest_available');
    // Passwordless WebAuthn keys are a first factor, not a second one.
    expect(readIdentityConfig({ selfservice: { methods: { webauthn: { enabled: true, config: { passwordless: true } } } } }).secondFactors.webauthn).toBe(false);
    // An empty list is a list: no schema at all (the preset applies only when there is no list).
    expect(readIdentityConfig({ identity: { schemas: [] } }).schemas).toEqual([]);
    // Without earliest_possible_extend, a session may be extended at any time of its lifespan.
    expect(readIdentityConfig({ session: { lifespan: '1h' } }).session.earliestPossibleExtendMs).toBe(3600_000);
  });
});
