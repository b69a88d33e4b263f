/**
 * R3: the replay window of one session, bounded by message count and bytes. Seqs in the ring are
 * contiguous (Q2 gap-free, released only from the oldest end), so finding a seq is index
 * arithmetic: O(1), as is appending. Storage is allocated on the first push and doubles up to
 * the count bound, so ten thousand idle sessions do not each hold a thousand empty slots. A
 * class, not an object of getters: every ring shares one hidden class (smaller, faster).
 */

export interface ReplayRing {
  /** Seq of the oldest frame held, or latestSeq + 1 when empty. */
  readonly earliestSeq: number;
  /** Seq of the newest frame ever pushed (0 before the first). */
  readonly latestSeq: number;
  readonly size: number;
  readonly bytes: number;
  /** Adds the frame for seq latestSeq + 1, evicting the oldest frames to stay within bounds. */
  push(seq: number, frame: string, bytes: number): void;
  /** The frame for one seq, if still held. */
  get(seq: number): string | undefined;
  /** Frames with seq > afterSeq, oldest first. Caller checks afterSeq >= earliestSeq - 1. */
  framesAfter(afterSeq: number): string[];
  /** Q5: drops every frame with seq <= uptoSeq. */
  release(uptoSeq: number): void;
}

const EMPTY: never[] = [];

class Ring implements ReplayRing {
  private frames: (string | undefined)[] = EMPTY;
  private sizes: number[] = EMPTY;
  private head = 0; // index of the oldest frame
  size = 0;
  bytes = 0;
  latestSeq = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get earliestSeq(): number {
    return this.latestSeq - this.size + 1;
  }

  private slot(offset: number): number {
    return (this.head + offset) % this.frames.length;
  }

  private dropOldest(): void {
    this.bytes -= this.sizes[this.head]!;
    this.frames[this.head] = undefined;
    this.head = (this.head + 1) % this.frames.length;
    this.size--;
  }

  private grow(): void {
    const capacity = Math.min(Math.max(16, this.frames.length * 2), this.maxMessages);
    const frames = new Array<string | undefined>(capacity);
    const sizes = new Array<number>(capacity).fill(0);
    for (let i = 0; i < this.size; i++) {
      frames[i] = this.frames[this.slot(i)];
      sizes[i] = this.sizes[this.slot(i)]!;
    }
    this.frames = frames;
    this.sizes = sizes;
    this.head = 0;
  }

  push(seq: number, frame: string, frameBytes: number): void {
    if (seq !== this.latestSeq + 1) throw new Error(`replay ring: seq ${seq} pushed after ${this.latestSeq}; seqs must be gap-free`);
    if (this.size === this.frames.length && this.frames.length < this.maxMessages) this.grow();
    while (this.size > 0 && (this.size >= this.maxMessages || this.bytes + frameBytes > this.maxBytes)) this.dropOldest();
    const at = this.slot(this.size);
    this.frames[at] = frame;
    this.sizes[at] = frameBytes;
    this.size++;
    this.bytes += frameBytes;
    this.latestSeq = seq;
  }

  get(seq: number): string | undefined {
    const offset = seq - this.earliestSeq;
    return offset >= 0 && offset < this.size ? this.frames[this.slot(offset)] : undefined;
  }

  framesAfter(afterSeq: number): string[] {
    const earliest = this.earliestSeq;
    const out: string[] = [];
    for (let seq = Math.max(afterSeq + 1, earliest); seq <= this.latestSeq; seq++) out.push(this.frames[this.slot(seq - earliest)]!);
    return out;
  }

  release(uptoSeq: number): void {
    while (this.size > 0 && this.earliestSeq <= uptoSeq) this.dropOldest();
  }
}

export function createReplayRing(bounds: { readonly maxMessages: number; readonly maxBytes: number }): ReplayRing {
  return new Ring(bounds.maxMessages, bounds.maxBytes);
}
