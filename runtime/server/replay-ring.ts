/**
 * R3: the replay window of one session, bounded by message count and bytes. Seqs in the ring are
 * contiguous (Q2 gap-free, released only from the oldest end), so finding a seq is index
 * arithmetic: O(1), as is appending. Storage starts small and doubles up to the count bound, so
 * ten thousand idle sessions do not each hold a thousand empty slots.
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

export function createReplayRing(bounds: { readonly maxMessages: number; readonly maxBytes: number }): ReplayRing {
  let frames: (string | undefined)[] = new Array<string | undefined>(Math.min(16, bounds.maxMessages));
  let sizes: number[] = new Array<number>(frames.length).fill(0);
  let head = 0; // index of the oldest frame
  let size = 0;
  let bytes = 0;
  let latestSeq = 0;

  const slot = (offset: number): number => (head + offset) % frames.length;

  const dropOldest = (): void => {
    bytes -= sizes[head]!;
    frames[head] = undefined;
    head = (head + 1) % frames.length;
    size--;
  };

  const grow = (): void => {
    const capacity = Math.min(frames.length * 2, bounds.maxMessages);
    const nextFrames = new Array<string | undefined>(capacity);
    const nextSizes = new Array<number>(capacity).fill(0);
    for (let i = 0; i < size; i++) {
      nextFrames[i] = frames[slot(i)];
      nextSizes[i] = sizes[slot(i)]!;
    }
    frames = nextFrames;
    sizes = nextSizes;
    head = 0;
  };

  return {
    get earliestSeq() {
      return latestSeq - size + 1;
    },
    get latestSeq() {
      return latestSeq;
    },
    get size() {
      return size;
    },
    get bytes() {
      return bytes;
    },
    push(seq, frame, frameBytes) {
      if (seq !== latestSeq + 1) throw new Error(`replay ring: seq ${seq} pushed after ${latestSeq}; seqs must be gap-free`);
      if (size === frames.length && frames.length < bounds.maxMessages) grow();
      while (size > 0 && (size >= bounds.maxMessages || bytes + frameBytes > bounds.maxBytes)) dropOldest();
      const at = slot(size);
      frames[at] = frame;
      sizes[at] = frameBytes;
      size++;
      bytes += frameBytes;
      latestSeq = seq;
    },
    get(seq) {
      const offset = seq - (latestSeq - size + 1);
      return offset >= 0 && offset < size ? frames[slot(offset)] : undefined;
    },
    framesAfter(afterSeq) {
      const first = Math.max(afterSeq + 1, latestSeq - size + 1);
      const out: string[] = [];
      for (let seq = first; seq <= latestSeq; seq++) out.push(frames[slot(seq - (latestSeq - size + 1))]!);
      return out;
    },
    release(uptoSeq) {
      while (size > 0 && latestSeq - size + 1 <= uptoSeq) dropOldest();
    },
  };
}
