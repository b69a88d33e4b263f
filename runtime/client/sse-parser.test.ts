/**
 * The SSE stream parser of the fetch-based SSE transport: LF, CRLF and CR line ends, multi-line
 * data, comments (heartbeats), fields the client ignores, and chunk boundaries anywhere — in the
 * middle of a field name, of a data line, and between the CR and LF of one line end.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from './backoff.js';
import { createSseParser } from './transports/sse.js';

type Out = ({ data: string } | { comment: true })[];

/** Feeds `chunks` to a fresh parser; returns what it reported, in order. */
function parse(chunks: readonly string[]): Out {
  const out: Out = [];
  const feed = createSseParser(
    (data) => out.push({ data }),
    () => out.push({ comment: true }),
  );
  for (const c of chunks) feed(c);
  return out;
}

/** Every way to cut `text` into two chunks, and into single characters. */
function splits(text: string): string[][] {
  const ways: string[][] = [[text], [...text]];
  for (let i = 0; i <= text.length; i++) ways.push([text.slice(0, i), text.slice(i)]);
  return ways;
}

/** Every way to cut `text` into three chunks. */
function splits3(text: string): string[][] {
  const ways: string[][] = [];
  for (let i = 0; i <= text.length; i++) for (let j = i; j <= text.length; j++) ways.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
  return ways;
}

const frame = (seq: number) => JSON.stringify({ type: 'agent.event', header: { session_id: 'AAAAAAAAAAAAAAAAAAAAAA', seq }, payload: { text: `m${seq}` } });

describe('createSseParser', () => {
  it('parses LF-terminated events with id lines (what the server sends)', () => {
    expect(parse([`id: 1\ndata: ${frame(1)}\n\nid: 2\ndata: ${frame(2)}\n\n`])).toEqual([{ data: frame(1) }, { data: frame(2) }]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('parses %s line ends', (_name, eol) => {
    const text = ['id: 7', 'data: {"a":1}', '', ': heartbeat 7', '', 'data: two', '', ''].join(eol);
    expect(parse([text])).toEqual([{ data: '{"a":1}' }, { comment: true }, { data: 'two' }]);
  });

  it('mixes line ends within one stream', () => {
    expect(parse(['data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r'])).toEqual([{ data: 'a\nb\nc' }, { data: 'd' }]);
  });

  it('joins multi-line data with LF and strips exactly one space after the colon', () => {
    expect(parse(['data: line 1\ndata:line 2\ndata:  indented\ndata:\n\n'])).toEqual([{ data: 'line 1\nline 2\n indented\n' }]);
  });

  it('reports comments (heartbeats) without dispatching an event, even in the middle of one', () => {
    expect(parse([': hi\n\ndata: x\n: keepalive\ndata: y\n\n:\n'])).toEqual([{ comment: true }, { comment: true }, { data: 'x\ny' }, { comment: true }]);
  });

  it('ignores id, event and retry fields and blank lines without data', () => {
    expect(parse(['retry: 100\n\nevent: other\nid: 9\n\n\n\nid: 10\nevent: message\ndata: z\n\n'])).toEqual([{ data: 'z' }]);
  });

  it('does not dispatch an event that is not yet terminated by a blank line (an unfinished stream)', () => {
    expect(parse(['data: complete\n\ndata: {"partial":'])).toEqual([{ data: 'complete' }]);
    expect(parse(['data: whole line but no blank line\n'])).toEqual([]);
  });

  const stream = `id: 1\r\ndata: ${frame(1)}\r\n\r\n: heartbeat 1\r\n\r\nid: 2\r\ndata: first\r\ndata: second\r\n\r\n`;
  const expected = [{ data: frame(1) }, { comment: true }, { data: 'first\nsecond' }];

  it('gives the same result for every split of a CRLF stream into two chunks (also between CR and LF)', () => {
    for (const chunks of splits(stream)) expect(parse(chunks), JSON.stringify(chunks)).toEqual(expected);
  });

  it('gives the same result for every split into three chunks, including empty chunks', () => {
    const small = 'data: a\r\ndata: b\r\n\r\n:c\r\rdata: d\n\n';
    const want = parse([small]);
    expect(want).toEqual([{ data: 'a\nb' }, { comment: true }, { data: 'd' }]);
    for (const chunks of splits3(small)) expect(parse(chunks), JSON.stringify(chunks)).toEqual(want);
  });

  it('a CR at the end of one chunk and a LF at the start of the next is one line end, not a blank line', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([{ data: 'a\nb' }]);
  });

  it('a chunk that is only the LF of a split CRLF does not swallow the LF of the blank line after it', () => {
    expect(parse(['data: a\r', '\n', '\n'])).toEqual([{ data: 'a' }]);
    expect(parse(['data: a\r', '\n', '', '\r\n'])).toEqual([{ data: 'a' }]);
  });

  it('a stream of bare CRs split after each CR keeps blank lines as blank lines', () => {
    expect(parse(['data: a\r', '\r', 'data: b\r', '\r'])).toEqual([{ data: 'a' }, { data: 'b' }]);
  });

  it('random chunking of a long mixed stream (seeded) gives the same events as one chunk', () => {
    const eols = ['\n', '\r\n', '\r'];
    const random = seededRandom(2024);
    let text = '';
    for (let i = 1; i <= 300; i++) {
      const eol = eols[i % 3]!;
      if (i % 7 === 0) text += `: heartbeat ${i}${eol}${eol}`;
      text += `id: ${i}${eol}data: ${frame(i)}${eol}${i % 5 === 0 ? `data: extra ${i}${eol}` : ''}${eol}`;
    }
    const want = parse([text]);
    expect(want.filter((e) => 'data' in e)).toHaveLength(300);
    for (let round = 0; round < 20; round++) {
      const chunks: string[] = [];
      for (let at = 0; at < text.length; ) {
        const n = Math.floor(random() * 40);
        chunks.push(text.slice(at, at + n));
        at += n;
      }
      expect(parse(chunks)).toEqual(want);
    }
  });

  it('handles a frame split across many small chunks with multi-byte text', () => {
    const data = JSON.stringify({ text: 'héllo wörld — ✓ 🎉'.repeat(50) });
    const text = `data: ${data}\n\n`;
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 3) chunks.push(text.slice(i, i + 3));
    expect(parse(chunks)).toEqual([{ data }]);
  });

  it("reports each event's own id field, not a sticky one (the probe checks that control events have none)", () => {
    for (const chunks of splits(`id: 1\ndata: a\n\ndata: hello\n\nid:2\r\ndata: b\r\n\r\n: beat\n\ndata: c\n\n`)) {
      const ids: (string | undefined)[] = [];
      const feed = createSseParser(
        (_data, id) => ids.push(id),
        () => undefined,
      );
      for (const c of chunks) feed(c);
      expect(ids).toEqual(['1', undefined, '2', undefined]);
    }
  });
});

describe('createSseParser, what a conformance probe reads', () => {
  it('reports how many data: lines an event had, the text of comments and every other field', () => {
    const events: [string, string | undefined, number][] = [];
    const comments: string[] = [];
    const fields: string[] = [];
    const feed = createSseParser(
      (data, id, lines) => events.push([data, id, lines]),
      (text) => comments.push(text),
      (name) => fields.push(name),
    );
    feed('id: 1\ndata: {"a":1}\n\nevent: tick\ndata: one\ndata: two\n\n: heartbeat 1\nretry: 50\n\n');
    expect(events).toEqual([
      ['{"a":1}', '1', 1],
      ['one\ntwo', undefined, 2],
    ]);
    expect(comments).toEqual(['heartbeat 1']);
    expect(fields).toEqual(['event', 'retry']);
  });
});
