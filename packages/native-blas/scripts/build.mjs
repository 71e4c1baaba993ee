// The package's install step: builds the addon with node-gyp against the system's OpenBLAS, using
// the local Node headers (never a download). Never fails the install: without a compiler, the
// headers or OpenBLAS it says why and exits 0, and fedtune falls back to its WebAssembly kernels.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`@fedtune/native-blas: ${line}`);

function skip(reason) {
  say(`not built (${reason}); training uses the WebAssembly kernels. See packages/native-blas/README.md.`);
  process.exit(0);
}

if (process.env.FEDTUNE_NATIVE_BLAS === '0') skip('FEDTUNE_NATIVE_BLAS=0');
if (process.platform !== 'linux') skip(`${process.platform} is not supported yet (Linux only)`);
let hasOpenBlas = false;
try {
  execFileSync('pkg-config', ['--exists', 'openblas'], { stdio: 'ignore' });
  hasOpenBlas = true;
} catch {
  hasOpenBlas = existsSync('/usr/include/x86_64-linux-gnu/cblas.h') || existsSync('/usr/include/cblas.h');
}
if (!hasOpenBlas) skip('OpenBLAS not found: on Debian, apt-get install libopenblas-dev (scripts/ci-install-openblas.sh)');
// Headers next to the running node (Debian's nodejs, the official tarballs); else node-gyp's cache.
const prefix = join(dirname(process.execPath), '..');
const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
if (nodedir === undefined) skip(`no Node headers under ${prefix}/include/node (node-gyp would download them)`);
const args = ['rebuild', `--nodedir=${nodedir}`, '--loglevel=error'];
// pnpm and npm put their bundled node-gyp on PATH for install scripts.
const r = spawnSync('node-gyp', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.error !== undefined || r.status !== 0) {
  const detail = (r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  skip(`node-gyp failed: ${detail || `exit ${r.status}`}`);
}
say('built build/Release/fedtune_blas.node against OpenBLAS');
