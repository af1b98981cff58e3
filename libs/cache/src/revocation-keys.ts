/**
 * Store keys that make access tokens unusable before they expire. TokenService checks all of
 * a token's keys on every request; writers set them with a TTL equal to the access-token
 * lifetime, after which no token they cover is still valid anyway.
 *
 * Hash tags (the `{...}` part) decide the Redis Cluster slot: a token's key shares its
 * session's tag, and a membership's key its organization's, so the check reads two slots (one
 * MGET each, in parallel) rather than four. Organization and session cannot share one: a
 * session moves between organizations, and one organization key covers all its sessions.
 */
export const RevocationKeys = {
  token: (sessionId: string, tokenId: string) => `revoked:{sid:${sessionId}}:jti:${tokenId}`,
  session: (sessionId: string) => `revoked:{sid:${sessionId}}`,
  organization: (organizationId: string) => `revoked:{org:${organizationId}}`,
  membership: (organizationId: string, userId: string) =>
    `revoked:{org:${organizationId}}:member:${userId}`,
};
