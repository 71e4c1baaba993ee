// The coordinator's HTTP surface beside socket.io: /healthz (open, the engine's real state), the
// dashboard and the /api routes (admin token), /metrics (open, or admin with metricsAuth), and a
// 404 for everything else. Every response is bounded: history and node lists come in pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineState } from '../round/round-engine.js';
import type { RoundSummary } from '../round/round-summary.js';
import type { SessionInfo } from '../transport/socket-server.js';
import { renderDashboard, type DashboardState } from '../dashboard.js';
import type { Metrics } from '../metrics.js';
import type { AdminAuth } from './admin-auth.js';

/** What the routes read from (and do to) the running coordinator. */
export interface CoordinatorView {
  engineState(): EngineState;
  nodeCount(): number;
  modelVersion(): string | null;
  config(): DashboardState['config'];
  history(): readonly RoundSummary[];
  sessions(offset: number, limit: number): { total: number; nodes: SessionInfo[] };
  tokens(): { label: string; maxSessions: number; revoked: boolean }[];
  revokeToken(labelOrHash: string): number | null;
}

export interface RouteDeps {
  view: CoordinatorView;
  admin: AdminAuth;
  metrics: Metrics;
  metricsAuth: boolean;
}

const MAX_PAGE = 500;
const MAX_DROPS_SHOWN = 100;
const MAX_BODY_BYTES = 4096;

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value));
}

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  const n = raw === null ? fallback : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
}

/** One page of round history, newest last: at most `limit` rounds numbered below `before`. */
export function historyPage(history: readonly RoundSummary[], limit: number, before: number | null): { rounds: RoundSummary[]; next: number | null } {
  const older = before === null ? history : history.filter((r) => r.round < before);
  const rounds = older.slice(Math.max(0, older.length - limit)).map((r) =>
    r.droppedDetail.length > MAX_DROPS_SHOWN ? { ...r, droppedDetail: r.droppedDetail.slice(0, MAX_DROPS_SHOWN), droppedDetailTruncated: r.droppedDetail.length - MAX_DROPS_SHOWN } : r,
  );
  const first = rounds[0];
  return { rounds, next: first !== undefined && older.length > rounds.length ? first.round : null };
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
      if (path === '/metrics' && req.method === 'GET') {
        if (deps.metricsAuth && !admin.allows(req)) return deny(res);
        const { text, contentType } = await metrics.render();
        send(res, 200, text, contentType);
        return;
      }
      const adminRoute = path === '/' || path.startsWith('/api/');
      if (!adminRoute) return json(res, 404, { error: { code: 'FT_ERR_MALFORMED', message: `no such path: ${path.slice(0, 128)}` } });
      if (!admin.allows(req)) return deny(res);
      const params = url.searchParams;
      if (path === '/' && req.method === 'GET') {
        const state: DashboardState = { nodes: view.nodeCount(), modelVersion: view.modelVersion(), config: view.config(), rounds: historyPage(view.history(), 200, null).rounds };
        send(res, 200, renderDashboard(state), 'text/html; charset=utf-8');
      } else if (path === '/api/status' && req.method === 'GET') {
        const before = params.get('before');
        const page = historyPage(view.history(), intParam(params, 'limit', 50, MAX_PAGE), before === null ? null : intParam(params, 'before', 0, 2 ** 31));
        json(res, 200, { engine: view.engineState(), nodes: view.nodeCount(), modelVersion: view.modelVersion(), config: view.config(), rounds: page.rounds, next: page.next });
      } else if (path === '/api/nodes' && req.method === 'GET') {
        json(res, 200, view.sessions(intParam(params, 'offset', 0, 2 ** 31), intParam(params, 'limit', 100, MAX_PAGE)));
      } else if (path === '/api/tokens' && req.method === 'GET') {
        json(res, 200, { tokens: view.tokens() });
      } else if (path === '/api/tokens/revoke' && req.method === 'POST') {
        const body = await readBody(req);
        let label: unknown;
        try {
          label = body === null ? undefined : (JSON.parse(body) as { token?: unknown }).token;
        } catch {
          label = undefined;
        }
        if (typeof label !== 'string') return json(res, 400, { error: { code: 'FT_ERR_MALFORMED', message: 'send {"token": "<label or hash>"} (at most 4 KiB)' } });
        const closed = view.revokeToken(label);
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
