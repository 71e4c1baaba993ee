// Prints the compiler flags binding.gyp needs for OpenBLAS's CBLAS: `include` (header folders) or
// `libs` (linker flags), from pkg-config, else Debian's default locations.
import { execFileSync } from 'node:child_process';

const what = process.argv[2];
function pkgConfig(flag) {
  try {
    return execFileSync('pkg-config', [flag, 'openblas'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
if (what === 'include') {
  const flags = pkgConfig('--cflags-only-I') ?? '-I/usr/include/x86_64-linux-gnu';
  console.log(flags.split(/\s+/).filter((f) => f.startsWith('-I')).map((f) => f.slice(2)).join(' '));
} else if (what === 'libs') {
  console.log(pkgConfig('--libs') ?? '-lopenblas');
} else {
  console.error('usage: blas-flags.mjs include|libs');
  process.exit(2);
}
