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

/** Where a request came from, recorded on sessions (and later in audit events). */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}
