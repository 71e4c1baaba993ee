// A protocol fuzzer for a live coordinator: many sockets (most authenticated, some not) send frames
// drawn from message-arbitraries.ts as fast as a small window of unanswered requests allows; a
// socket the coordinator disconnects (for repeated garbage) is replaced. It reports what came back,
// so a test can check that every refusal was coded and nothing hung or crashed.
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { MESSAGE_SCHEMAS, PROTOCOL_VERSION, decodeMessage, decodeReply, encodeUnchecked, type EventName } from '@fedtune/shared';
import { fuzzFrame, type FuzzFrame } from './message-arbitraries.js';

export interface FuzzOptions {
  url: string;
  /** A valid enrollment token: most sockets authenticate first, so messages reach the handlers. */
  token: string;
  /** Frames to send in all. */
  messages: number;
  /** Sockets sending at once. */
  sockets?: number;
  /** Unanswered requests one socket may have. */
  window?: number;
  /** fast-check seed: the same seed sends the same frames. */
  seed?: number;
  /** Share of sockets that never say hello. */
  unauthenticatedShare?: number;
}

export interface FuzzReport {
  sent: number;
  /** Replies by outcome: `ok`, an FT_ERR_* code, `no-reply` (timeout or disconnect), `bad-reply` (undecodable). */
  replies: Record<string, number>;
  /** `fedtune:error` notices received, by code. */
  notices: Record<string, number>;
  connections: number;
  /** Connections the coordinator closed. */
  disconnects: number;
  durationMs: number;
}

const BATCH = 500;
const ACKED = new Set(Object.entries(MESSAGE_SCHEMAS).filter(([, v]) => 'reply' in v).map(([k]) => k));
const ACK_TIMEOUT_MS = 10_000;

/** Sends `messages` fuzz frames to the coordinator at `url`; resolves with what came back. */
export async function fuzzCoordinator(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const report: FuzzReport = { sent: 0, replies: {}, notices: {}, connections: 0, disconnects: 0, durationMs: 0 };
  const count = (bucket: Record<string, number>, key: string) => (bucket[key] = (bucket[key] ?? 0) + 1);
  let batchNo = 0;
  let queue: FuzzFrame[] = [];
  const next = (): FuzzFrame | null => {
    if (report.sent >= o.messages) return null;
    if (queue.length === 0) queue = fc.sample(fuzzFrame, { numRuns: BATCH, seed: (o.seed ?? 1) * 1_000_003 + batchNo++ });
    report.sent++;
    return queue.pop()!;
  };
  const window = o.window ?? 16;
  const worker = async (w: number) => {
    for (let n = 0; report.sent < o.messages; n++) {
      const authenticate = (w * 7919 + n) % 100 >= (o.unauthenticatedShare ?? 0.2) * 100;
      await runSocket(authenticate);
    }
  };
  const runSocket = (authenticate: boolean) =>
    new Promise<void>((resolve) => {
      const socket: Socket = io(o.url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10_000 });
      report.connections++;
      let inFlight = 0;
      let closed = false;
      let pump = () => {};
      const finish = () => {
        if (closed) return;
        closed = true;
        socket.disconnect();
        resolve();
      };
      socket.on('fedtune:error', (f: unknown) => {
        try {
          count(report.notices, decodeMessage('fedtune:error', f).code);
        } catch {
          count(report.notices, 'bad-notice');
        }
      });
      socket.on('disconnect', (reason) => {
        if (reason === 'io server disconnect' || reason === 'transport close') report.disconnects++;
        finish();
      });
      socket.on('connect_error', finish);
      const send = (frame: FuzzFrame) => {
        const payload = frame.kind === 'raw' ? frame.payload : encodeUnchecked(frame.value);
        // Events the coordinator never acknowledges (fit:failure, unknown names) get no callback:
        // waiting for an ack that cannot come would only idle the window.
        if (frame.kind === 'noAck' || !ACKED.has(frame.event)) {
          socket.emit(frame.event, payload);
          return;
        }
        inFlight++;
        socket.timeout(ACK_TIMEOUT_MS).emit(frame.event, payload, (err: Error | null, reply: unknown) => {
          inFlight--;
          if (err !== null) count(report.replies, 'no-reply');
          else {
            try {
              const r = decodeReply(frame.event as EventName, reply) as { ok: boolean; error?: { code: string } };
              count(report.replies, r.ok ? 'ok' : r.error!.code);
            } catch {
              count(report.replies, 'bad-reply');
            }
          }
          pump();
        });
      };
      pump = () => {
        while (!closed && socket.connected && inFlight < window) {
          const frame = next();
          if (frame === null) {
            if (inFlight === 0) finish();
            return;
          }
          send(frame);
        }
      };
      socket.on('connect', () => {
        if (!authenticate) return pump();
        socket.timeout(ACK_TIMEOUT_MS).emit('hello', encodeUnchecked({ protocolVersion: PROTOCOL_VERSION, token: o.token }), () => pump());
      });
    });
  await Promise.all(Array.from({ length: o.sockets ?? 8 }, (_, w) => worker(w)));
  report.durationMs = Date.now() - started;
  return report;
}
