// Refuses guessable enrollment and admin tokens. A token is a bearer secret: at least 16 characters
// and an estimated 64 bits of entropy (length times the empirical Shannon entropy per character,
// which catches repeats and short alphabets; a random 256-bit token from `token new` has ~256).

/** Fewest characters a token may have. */
export const MIN_TOKEN_LENGTH = 16;
/** Fewest estimated bits of entropy a token may have. */
export const MIN_TOKEN_BITS = 64;

/** Length times the Shannon entropy of the token's character frequencies, in bits. */
export function estimatedTokenBits(token: string): number {
  const chars = [...token];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** Why `token` is too weak to use, or null when it is strong enough. */
export function tokenWeakness(token: string): string | null {
  if (typeof token !== 'string') return 'a token must be a string';
  if ([...token].length < MIN_TOKEN_LENGTH) return `a token needs at least ${MIN_TOKEN_LENGTH} characters`;
  const bits = estimatedTokenBits(token);
  if (bits < MIN_TOKEN_BITS) return `a token needs about ${MIN_TOKEN_BITS} bits of entropy, this one has about ${Math.floor(bits)} (use \`fedtune-coordinator token new\`)`;
  return null;
}
