/** Who did something, from where: taken from the request by the controller. */
export interface AuditContext {
  actorUserId: string | null;
  organizationId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** The chain of events that belong to no organization (e.g. a login for an unknown email). */
export const PLATFORM_AUDIT_CHAIN = '00000000-0000-0000-0000-000000000000';
