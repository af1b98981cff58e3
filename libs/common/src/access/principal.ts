/** Who is calling, as proven by a verified, unrevoked access token. */
export interface Principal {
  userId: string;
  organizationId: string;
  sessionId: string;
  tokenId: string;
  roles: string[];
  /** Expiry of the access token, in seconds since the epoch. */
  expiresAt: number;
}
