// fedtune-coordinator token new / hash-token (issue 10, item 8): new tokens are 256-bit and pass the
// strength check; weak ones are refused with exit 2, never hashed into a config.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenWeakness } from '@fedtune/shared';
import { main } from './coordinator-cli.js';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('fedtune-coordinator token commands', () => {
  it('token new prints a strong 256-bit token and its SHA-256, different every time', async () => {
    const a = await run('token', 'new', '--json', '--label', 'clinic-7');
    const b = await run('token', 'new', '--json');
    expect(a.code).toBe(0);
    const ja = JSON.parse(a.out) as { token: string; hash: string; label: string };
    const jb = JSON.parse(b.out) as { token: string };
    expect(Buffer.from(ja.token, 'base64url')).toHaveLength(32);
    expect(tokenWeakness(ja.token)).toBeNull();
    expect(ja.hash).toBe(createHash('sha256').update(ja.token).digest('hex'));
    expect(ja.label).toBe('clinic-7');
    expect(jb.token).not.toBe(ja.token);
    expect((await run('token', 'new')).out).toMatch(/^token: \S{43}\nhash: {2}[0-9a-f]{64}\nconfig: \{ "hash": "[0-9a-f]{64}" \}\n$/);
  });

  it('hash-token refuses short and low-entropy tokens (exit 2) and hashes a strong one', async () => {
    for (const weak of ['password', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'abababababababababababab']) {
      const r = await run('hash-token', weak);
      expect(r.code, weak).toBe(2);
      expect(r.err, weak).toMatch(/fedtune-coordinator hash-token: a token needs/);
      expect(r.out).toBe('');
    }
    const strong = 'Zq4x8Lm2Wv9Rt3YpKc7N';
    expect((await run('hash-token', strong)).out).toBe(createHash('sha256').update(strong).digest('hex') + '\n');
  });
});
