/**
 * C2.1/C4: when an attached client hears protocol.received — once per tick for every frame the
 * store accepted in it, ahead of data a handler emits, never ahead of a reply, never on an
 * attachment the session has left, and always with the session's acked as the store raised it.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../frames.js';
import { createAckScheduler } from './ack-scheduler.js';
import type { Attachment } from './server-core.js';
import { localSession, type LocalSession } from './session-binding.js';
import { frameParts, stamp } from './store.js';

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

/** A session bound to an attachment that records the frames it is given, in order. */
function setup(): { session: LocalSession; attachment: Attachment; wire: string[]; scheduler: ReturnType<typeof createAckScheduler> } {
  const wire: string[] = [];
  const attachment: Attachment = { kind: 'websocket', send: (frame) => void wire.push(frame), heartbeat: () => undefined, close: () => undefined };
  const session = localSession('q3Jt0Yz8uVbK2mXw5LcP9a', '1.1', { clientKey: 'k', owner: '', principal: undefined }, 0);
  session.attachment = attachment;
  const scheduler = createAckScheduler({ sendControl: (a, frame: Frame) => a.send(JSON.stringify(frame)) });
  return { session, attachment, wire, scheduler };
}
const data = (session: LocalSession, cseq?: number): string => stamp(frameParts('agent.event', session.id, '{}', cseq), 1).frame;
const acks = (wire: readonly string[]): number[] => wire.filter((f) => f.includes('"protocol.received"')).map((f) => (JSON.parse(f) as { payload: { acked: number } }).payload.acked);

describe('createAckScheduler (C2.1, C4)', () => {
  it('acknowledges the frames accepted in one tick once, with the highest cseq accepted by then', async () => {
    const { session, attachment, wire, scheduler } = setup();
    for (let cseq = 1; cseq <= 20; cseq++) {
      session.acked = cseq; // the store's answer raised it before `accepted`
      scheduler.accepted(session, attachment);
    }
    expect(wire).toEqual([]); // not one per frame
    await tick();
    expect(acks(wire)).toEqual([20]);
    await tick();
    expect(acks(wire)).toEqual([20]); // and nothing more without new frames
  });

  it('sends a waiting acknowledgement ahead of data a handler emits, but not ahead of a reply (which settles its sends itself)', async () => {
    const { session, attachment, wire, scheduler } = setup();
    session.acked = 3;
    scheduler.accepted(session, attachment);
    const reply = data(session, 3);
    scheduler.beforeData(session, reply);
    wire.push(reply);
    expect(acks(wire)).toEqual([]); // the reply went first, alone
    const event = data(session);
    scheduler.beforeData(session, event);
    wire.push(event);
    expect(acks(wire)).toEqual([3]);
    expect(wire.indexOf(event)).toBeGreaterThan(wire.findIndex((f) => f.includes('"protocol.received"')));
    await tick();
    expect(acks(wire)).toEqual([3]); // already sent: not again at the end of the tick
  });

  it('says nothing on an attachment the session has left', async () => {
    const { session, attachment, wire, scheduler } = setup();
    session.acked = 1;
    scheduler.accepted(session, attachment);
    session.attachment = undefined;
    await tick();
    expect(wire).toEqual([]);
  });
});
