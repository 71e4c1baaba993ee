// Bounds on raw TCP connections before any protocol runs: a cap on open connections (the excess gets
// a 503 and is closed, so file descriptors cannot be exhausted), and a deadline for a connection to
// send a complete request or upgrade to a websocket (a socket that never sends a byte is closed).
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export interface ConnectionLimits {
  maxConnections: number;
  /** Time to a complete request head (HTTP) or an upgrade (websocket). */
  requestHeadersMs: number;
}

const REFUSAL = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 48\r\n\r\nFT_ERR_LIMIT: too many connections; retry later\n';

/** Installs the guard on `server` (http or https); returns the live connection count. */
export function guardConnections(server: HttpServer, limits: ConnectionLimits, metrics: Metrics, logger: Logger): () => number {
  const open = new Set<Socket>();
  let lastRefusalLog = 0;
  // Node's own bounds on slow requests, in the same spirit.
  server.headersTimeout = limits.requestHeadersMs;
  server.requestTimeout = Math.max(limits.requestHeadersMs, 60_000);
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    if (open.size >= limits.maxConnections) {
      metrics.connectionsRefused.inc({ reason: 'cap' });
      if (Date.now() - lastRefusalLog > 10_000) {
        lastRefusalLog = Date.now();
        logger.warn('connection refused: the connection cap is reached', { maxConnections: limits.maxConnections, address: socket.remoteAddress });
      }
      socket.end(REFUSAL);
      socket.destroySoon();
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    // Until a request head or an upgrade arrives, the connection has this long.
    socket.setTimeout(limits.requestHeadersMs, () => {
      metrics.connectionsRefused.inc({ reason: 'idle' });
      socket.destroy();
    });
  });
  const active = (req: IncomingMessage) => req.socket.setTimeout(0);
  server.on('request', active);
  // A websocket lives on its own pings (engine.io's heartbeat), not on this timeout.
  server.on('upgrade', active);
  return () => open.size;
}
