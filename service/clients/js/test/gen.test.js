import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../node_modules/protobufjs-cli/bin/pbjs', import.meta.url));

test('src/gen/protos.js matches service/proto/*.proto', { skip: !existsSync(cli) && 'protobufjs-cli not installed (npm ci installs it)' }, () => {
  execFileSync(process.execPath, ['scripts/gen-proto.mjs', '--check'], { cwd: pkg, stdio: 'pipe' });
});
