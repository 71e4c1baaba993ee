// A counting semaphore: upload slots. A node waiting for a slot has its ack held back, which is
// the backpressure that keeps the coordinator's buffers bounded.
export class Semaphore {
  private waiters: (() => void)[] = [];

  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}
