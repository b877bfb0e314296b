// The admin JSON API (/api/v1) from the browser. The session lives in an HttpOnly cookie the
// page never sees; the CSRF token (from login or auth/me) is kept in memory and sent as
// X-CSRF-Token on every mutation.

const BASE = '/api/v1/';

/** An API failure: HTTP status, the API's error.code and error.message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Who is logged in: { username, role, csrf } or null. */
export const session = { user: null };

const ROLE_RANK = { viewer: 1, operator: 2, admin: 3 };

/** True if the logged-in user's role is at least `role`. */
export function can(role) {
  return !!session.user && (ROLE_RANK[session.user.role] || 0) >= ROLE_RANK[role];
}

let onUnauthorized = () => {};
/** Called when a request answers 401 (session expired or logged out elsewhere). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

function statusText(status) {
  return (
    {
      400: 'bad request',
      401: 'not logged in',
      403: 'forbidden',
      404: 'not found',
      405: 'method not allowed',
      409: 'conflict',
      413: 'request too large',
      429: 'too many requests',
      500: 'server error',
      503: 'service unavailable',
    }[status] || 'error'
  );
}

/** Sends one request; resolves with the parsed JSON body, rejects with an ApiError. */
export async function request(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const mutation = method !== 'GET' && method !== 'HEAD';
  if (mutation) {
    headers['Content-Type'] = 'application/json';
    if (session.user?.csrf) headers['X-CSRF-Token'] = session.user.csrf;
  }
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: mutation ? JSON.stringify(body ?? {}) : undefined,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', `Cannot reach the server (${e.message}).`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data && data.error;
    const message = err?.message || `HTTP ${res.status} (${statusText(res.status)})`;
    const e = new ApiError(res.status, err?.code || String(res.status), message);
    if (res.status === 401 && path !== 'auth/login' && !quiet401) {
      session.user = null;
      onUnauthorized(e);
    }
    throw e;
  }
  return data;
}

const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  }
  const text = s.toString();
  return text ? `?${text}` : '';
};

const get = (path, params) => request('GET', path + q(params));
const post = (path, body) => request('POST', path, body);

export const api = {
  async login(username, password) {
    const r = await request('POST', 'auth/login', { username, password });
    session.user = { username: r.username, role: r.role, csrf: r.csrf_token };
    return session.user;
  },
  async me() {
    const r = await request('GET', 'auth/me', undefined, { quiet401: true });
    session.user = { username: r.username, role: r.role, csrf: r.csrf_token };
    return session.user;
  },
  async logout() {
    try {
      await post('auth/logout');
    } finally {
      session.user = null;
    }
  },
  overview: () => get('overview'),
  rooms: (params) => get('rooms', params),
  room: (id) => get(`rooms/${encodeURIComponent(id)}`),
  createRoom: (body) => post('rooms', body),
  roomAction: (id, action, body) => post(`rooms/${encodeURIComponent(id)}/${action}`, body),
  players: (params) => get('players', params),
  player: (id) => get(`players/${encodeURIComponent(id)}`),
  playerAction: (id, action, body) => post(`players/${encodeURIComponent(id)}/${action}`, body),
  audit: (params) => get('audit', params),
  adminUsers: () => get('admin-users'),
  createAdminUser: (body) => post('admin-users', body),
  config: () => get('server/config'),
  drain: () => post('server/drain'),
  cluster: () => get('cluster'),
  drainNode: (id) => post(`cluster/nodes/${encodeURIComponent(id)}/drain`, {}),
};

/** The live overview stream URL (Server-Sent Events, one overview JSON per second). */
export const STREAM_URL = `${BASE}stream`;
