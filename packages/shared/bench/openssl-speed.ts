// The machine's single-core AES-256-CTR limit as OpenSSL itself measures it (`openssl speed -evp
// aes-256-ctr`, 16 KiB blocks, one process): the yardstick the keystream benchmarks divide by.
import { execFileSync } from 'node:child_process';

/**
 * Bytes per second of `openssl speed -evp aes-256-ctr -bytes 16384 -seconds <seconds>`, or null
 * when no openssl binary runs here.
 */
export function opensslAes256CtrSpeed(seconds: number): number | null {
  try {
    const out = execFileSync('openssl', ['speed', '-evp', 'aes-256-ctr', '-bytes', '16384', '-seconds', String(seconds)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: (seconds + 20) * 1000 });
    // Last line: "AES-256-CTR   8467118.80k" (thousands of bytes per second).
    const m = /AES-256-CTR\s+([\d.]+)k\s*$/im.exec(out.trim());
    return m === null ? null : Number(m[1]) * 1000;
  } catch {
    return null;
  }
}
