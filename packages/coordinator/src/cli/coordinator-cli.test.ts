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

describe('fedtune-coordinator export, dashboard and serve: usage mistakes exit 2 with one line', () => {
  it('names the flag or the missing piece', async () => {
    const cases: [string[], RegExp][] = [
      [['export'], /^fedtune-coordinator export: export needs --out PATH \(see fedtune-coordinator export --help\)\n$/],
      [['export', '--out', 'x', '--round', 'two'], /--round must be an integer >= 0, got "two"/],
      [['export', '--out', 'x', '--round', '1', '--tag', 'a'], /give --round or --tag, not both/],
      [['export', '--out', 'x', '--merged'], /--merged and --base go together/],
      [['export', '--out', 'x', '--bogus'], /unknown flag --bogus/],
      [['dashboard', '--port', 'http'], /--port must be an integer in \[0, 65535\]/],
      [['serve', '--data-dir', ''], /--data-dir must not be empty/],
      [['serve', '--keep-serving=yes'], /--keep-serving/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(re);
      expect(r.err.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('refuses a config with an unknown key before opening anything, exit 2 naming the key', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-cli-'));
    const path = join(dir, 'c.json');
    await writeFile(path, JSON.stringify({ round: 3, stratgy: { name: 'fedadam' } }));
    for (const cmd of ['serve', 'export', 'dashboard']) {
      const r = await run(cmd, '--config', path, ...(cmd === 'export' ? ['--out', join(dir, 'm.safetensors')] : []));
      expect(r.code, cmd).toBe(2);
      expect(r.err, cmd).toMatch(/error FT_ERR_CONFIG: .*\/round: unknown key "round" \(did you mean "rounds"\?\) \(and 1 more: \/stratgy\)/);
    }
  });

  it('export of a store that does not exist says so (exit 1)', async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'fedtune-cli-'));
    const r = await run('export', '--data-dir', join(dir, 'nothing'), '--out', join(dir, 'm.safetensors'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^fedtune-coordinator export: error FT_ERR_STORE: .*cannot open .*fedtune\.db/);
  });
});
