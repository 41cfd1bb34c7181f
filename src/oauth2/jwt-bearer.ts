import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { invalidGrant, invalidRequest, invalidScope } from './errors.js';
import { JWT_BEARER, type TrustService } from './trust.js';
import type { OAuth2Config } from './config.js';

/**
 * Verifies an RFC 7523 JWT bearer assertion against the project's trust relationships, as Hydra
 * does: a trusted `iss` for its `sub` (or any subject), a signature by a trusted key (the one named
 * by `kid`, else any key of the relationship), `aud` naming the token endpoint, an `exp` within
 * `oauth2.grant.jwt.max_ttl`, an `iat` not in the future and a `jti` not used before (each required unless
 * `oauth2.grant.jwt.iat_optional` / `jti_optional`), and requested
 * scopes the relationship grants. Returns the subject the token is issued to; every refusal is an
 * RFC 6749 error (invalid_request, invalid_grant, invalid_scope).
 */
export async function jwtBearerSubject(
  trust: TrustService,
  projectId: string,
  assertion: string | undefined,
  tokenUrl: string,
  scopes: string[],
  config: OAuth2Config['jwtGrant'],
): Promise<string> {
  if (!assertion) throw invalidRequest(`The assertion request parameter must be set when using grant_type of '${JWT_BEARER}'.`);
  if (assertion.length > 16_384) throw invalidGrant('The JSON Web Token passed in "assertion" is too long.');
  let claims: JWTPayload;
  let kid: string | undefined;
  try {
    claims = decodeJwt(assertion);
    kid = decodeProtectedHeader(assertion).kid;
  } catch {
    throw invalidGrant('Unable to parse JSON Web Token passed in "assertion" request parameter.');
  }
  const { iss, sub, jti, exp } = claims;
  if (typeof iss !== 'string' || !iss) throw invalidGrant('The JWT in "assertion" request parameter MUST contain an "iss" (issuer) claim.');
  if (typeof sub !== 'string' || !sub) throw invalidGrant('The JWT in "assertion" request parameter MUST contain a "sub" (subject) claim.');
  if (typeof exp !== 'number') throw invalidGrant('The JWT in "assertion" request parameter MUST contain an "exp" (expiration time) claim.');
  const keys = await trust.keysFor(projectId, iss, sub, typeof kid === 'string' ? kid : undefined);
  if (keys.length === 0) throw invalidGrant(`No public JWK was registered for issuer "${iss.slice(0, 200)}" and subject "${sub.slice(0, 200)}", or the trust relationship has expired.`);
  let verified: (typeof keys)[number] | undefined;
  for (const k of keys) {
    try {
      await jwtVerify(assertion, k.key, { algorithms: [k.alg], audience: tokenUrl, clockTolerance: 0 });
      verified = k;
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (err as { claim?: string }).claim === 'aud') {
        throw invalidGrant(`The JWT in "assertion" request parameter MUST contain an "aud" (audience) claim containing a value "${tokenUrl}" that identifies the authorization server as an intended audience.`);
      }
      if (code === 'ERR_JWT_EXPIRED') throw invalidGrant('The JWT in "assertion" request parameter expired.');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw invalidGrant(`The JWT in "assertion" request parameter has an invalid "${(err as { claim?: string }).claim}" claim.`);
      // A signature that does not verify with this key may verify with the next one.
    }
  }
  if (!verified) throw invalidGrant('Unable to verify the integrity of the "assertion" value.');
  if (exp * 1000 - Date.now() > config.maxTtlMs) throw invalidGrant('The JWT in "assertion" request parameter expires too far in the future.');
  if (typeof claims.iat !== 'number') {
    if (!config.iatOptional) throw invalidGrant('The JWT in "assertion" request parameter MUST contain an "iat" (issued at) claim.');
  } else if (claims.iat * 1000 > Date.now() + 1000) {
    throw invalidGrant('The JWT in "assertion" request parameter was issued in the future.');
  }
  const extra = scopes.find((s) => !verified!.scope.includes(s));
  if (extra !== undefined) throw invalidScope(`The public key registered for issuer "${iss.slice(0, 200)}" and subject "${sub.slice(0, 200)}" is not allowed to request scope "${extra}".`);
  if (typeof jti !== 'string' || !jti) {
    if (!config.jtiOptional) throw invalidGrant('The JWT in "assertion" request parameter MUST contain a "jti" (JWT ID) claim.');
  } else if (!(await trust.useJti(projectId, jti, exp * 1000))) throw invalidGrant(`The JWT in "assertion" request parameter was already used (its "jti" is known).`);
  return sub;
}
