// The coordinator's HTTP surface beside socket.io: /healthz (open, the engine's real state), the
// dashboard and the /api routes (admin token), /metrics (open, or admin with metricsAuth), the
// dashboard's static assets (the charting library, bundled locally; no CDN), and a 404 for
// everything else. Every response is bounded: history and node lists come in pages. The same
// routes serve a running coordinator and, read from its store, a finished run.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineState, TrainingOutcome } from '../round/round-engine.js';
import type { RoundSummary } from '../round/round-summary.js';
import type { SessionInfo } from '../transport/socket-server.js';
import type { AuditEntry, AuditKind, ModelInfo, NodeRecord } from '../store/store.js';
import { dashboardAsset, renderDashboard, renderFragment, type DashboardConfig, type DashboardStatus } from '../dashboard.js';
import type { Metrics } from '../metrics.js';
import type { AdminAuth } from './admin-auth.js';

/** What the routes read from (and do to) the running coordinator, or a stored run. */
export interface CoordinatorView {
  engineState(): EngineState;
  nodeCount(): number;
  modelVersion(): string | null;
  config(): DashboardConfig;
  /** While the engine waits for nodes: how many it needs and has. */
  waiting(): { needed: number; available: number } | null;
  rounds(before: number | null, limit: number): Promise<RoundSummary[]>;
  /** Live connections. */
  sessions(offset: number, limit: number): { total: number; nodes: SessionInfo[] };
  /** Every node the store knows, connected or not. */
  knownNodes(offset: number, limit: number): Promise<{ total: number; nodes: NodeRecord[] }>;
  tokens(): { label: string; maxSessions: number; revoked: boolean }[];
  revokeToken(labelOrHash: string): Promise<number | null>;
  models(): Promise<ModelInfo[]>;
  tagModel(version: string, tag: string): Promise<void>;
  outcome(): TrainingOutcome | null;
  audit(afterId: number, limit: number, kind?: AuditKind): Promise<AuditEntry[]>;
}

const AUDIT_KINDS: readonly AuditKind[] = ['start', 'stop', 'config', 'migration', 'auth-failure', 'refusal', 'drop', 'revocation', 'export', 'tag'];

export interface RouteDeps {
  view: CoordinatorView;
  admin: AdminAuth;
  metrics: Metrics | null;
  metricsAuth: boolean;
}

const MAX_PAGE = 500;
const MAX_DROPS_SHOWN = 100;
const MAX_BODY_BYTES = 4096;

function send(res: ServerResponse, status: number, body: string | Uint8Array, type = 'application/json', cache = 'no-store'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' }).end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value));
}

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  const n = raw === null ? fallback : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
}

/** Long drop lists cut to a bounded number, saying how many were left out. */
function bounded(r: RoundSummary): RoundSummary {
  return r.droppedDetail.length > MAX_DROPS_SHOWN ? { ...r, droppedDetail: r.droppedDetail.slice(0, MAX_DROPS_SHOWN), droppedDetailTruncated: r.droppedDetail.length - MAX_DROPS_SHOWN } as RoundSummary : r;
}

/** One page of round history, newest last: at most `limit` rounds numbered below `before`. */
export async function historyPage(view: Pick<CoordinatorView, 'rounds'>, limit: number, before: number | null): Promise<{ rounds: RoundSummary[]; next: number | null }> {
  // One more than asked says whether an older page exists.
  const rows = await view.rounds(before, limit + 1);
  const rounds = rows.slice(Math.max(0, rows.length - limit)).map(bounded);
  const first = rounds[0];
  return { rounds, next: first !== undefined && rows.length > limit ? first.round : null };
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const body = await readBody(req);
  try {
    const v = body === null ? null : (JSON.parse(body) as unknown);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The status document of /api/status and the dashboard. */
export async function statusDocument(view: CoordinatorView, limit: number, before: number | null): Promise<DashboardStatus & { next: number | null }> {
  const page = await historyPage(view, limit, before);
  return {
    engine: view.engineState(),
    nodes: view.nodeCount(),
    modelVersion: view.modelVersion(),
    config: view.config(),
    waiting: view.waiting(),
    outcome: view.outcome(),
    rounds: page.rounds,
    next: page.next,
  };
}

/** A known node as the admin surface shows it (never its resume hash or token hash). */
export type NodeStatus = Omit<NodeRecord, 'resumeHash' | 'tokenKey'> & { status: 'ready' | 'training' | 'offline'; address: string | null };

/** Known nodes with their live state: `ready`, `training` (busy with an instruction), or `offline`. */
export async function nodeList(view: CoordinatorView, offset: number, limit: number): Promise<{ total: number; nodes: NodeStatus[] }> {
  const known = await view.knownNodes(offset, limit);
  const live = new Map(view.sessions(0, Number.MAX_SAFE_INTEGER).nodes.map((s) => [s.id, s]));
  return {
    total: known.total,
    nodes: known.nodes.map(({ resumeHash: _hash, tokenKey: _token, ...n }) => {
      const s = live.get(n.id);
      return { ...n, status: s === undefined ? 'offline' : s.ready ? 'ready' : 'training', address: s?.address ?? null };
    }),
  };
}

/** The request handler for every path socket.io does not own. */
export function createRoutes(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { view, admin, metrics } = deps;
  const deny = (res: ServerResponse) => {
    res.setHeader('www-authenticate', 'Basic realm="fedtune coordinator", charset="UTF-8"');
    json(res, 401, { error: { code: 'FT_ERR_AUTH', message: admin.configured ? 'admin token required (Authorization: Bearer TOKEN)' : 'no admin token is configured (adminTokens / adminTokenHashes)' } });
  };
  return (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://coordinator');
      const path = url.pathname;
      if (path === '/healthz' && req.method === 'GET') {
        const state = view.engineState();
        json(res, state === 'failed' ? 503 : 200, { ok: state !== 'failed', state, nodes: view.nodeCount(), model: view.modelVersion() });
        return;
      }
      if (path === '/metrics' && req.method === 'GET' && metrics !== null) {
        if (deps.metricsAuth && !admin.allows(req)) return deny(res);
        const { text, contentType } = await metrics.render();
        send(res, 200, text, contentType);
        return;
      }
      if (path.startsWith('/assets/') && req.method === 'GET') {
        // Public library code and the page's own script and style: nothing about the run.
        const asset = dashboardAsset(path.slice('/assets/'.length));
        if (asset === null) return json(res, 404, { error: { code: 'FT_ERR_MALFORMED', message: `no such asset: ${path.slice(0, 128)}` } });
        return send(res, 200, asset.body, asset.type, 'public, max-age=300');
      }
      const adminRoute = path === '/' || path.startsWith('/api/');
      if (!adminRoute) return json(res, 404, { error: { code: 'FT_ERR_MALFORMED', message: `no such path: ${path.slice(0, 128)}` } });
      if (!admin.allows(req)) return deny(res);
      const params = url.searchParams;
      const before = params.get('before') === null ? null : intParam(params, 'before', 0, 2 ** 31);
      if (path === '/' && req.method === 'GET') {
        const status = await statusDocument(view, 200, null);
        const nodes = await nodeList(view, 0, 200);
        if (params.get('fragment') === '1') return send(res, 200, renderFragment(status, nodes), 'text/html; charset=utf-8');
        res.setHeader('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
        send(res, 200, renderDashboard(status, nodes), 'text/html; charset=utf-8');
      } else if (path === '/api/status' && req.method === 'GET') {
        json(res, 200, await statusDocument(view, intParam(params, 'limit', 50, MAX_PAGE), before));
      } else if (path === '/api/nodes' && req.method === 'GET') {
        json(res, 200, view.sessions(intParam(params, 'offset', 0, 2 ** 31), intParam(params, 'limit', 100, MAX_PAGE)));
      } else if (path === '/api/nodes/known' && req.method === 'GET') {
        json(res, 200, await nodeList(view, intParam(params, 'offset', 0, 2 ** 31), intParam(params, 'limit', 100, MAX_PAGE)));
      } else if (path === '/api/models' && req.method === 'GET') {
        json(res, 200, { models: (await view.models()).map(({ tensors: _t, ...m }) => (void _t, m)) });
      } else if (path === '/api/models/tag' && req.method === 'POST') {
        const body = await readJsonBody(req);
        const version = body?.version;
        const tag = body?.tag;
        if (typeof version !== 'string' || typeof tag !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(tag)) {
          return json(res, 400, { error: { code: 'FT_ERR_MALFORMED', message: 'send {"version": "<hex>", "tag": "<1-64 of A-Z a-z 0-9 _ . : ->"} (at most 4 KiB)' } });
        }
        try {
          await view.tagModel(version, tag);
        } catch (err) {
          return json(res, 404, { error: { code: 'FT_ERR_UNKNOWN_MODEL', message: (err as Error).message.slice(0, 256) } });
        }
        json(res, 200, { version, tag });
      } else if (path === '/api/audit' && req.method === 'GET') {
        const kind = params.get('kind');
        if (kind !== null && !(AUDIT_KINDS as readonly string[]).includes(kind)) return json(res, 400, { error: { code: 'FT_ERR_MALFORMED', message: `kind must be one of ${AUDIT_KINDS.join(', ')}` } });
        const entries = await view.audit(intParam(params, 'after', 0, Number.MAX_SAFE_INTEGER), intParam(params, 'limit', 100, MAX_PAGE), (kind ?? undefined) as AuditKind | undefined);
        json(res, 200, { entries, next: entries.at(-1)?.id ?? null });
      } else if (path === '/api/tokens' && req.method === 'GET') {
        json(res, 200, { tokens: view.tokens() });
      } else if (path === '/api/tokens/revoke' && req.method === 'POST') {
        const label = (await readJsonBody(req))?.token;
        if (typeof label !== 'string') return json(res, 400, { error: { code: 'FT_ERR_MALFORMED', message: 'send {"token": "<label or hash>"} (at most 4 KiB)' } });
        const closed = await view.revokeToken(label);
        if (closed === null) return json(res, 404, { error: { code: 'FT_ERR_MALFORMED', message: 'no token with that label or hash' } });
        json(res, 200, { revoked: label, sessionsClosed: closed });
      } else {
        json(res, 404, { error: { code: 'FT_ERR_MALFORMED', message: `no such route: ${req.method} ${path.slice(0, 128)}` } });
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { code: 'FT_ERR_INTERNAL', message: 'internal error' } });
      else res.destroy();
      void err;
    });
  };
}
