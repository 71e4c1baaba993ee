// A protocol-level node for hostile tests: speaks socket.io directly and sends whatever frames
// the test gives it, valid or not.
import { afterEach } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, decodeMessage, decodeReply, encodeMessage, type EventName, type MessageOf, type ReplyOf } from '@fedtune/shared';

const sockets: Socket[] = [];
afterEach(() => {
  while (sockets.length > 0) sockets.pop()!.disconnect();
});

export class RawNode {
  readonly socket: Socket;
  readonly notices: MessageOf<'fedtune:error'>[] = [];

  constructor(url: string) {
    this.socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(this.socket);
    this.socket.on('fedtune:error', (f: unknown) => this.notices.push(decodeMessage('fedtune:error', f)));
  }

  connected(): Promise<void> {
    return this.socket.connected ? Promise.resolve() : new Promise((r) => this.socket.once('connect', () => r()));
  }

  disconnected(): Promise<string> {
    return this.socket.disconnected ? Promise.resolve('already') : new Promise((r) => this.socket.once('disconnect', (reason) => r(reason)));
  }

  /** Emits raw arguments and resolves with the decoded reply of `event`'s reply schema. */
  async requestRaw<E extends EventName>(event: E, frame: unknown): Promise<ReplyOf<E>> {
    const reply: unknown = await this.socket.timeout(10_000).emitWithAck(event, frame);
    return decodeReply(event, reply);
  }

  request<E extends EventName>(event: E, message: MessageOf<E>): Promise<ReplyOf<E>> {
    return this.requestRaw(event, encodeMessage(event, message));
  }

  /** Says hello and, once welcomed, that it is ready to be selected (as the SDK does). */
  async hello(token: string, protocolVersion = PROTOCOL_VERSION, ready = true) {
    await this.connected();
    const reply = await this.request('hello', { protocolVersion, token });
    if (reply.ok && ready) await this.request('ready', {});
    return reply;
  }

  /** The next instruction of a kind, decoded. */
  next<E extends 'round:fit' | 'round:evaluate' | 'round:end' | 'training:finished'>(event: E): Promise<MessageOf<E>> {
    const socket = this.socket as unknown as { once(e: string, listener: (f: unknown) => void): void };
    return new Promise((resolve) => socket.once(event, (f) => resolve(decodeMessage(event, f))));
  }
}
