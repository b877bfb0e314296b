// The cluster page: every node the directory knows (state, load, version, address), the
// directory's own health, and a drain of one node (admin role) from whichever node's console
// this is. A standalone server says so.
import { api, can, session } from '../api.js';
import { h, replace, table, badge, fmtRelative, fmtTime, fmtNumber, dl } from '../dom.js';
import { pageHeader, card, errorBox, busy, toast, confirmDialog, loading } from '../ui.js';

/** Renders #/cluster; refreshes every 2 s while shown. */
export async function renderCluster(ctx) {
  const err = errorBox();
  const summaryHost = h('div', {}, loading());
  const nodesHost = h('div');
  ctx.root.append(pageHeader('Cluster'), err, card('Directory', summaryHost), card('Nodes', nodesHost));

  async function load() {
    let r;
    try {
      r = await api.cluster();
      err.clear();
    } catch (e) {
      err.show(e);
      return;
    }
    if (!r.clustered) {
      replace(summaryHost, h('p', { class: 'muted', text: 'This server is standalone: it is not part of a cluster (no --redis).' }));
      replace(nodesHost);
      return;
    }
    const now = Date.now();
    replace(
      summaryHost,
      dl([
        ['Cluster', r.cluster],
        ['This node', r.node],
        ['Directory (Redis)', r.directory_up ? badge('reachable', 'ok') : badge('unreachable: cluster operations fail', 'danger')],
        ['Lease renewed', r.lease_age_s < 0 ? 'never' : `${fmtNumber(r.lease_age_s, 1)} s ago`],
        ['Totals', `${r.totals.nodes} nodes, ${fmtNumber(r.totals.connections)} connections, ${fmtNumber(r.totals.rooms)} rooms`],
      ]),
    );
    replace(
      nodesHost,
      table(
        [
          { label: 'Node', render: (n) => h('span', {}, h('code', { text: n.id }), n.self ? badge('this console', 'accent') : null) },
          { label: 'State', render: (n) => (n.state === 'serving' ? badge('serving', 'ok') : badge(n.state, 'warn')) },
          { label: 'Connections', class: 'num', render: (n) => fmtNumber(n.connections) },
          { label: 'Rooms', class: 'num', render: (n) => fmtNumber(n.rooms) },
          { label: 'Version', render: (n) => n.version },
          { label: 'Game address', render: (n) => h('code', { text: `${n.host} tcp ${n.tcp_port} ws ${n.ws_port}` }) },
          { label: 'Console', render: (n) => (n.self || !n.http_port ? '' : h('a', { href: `http://${n.host}:${n.http_port}/admin/`, text: 'open' })) },
          { label: 'Started', render: (n) => h('time', { datetime: new Date(n.started_ms).toISOString(), title: fmtTime(n.started_ms), text: fmtRelative(n.started_ms, now) }) },
          { label: '', render: (n) => (can('admin') && n.state === 'serving' ? drainButton(n, load, err) : '') },
        ],
        r.nodes || [],
        { label: 'Nodes', empty: 'The directory lists no node (is Redis reachable?).' },
      ),
    );
  }
  await load();
  const timer = setInterval(load, 2000);
  ctx.onCleanup(() => clearInterval(timer));
  if (!can('admin')) {
    nodesHost.after(h('p', { class: 'muted small', text: `Only admins may drain a node (your role: ${session.user?.role}).` }));
  }
}

function drainButton(node, reload, err) {
  const btn = h('button', { type: 'button', class: 'btn btn-danger btn-small', text: 'Drain…' });
  btn.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Drain node ${node.id}?`,
      body: [
        h('p', { text: `Its ${node.connections} connections are told the server is shutting down, its ${node.rooms} rooms are saved and closed, no new rooms go to it, and its process exits (as on SIGTERM).` }),
        h('p', { text: 'Players can log in again on the other nodes at once.' }),
      ],
      confirmLabel: 'Drain this node',
    });
    if (!ok) return;
    try {
      await busy(btn, () => api.drainNode(node.id), 'Draining…');
      toast(`Node ${node.id} is draining.`, 'info');
      await reload();
    } catch (e) {
      err.show(e);
    }
  });
  return btn;
}
