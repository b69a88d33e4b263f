/**
 * Synthetic specs for the benchmarks: the canonical contract plus `count` server-to-client data
 * messages, each with its own payload (five shapes, rotated, each varied by its index so no two
 * messages compile to the same code) and a valid example.
 */
const SESSION = 'q3Jt0Yz8uVbK2mXw5LcP9a';

/** Payload shapes, rotated so the synthetic messages are not one schema repeated. */
const SHAPES = [
  (i) => ({
    schema: {
      type: 'object',
      required: ['id', 'label'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
        label: { type: 'string', maxLength: 100 + i },
        level: { type: 'string', enum: ['info', 'warn', 'error', `level_${i}`] },
      },
    },
    example: { id: `item-${i}`, label: 'Deploy finished', level: 'info' },
  }),
  (i) => ({
    schema: {
      type: 'object',
      required: ['window', 'points'],
      additionalProperties: false,
      properties: {
        window: { type: 'integer', minimum: 1, maximum: 3600 + i },
        points: {
          type: 'array',
          minItems: 1,
          maxItems: 500,
          items: {
            type: 'object',
            required: ['name', 'value'],
            additionalProperties: false,
            properties: { name: { type: 'string', minLength: 1 }, value: { type: 'number' }, unit: { type: 'string', enum: ['ms', 'bytes', 'count'] } },
          },
        },
      },
    },
    example: { window: 60, points: [{ name: `metric_${i}`, value: 1.5, unit: 'ms' }] },
  }),
  (i) => ({
    schema: {
      type: 'object',
      required: ['conversation_id', 'status'],
      additionalProperties: false,
      properties: {
        conversation_id: { $ref: '#/$defs/ConversationId' },
        status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] },
        done: { type: 'boolean' },
        detail: {
          type: 'object',
          additionalProperties: false,
          properties: { attempt: { type: 'integer', minimum: 0 }, reason: { type: 'string', maxLength: 500 + i }, retry_after_ms: { type: 'integer', minimum: 0 } },
        },
      },
    },
    example: { conversation_id: `c-${i}`, status: 'running', detail: { attempt: 1 } },
  }),
  (i) => ({
    schema: {
      type: 'object',
      required: ['view_id', 'root'],
      additionalProperties: false,
      properties: { view_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, root: { $ref: '#/$defs/UiNode' }, slot: { type: 'integer', minimum: 0, maximum: i + 1 } },
    },
    example: { view_id: `view-${i}`, root: { id: 'root', component: 'Column', children: [{ id: 'title', component: 'Text', props: { text: 'Hi' } }] } },
  }),
  (i) => ({
    schema: {
      type: 'object',
      required: ['tags', 'value'],
      additionalProperties: false,
      properties: {
        tags: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' } },
        value: { oneOf: [{ type: 'string', maxLength: 64 }, { type: 'integer', minimum: -i }] },
        schema_version: { const: 2 },
      },
    },
    example: { tags: ['alpha', `tag_${i}`], value: 7, schema_version: 2 },
  }),
];

/** The canonical spec (parsed) plus `count` server-to-client data messages, each with a valid example. */
export function syntheticSpec(canonical, count) {
  const spec = structuredClone(canonical);
  for (let i = 0; i < count; i++) {
    const { schema, example } = SHAPES[i % SHAPES.length](i);
    const type = `bench.event_${i}`;
    spec.$defs[`BenchEvent${String(i).padStart(3, '0')}`] = {
      description: `Synthetic data message ${i} (shape ${i % SHAPES.length}).`,
      'x-message': { type, direction: 'server-to-client', role: 'data' },
      type: 'object',
      required: ['type', 'header', 'payload'],
      additionalProperties: false,
      properties: { type: { const: type }, header: { $ref: '#/$defs/DataHeader' }, payload: schema },
      examples: [{ type, header: { session_id: SESSION, seq: i + 1 }, payload: example }],
    };
  }
  return spec;
}
