import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Organization } from '@app/organizations';

export const API = '/api/v1/enterprise';
export const GUIDE_PASSWORD = 'Test123!@#';

export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${uniqueSuffix()}@example.com`;
}

/** Inserts an organization directly; each call makes a new one unless a slug is given. */
export async function createOrganization(
  dataSource: DataSource,
  overrides: Partial<Organization> = {},
): Promise<Organization> {
  const repository = dataSource.getRepository(Organization);
  const suffix = uniqueSuffix();

  return repository.save(
    repository.create({
      name: `Org ${suffix}`,
      slug: `org-${suffix}`,
      plan: 'enterprise',
      ...overrides,
    }),
  );
}

export interface RegisteredUser {
  email: string;
  password: string;
  userId: string;
  organizationId: string;
}

export async function registerUser(
  server: Server,
  organizationId: string,
  overrides: Partial<{
    email: string;
    password: string;
    first_name: string;
    last_name: string;
  }> = {},
): Promise<RegisteredUser> {
  const body = {
    email: uniqueEmail(),
    password: GUIDE_PASSWORD,
    first_name: 'Test',
    last_name: 'User',
    organization_id: organizationId,
    ...overrides,
  };
  const response = await request(server).post(`${API}/auth/register`).send(body).expect(201);

  return {
    email: body.email,
    password: body.password,
    userId: response.body.id,
    organizationId,
  };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

export async function login(
  server: Server,
  user: { email: string; password: string },
): Promise<Tokens> {
  const response = await request(server)
    .post(`${API}/auth/login`)
    .send({ email: user.email, password: user.password })
    .expect(200);

  return response.body as Tokens;
}
