// run.sh's set-up step: waits until the spawned server's side-port answers /healthz and
// /readyz, then, as the first admin (from ROOKERY_ADMIN_USER / ROOKERY_ADMIN_PASSWORD), creates
// the operator and viewer users through the API.
import { env, call, login } from './env.mjs';

async function waitReady(timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const h = await call('GET', '/healthz');
      const r = await call('GET', '/readyz');
      if (h.status === 200 && r.status === 200) return;
      last = `healthz ${h.status}, readyz ${r.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`side-port at ${env.http} not ready after ${timeoutMs} ms (${last})`);
}

await waitReady();
const admin = await login(env.admin);
for (const role of ['operator', 'viewer']) {
  const u = env[role];
  const r = await call('POST', '/api/v1/admin-users', { token: admin.token, body: { username: u.username, password: u.password, role } });
  if (r.status !== 201) throw new Error(`creating ${role} ${u.username}: HTTP ${r.status} ${r.text}`);
}
console.log(`set-up: side-port ready at ${env.http}; users ${env.admin.username} (admin), ${env.operator.username} (operator), ${env.viewer.username} (viewer)`);
