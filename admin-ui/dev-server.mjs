// Development server: serves the built console (dist/) under /admin/ and forwards everything
// else (/api/v1/*, /metrics, /healthz, /readyz) to a running rookery side-port, so the console
// can be worked on without restarting the server. Production needs none of this: the side-port
// serves dist/ itself (--admin-ui-root).
//
//   node dev-server.mjs [--port 5173] [--target http://127.0.0.1:8080] [--dist dist]
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const port = Number(arg('port', '5173'));
const target = new URL(arg('target', 'http://127.0.0.1:8080'));
const dist = path.resolve(arg('dist', path.join(here, 'dist')));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

function serveStatic(req, res) {
  let rel = decodeURIComponent(new URL(req.url, 'http://x').pathname.replace(/^\/admin\/?/, ''));
  if (rel.includes('..')) {
    res.writeHead(400).end('bad path\n');
    return;
  }
  if (rel === '') rel = 'index.html';
  const file = path.join(dist, rel);
  fs.readFile(file, (err, body) => {
    if (err) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(body);
  });
}

function proxy(req, res) {
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
    (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'bad_gateway', message: `rookery side-port unreachable: ${e.message}` } }));
  });
  req.pipe(upstream);
}

http
  .createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (p === '/' || p === '/admin') {
      res.writeHead(302, { location: '/admin/' }).end();
    } else if (p.startsWith('/admin/')) {
      serveStatic(req, res);
    } else {
      proxy(req, res);
    }
  })
  .listen(port, '127.0.0.1', () => {
    console.log(`admin-ui dev server: http://127.0.0.1:${port}/admin/ (API -> ${target.origin}, files from ${dist})`);
  });
