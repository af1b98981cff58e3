/**
 * Store keys that make access tokens unusable before they expire. TokenService checks all of
 * a token's keys in one round trip on every request; writers set them with a TTL equal to the
 * access-token lifetime, after which no token they cover is still valid anyway.
 */
export const RevocationKeys = {
  token: (tokenId: string) => `revoked:jti:${tokenId}`,
  session: (sessionId: string) => `revoked:sid:${sessionId}`,
  organization: (organizationId: string) => `revoked:org:${organizationId}`,
  membership: (organizationId: string, userId: string) =>
    `revoked:member:${organizationId}:${userId}`,
};
