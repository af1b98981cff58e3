// The requests of each scenario, as autocannon request lists, over the seeded data set.
import { PASSWORD, accessToken } from './setup.mjs';

export const API = '/api/v1/enterprise';
export const json = { 'content-type': 'application/json' };

/** Hands out seeded sessions, each at most once: refresh and logout spend them. */
export function sessionPool(sessions) {
  let next = 0;
  return {
    take(count) {
      if (next + count > sessions.length) throw new Error('the seeded sessions ran out');
      next += count;
      return sessions.slice(next - count, next);
    },
  };
}

export function loginRequests(path) {
  let n = 0;
  return [
    {
      method: 'POST',
      path,
      headers: json,
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({
          email: `user${n++ % 20_000}@bench.example.com`,
          password: PASSWORD,
        }),
      }),
    },
  ];
}

export function failedLoginRequests() {
  let n = 0;
  return [
    {
      method: 'POST',
      path: `${API}/auth/login`,
      headers: json,
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({
          email: `user${n++ % 20_000}@bench.example.com`,
          password: 'Not-The-Password-1!',
        }),
      }),
    },
  ];
}

export function meRequests(tokens) {
  let n = 0;
  return [
    {
      method: 'GET',
      path: `${API}/auth/me`,
      setupRequest: (request) => ({
        ...request,
        headers: { authorization: `Bearer ${tokens[n++ % tokens.length]}` },
      }),
    },
  ];
}

/**
 * Refreshes chains of seeded tokens: a request takes the oldest live token, and a success puts
 * its successor at the back, so no token is ever presented twice. (autocannon clears a
 * connection's context after each request of a one-request list, so it cannot hold them.)
 */
export function refreshRequests(sessions) {
  const live = sessions.map((session) => session.refreshToken);
  return [
    {
      method: 'POST',
      path: `${API}/auth/refresh`,
      headers: json,
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ refresh_token: live.shift() }),
      }),
      onResponse: (status, body) => {
        if (status === 200) live.push(JSON.parse(body).refresh_token);
      },
    },
  ];
}

export function registerRequests(data) {
  let n = 0;
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return [
    {
      method: 'POST',
      path: `${API}/auth/register`,
      headers: json,
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({
          email: `new-${run}-${n}@bench.example.com`,
          password: PASSWORD,
          first_name: 'New',
          last_name: 'User',
          organization_id: data.organizations[1 + (n++ % (data.organizations.length - 1))],
        }),
      }),
    },
  ];
}

export function membersRequests(ownerToken) {
  let n = 0;
  return [
    {
      method: 'GET',
      setupRequest: (request) => ({
        ...request,
        path: `${API}/members?limit=50&offset=${(n++ % 20) * 50}`,
        headers: { authorization: `Bearer ${ownerToken}` },
      }),
    },
  ];
}

export function logoutRequests(sessions) {
  const tokens = sessions.map(accessToken);
  return [
    {
      method: 'POST',
      path: `${API}/auth/logout`,
      setupRequest: (request) => ({
        ...request,
        headers: { authorization: `Bearer ${tokens.pop()}` },
      }),
    },
  ];
}
