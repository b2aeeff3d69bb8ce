/**
 * A fixed pool of worker threads running one script. Tasks queue until a worker is free; a worker that
 * crashes fails its task and is replaced. Setup messages (`broadcast`) reach every worker before any
 * task sent after them, because each worker handles its messages in order.
 */
import { Worker, type Transferable } from 'node:worker_threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

interface Queued {
  msg: object;
  transfer: readonly Transferable[];
  pending: Pending;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly script: URL,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.script), busy: 0 };
    slot.worker.on('message', (msg: { id: number; result?: unknown; error?: string; code?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      slot.busy--;
      // The errno-like code (ENOSPC, EIO, …) travels with the message: it tells a transient fault.
      if (msg.error !== undefined) p.reject(Object.assign(new Error(msg.error), msg.code ? { code: msg.code } : {}));
      else p.resolve(msg.result);
      this.drain();
    });
    slot.worker.on('error', (err) => this.fail(slot, err));
    slot.worker.on('exit', (code) => {
      if (!this.closed) this.fail(slot, new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  private fail(slot: Slot, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.slot === slot) {
        this.pending.delete(id);
        p.reject(err);
      }
    }
    const i = this.slots.indexOf(slot);
    if (i >= 0 && !this.closed) {
      void slot.worker.terminate();
      this.slots[i] = this.spawn();
    }
  }

  /** Runs one task on the least busy worker (tasks queue when all are busy). */
  run<T>(msg: object, transfer: readonly Transferable[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ msg, transfer, pending: { resolve: resolve as (v: unknown) => void, reject } });
      this.drain();
    });
  }

  /** Sends a message to every worker and waits for all to acknowledge it. */
  broadcast(msg: object): Promise<unknown[]> {
    return Promise.all(this.slots.map((slot) => this.send(slot, msg, [])));
  }

  private drain(): void {
    while (this.queue.length) {
      const free = this.slots.find((s) => s.busy === 0);
      if (!free) return;
      const q = this.queue.shift()!;
      this.send(free, q.msg, q.transfer).then(q.pending.resolve, q.pending.reject);
    }
  }

  private send(slot: Slot, msg: object, transfer: readonly Transferable[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    const id = this.nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ ...msg, id }, transfer as Transferable[]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
