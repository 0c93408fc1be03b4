/**
 * A node's memory of the HDP tokens it verified: each header verified once per organization key
 * ring and kept until the token expires, so the calls of one session pay for the signatures once;
 * and the session each token id was first seen in, so the same id sent for another session is a
 * replay. Bounded: the oldest entries go first.
 */
import { BoundedMap, hdpKeyRing, refuse, verifyHdpHeader, type HdpKeyRing, type HdpToken, type HdpVerification, type OrgConfig } from '@keyward/shared';

const DEFAULT_MAX_ENTRIES = 10_000;

interface Verified {
  readonly keys: HdpKeyRing;
  readonly verification: HdpVerification & { ok: true };
}

/** Verifies `X-HDP-Token` headers for an organization, remembering what it proved. */
export class VerifiedTokens {
  private readonly verified: BoundedMap<string, Verified>;
  private readonly sessions: BoundedMap<string, { sessionId: string; expiresAt: number }>;
  private readonly rings = new WeakMap<OrgConfig, HdpKeyRing>();

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.verified = new BoundedMap(maxEntries);
    this.sessions = new BoundedMap(maxEntries);
  }

  /** The header's verification at `now`; `sessionId` is the session the agent says it is in, if it says. */
  verify(org: OrgConfig, header: string, now: number, sessionId?: string): HdpVerification {
    const keys = this.keyRingOf(org);
    const cacheKey = `${org.id}\n${header}`;
    const known = this.verified.get(cacheKey);
    let verification: HdpVerification;
    if (known && known.keys === keys && known.verification.token.expiresAt >= now) {
      verification = known.verification;
    } else {
      this.verified.delete(cacheKey);
      verification = verifyHdpHeader(header, { keys, now });
      if (verification.ok) this.verified.remember(cacheKey, { keys, verification });
    }
    if (!verification.ok) return verification;
    const { token } = verification;
    if (sessionId !== undefined && sessionId !== token.sessionId)
      return refuse('session_mismatch', 'the HDP token belongs to another session than X-HDP-Session');
    const tokenKey = `${org.id}\n${token.tokenId}`;
    const seen = this.sessions.get(tokenKey);
    if (seen && seen.expiresAt >= now && seen.sessionId !== token.sessionId) {
      return refuse('session_mismatch', 'this HDP token id was already used in another session');
    }
    return verification;
  }

  /**
   * Remembers the session a verified token id was accepted in, so the id sent later for another
   * session is a replay. Called once the request is accepted, not when another check refused it.
   */
  accepted(org: OrgConfig, token: HdpToken, now: number): void {
    const tokenKey = `${org.id}\n${token.tokenId}`;
    const seen = this.sessions.get(tokenKey);
    if (!seen || seen.expiresAt < now) this.sessions.remember(tokenKey, { sessionId: token.sessionId, expiresAt: token.expiresAt });
  }

  private keyRingOf(org: OrgConfig): HdpKeyRing {
    let ring = this.rings.get(org);
    if (!ring) {
      ring = hdpKeyRing(org.hdpTrustedKeys ?? []);
      this.rings.set(org, ring);
    }
    return ring;
  }
}
