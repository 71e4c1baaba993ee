// Text datasets for causal-LM training: plain-text and JSONL loaders, packing token streams into
// fixed-length rows, prompt/completion rows with the prompt masked, and a train/validation split.
import { readFile } from 'node:fs/promises';
import type { RandomSource } from '@fedtune/shared';
import { FedtuneError } from '@fedtune/shared';
import { IGNORE_LABEL, type TokenBatch } from './loss.js';
import type { Tokenizer } from './tokenizer.js';

/** Reads a UTF-8 text file as documents separated by blank lines. */
export async function loadTextDocuments(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.split(/\n\s*\n/).map((d) => d.trim()).filter((d) => d !== '');
}

/**
 * Parses JSONL, taking the string `field` of every non-blank line.
 * @throws FedtuneError FT_ERR_MALFORMED naming the line when it is not JSON or lacks the field.
 */
export function parseJsonl(text: string, field: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new FedtuneError('FT_ERR_MALFORMED', `JSONL line ${i + 1} is not JSON`);
    }
    const value = typeof row === 'object' && row !== null && !Array.isArray(row) ? (row as Record<string, unknown>)[field] : undefined;
    if (typeof value !== 'string') throw new FedtuneError('FT_ERR_MALFORMED', `JSONL line ${i + 1} has no string field ${JSON.stringify(field)}`);
    out.push(value);
  });
  return out;
}

export async function loadJsonl(path: string, field: string): Promise<string[]> {
  return parseJsonl(await readFile(path, 'utf8'), field);
}

function emptyBatch(seqLen: number): TokenBatch {
  return { inputs: new Int32Array(0), labels: new Int32Array(0), rows: 0, seqLen };
}

/**
 * Concatenates documents (each followed by EOS) into one stream and cuts it into rows of seqLen
 * inputs with next-token labels. The tail row is padded with `padId`, its padding masked.
 */
export function packDocuments(docs: readonly (readonly number[])[], seqLen: number, eosId: number, padId: number): TokenBatch {
  if (!Number.isSafeInteger(seqLen) || seqLen < 1) throw new RangeError(`seqLen must be a positive integer, got ${seqLen}`);
  const stream: number[] = [];
  for (const d of docs) stream.push(...d, eosId);
  if (stream.length < 2) return emptyBatch(seqLen);
  const rows = Math.ceil((stream.length - 1) / seqLen);
  const inputs = new Int32Array(rows * seqLen).fill(padId);
  const labels = new Int32Array(rows * seqLen).fill(IGNORE_LABEL);
  for (let i = 0; i < stream.length - 1; i++) {
    inputs[i] = stream[i] as number;
    labels[i] = stream[i + 1] as number;
  }
  return { inputs, labels, rows, seqLen };
}

/**
 * One row per example: prompt then completion then EOS, loss only on the completion and EOS;
 * rows longer than seqLen are cut, shorter ones padded (masked).
 */
export function packPromptCompletions(examples: readonly { prompt: readonly number[]; completion: readonly number[] }[], seqLen: number, eosId: number, padId: number): TokenBatch {
  const rows = examples.length;
  const inputs = new Int32Array(rows * seqLen).fill(padId);
  const labels = new Int32Array(rows * seqLen).fill(IGNORE_LABEL);
  examples.forEach((ex, r) => {
    const seq = [...ex.prompt, ...ex.completion, eosId];
    for (let t = 0; t < seqLen && t + 1 < seq.length; t++) {
      inputs[r * seqLen + t] = seq[t] as number;
      if (t + 1 >= ex.prompt.length) labels[r * seqLen + t] = seq[t + 1] as number;
    }
  });
  return { inputs, labels, rows, seqLen };
}

/** Rows `indices` of a batch, copied. */
export function selectRows(batch: TokenBatch, indices: readonly number[]): TokenBatch {
  const { seqLen } = batch;
  const inputs = new Int32Array(indices.length * seqLen);
  const labels = new Int32Array(indices.length * seqLen);
  indices.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0 || r >= batch.rows) throw new RangeError(`selectRows: row ${r} outside [0, ${batch.rows})`);
    inputs.set(batch.inputs.subarray(r * seqLen, (r + 1) * seqLen), i * seqLen);
    labels.set(batch.labels.subarray(r * seqLen, (r + 1) * seqLen), i * seqLen);
  });
  return { inputs, labels, rows: indices.length, seqLen };
}

/** Fisher-Yates shuffle in place. */
export function shuffle<T>(items: T[], random: RandomSource): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * Splits items at random into train and validation; validation gets round(fraction * n),
 * at least one when there are two or more items and fraction > 0.
 */
export function splitTrainValidation<T>(items: readonly T[], fraction: number, random: RandomSource): { train: T[]; validation: T[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${fraction}`);
  const shuffled = shuffle([...items], random);
  let nVal = Math.round(fraction * items.length);
  if (fraction > 0 && items.length >= 2) nVal = Math.max(1, nVal);
  return { validation: shuffled.slice(0, nVal), train: shuffled.slice(nVal) };
}

/** Tokenises documents and packs them. */
export function tokenizeAndPack(docs: readonly string[], tokenizer: Tokenizer, seqLen: number, padId: number): TokenBatch {
  return packDocuments(docs.map((d) => tokenizer.encode(d)), seqLen, tokenizer.eosId, padId);
}
