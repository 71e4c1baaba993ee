// Sets up an edge node that fine-tunes a language model on its own text: reads documents (plain
// text separated by blank lines, or JSONL), redacts PII before anything is tokenized (on by
// default), and builds the causal-LM trainer for either a tiny GPT trained from scratch (every
// weight federated) or a local GPT-2 checkpoint with LoRA adapters (only the adapters federated;
// every node must load the same base). A local-sgd round trains the same model with record-level
// DP-SGD (the DP trainer this module also builds), and validation rows are never training rows.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FedtuneError, type RandomSource } from '@fedtune/shared';
import { formatRedactionReport, redactPii, type RedactionReport } from '../data/redact.js';
import { BpeTokenizer } from '../lm/bpe-tokenizer.js';
import { loadGpt2 } from '../lm/checkpoint.js';
import { createCausalLmTrainer, type CausalLmTrainer } from '../lm/causal-lm-trainer.js';
import { createDpCausalLmTrainer } from '../lm/dp-causal-lm-trainer.js';
import type { DpSgdTrainerFactory } from './dp-sgd-on-demand.js';
import { tinyGptConfig } from '../lm/config.js';
import type { LoraConfig } from '../lm/lora.js';
import { GptModel } from '../lm/model.js';
import { parseJsonl, splitTrainValidation, tokenizeAndPack } from '../lm/text-data.js';
import { ByteTokenizer, type Tokenizer } from '../lm/tokenizer.js';

export type LmNodeModel = 'gpt-tiny' | 'gpt2-lora';

/** The adapters a gpt2-lora node trains and federates (rank 8 on every projection). */
export const NODE_LORA: LoraConfig = { rank: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] };

export interface LmNodeOptions {
  model: LmNodeModel;
  /** gpt2-lora: a Hugging Face-style folder (config.json, model.safetensors, and vocab.json + merges.txt for GPT-2 BPE). */
  base?: string;
  /** A .jsonl file (documents in `field`) or a text file (documents separated by blank lines). */
  data: string;
  field?: string;
  /** Redact PII before training (default true). */
  redact?: boolean;
  /** Names to redact wherever they appear. */
  names?: readonly string[];
  random: RandomSource;
  backend: string;
  /** Longest training sequence (default: the model's context, at most 128). */
  sequenceLength?: number;
}

export interface LmNode {
  trainer: CausalLmTrainer;
  /** Builds a DP-SGD trainer over the same model and rows (a local-sgd round), its noise from `random`. */
  dpSgd: DpSgdTrainerFactory;
  tokenizer: Tokenizer;
  documents: number;
  redaction: RedactionReport | null;
  /** One line on what was redacted, for the node's log. */
  redactionLine: string;
}

async function readDocuments(path: string, field: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((e: Error) => {
    throw new FedtuneError('FT_ERR_CONFIG', `cannot read ${path}: ${e.message}`);
  });
  const docs = path.endsWith('.jsonl') ? parseJsonl(text, field) : text.split(/\n\s*\n/).map((d) => d.trim()).filter((d) => d.length > 0);
  if (docs.length < 2) throw new FedtuneError('FT_ERR_CONFIG', `${path} has ${docs.length} documents; a node needs at least 2 (train and validation)`);
  return docs;
}

/** @throws FedtuneError FT_ERR_CONFIG on unreadable data, a missing base, or a tokenizer that does not fit the model. */
export async function createLmNode(o: LmNodeOptions): Promise<LmNode> {
  const raw = await readDocuments(o.data, o.field ?? 'text');
  const redacted = o.redact === false ? null : redactPii(raw, { names: o.names ?? [] });
  const docs = redacted?.documents ?? raw;
  let model: GptModel;
  let tokenizer: Tokenizer;
  if (o.model === 'gpt-tiny') {
    tokenizer = new ByteTokenizer();
    // Random weights: the coordinator's round-0 model replaces them, so every node starts alike.
    model = GptModel.random(tinyGptConfig({ vocabSize: tokenizer.vocabSize }), o.random);
  } else {
    if (o.base === undefined) throw new FedtuneError('FT_ERR_CONFIG', 'gpt2-lora needs --base DIR, a local GPT-2 folder (the same on every node)');
    model = await loadGpt2(o.base);
    tokenizer = existsSync(join(o.base, 'vocab.json')) ? await BpeTokenizer.fromFolder(o.base) : new ByteTokenizer();
    if (tokenizer.vocabSize > model.config.vocabSize) {
      throw new FedtuneError('FT_ERR_CONFIG', `tokenizer has ${tokenizer.vocabSize} tokens, the model's vocabulary ${model.config.vocabSize}`);
    }
    model.addLora(NODE_LORA, o.random);
  }
  const pad = tokenizer instanceof ByteTokenizer ? tokenizer.specialId('<|pad|>') : tokenizer.eosId;
  const seqLen = Math.min(o.sequenceLength ?? 128, model.config.contextLength);
  // At least one document is held out (readDocuments insists on two), and evaluation never falls
  // back to training rows: a node's validation metrics must not be a function of what it trained on.
  const { train, validation } = splitTrainValidation(docs, 0.2, o.random);
  const base = {
    model,
    train: tokenizeAndPack(train, tokenizer, seqLen, pad),
    validation: tokenizeAndPack(validation, tokenizer, seqLen, pad),
    random: o.random,
    backend: o.backend,
  };
  const trainer = await createCausalLmTrainer(base);
  return {
    trainer,
    dpSgd: (p) => createDpCausalLmTrainer({ ...base, l2Clip: p.l2Clip, noiseMultiplier: p.noiseMultiplier, delta: p.delta, batchSize: Math.min(p.batchSize, base.train.rows) }),
    tokenizer,
    documents: docs.length,
    redaction: redacted?.report ?? null,
    redactionLine: redacted === null ? 'PII redaction is OFF (--no-redact)' : formatRedactionReport(redacted.report),
  };
}
