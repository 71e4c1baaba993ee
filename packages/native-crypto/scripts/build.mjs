// Install step: compiles the addon from source with node-gyp against the running Node's headers
// (OpenSSL's included). It never fails the install: without a compiler or headers fedtune keeps to
// node:crypto, and says so (`fedtune-client doctor`). FEDTUNE_NATIVE_CRYPTO=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * node-gyp as the package manager provides it (npm and pnpm set npm_config_node_gyp), else the
 * copy bundled with the npm that ships beside this Node, else from PATH.
 */
function nodeGyp() {
  const bundled = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  for (const script of [process.env.npm_config_node_gyp, bundled]) if (script && existsSync(script)) return [process.execPath, script];
  return ['node-gyp'];
}

/**
 * Where the headers are: the configured nodedir, else the prefix of this Node when it ships its
 * headers (include/node, as distribution packages and the official tarballs do). Without either,
 * node-gyp would download them, which an offline machine cannot.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function main() {
  if (process.env.FEDTUNE_NATIVE_CRYPTO === '0') {
    console.log('@fedtune/native-crypto: FEDTUNE_NATIVE_CRYPTO=0, not built; fedtune uses node:crypto');
    return;
  }
  const [cmd, ...pre] = nodeGyp();
  const args = [...pre, 'rebuild', '--release', ...nodedirArgs()];
  const run = spawnSync(cmd, args, { cwd: here, encoding: 'utf8', timeout: 300_000, shell: process.platform === 'win32' && cmd === 'node-gyp' });
  if (run.status === 0) {
    console.log(`@fedtune/native-crypto: built (${[cmd, ...args].join(' ')})`);
    return;
  }
  const why = run.error ? run.error.message : (run.stderr || run.stdout || '').trim().split('\n').slice(-8).join('\n');
  console.warn(`@fedtune/native-crypto: not built, fedtune will use node:crypto (slower mask expansion).\n${why}`);
}

main();
