/**
 * Every name generated code gives a contract's things, computed here and nowhere else: the
 * method name of a message, the type-name prefix of the API, validator names, the Python
 * package's names. The model applies these once; lint rules ask them what a spec would become
 * (to report a clash before the model is built), and emitters read the results from the model.
 */
import { tsIdentifier, type Code } from '../escape.js';
import { camelCase, pascalCase, snakeCase } from '../naming.js';

/** `ui.render` → `uiRender`: the method of a message in `ctx.emit`, `on`, `send` and handlers. */
export function memberName(type: string): string {
  return camelCase(type);
}

/** `agent-ui` → `AgentUi`: the prefix of every type and factory of the generated API. */
export function apiPrefix(contractName: string): string {
  return pascalCase(contractName);
}

/** The types the generated API names after the contract (`<Prefix>Handlers`, …). */
const API_TYPES = ['Protocol', 'Emitter', 'Context', 'Handlers', 'ServerOptions', 'Server', 'ClientOptions', 'Listeners', 'Senders', 'History', 'Client'] as const;

export type ApiNames = { readonly [T in (typeof API_TYPES)[number] as Uncapitalize<T>]: Code } & { readonly prefix: Code; readonly serverFactory: Code; readonly clientFactory: Code };

/** The generated API's names, from its prefix (G1: checked identifiers). */
export function apiNames(prefix: string): ApiNames {
  const types = Object.fromEntries(API_TYPES.map((t) => [t[0]!.toLowerCase() + t.slice(1), tsIdentifier(`${prefix}${t}`)]));
  return { ...(types as { [T in (typeof API_TYPES)[number] as Uncapitalize<T>]: Code }), prefix: tsIdentifier(prefix), serverFactory: tsIdentifier(`create${prefix}Server`), clientFactory: tsIdentifier(`create${prefix}Client`) };
}

/** `UiRender` → `validateUiRender` (validators.ts). */
export function validatorName(typeName: string): Code {
  return tsIdentifier(`validate${typeName}`);
}

/** `UiRender` → `validateUiRenderPayload`: the payload validator of a data message (Q3). */
export function payloadValidatorName(typeName: string): Code {
  return tsIdentifier(`validate${typeName}Payload`);
}

/** `UiRender` → `rawUiRender`: the Ajv function in validators.ajv.ts (distinct, so validators.ts can import it). */
export function rawValidatorName(typeName: string): Code {
  return tsIdentifier(`raw${typeName}`);
}

/** `UiRender` → `rawUiRenderPayload`. */
export function rawPayloadValidatorName(typeName: string): Code {
  return tsIdentifier(`raw${typeName}Payload`);
}

/** Names the generated types declare themselves: a `$defs` entry may not take one. */
export const RESERVED_TYPE_NAMES: readonly string[] = ['Message', 'ServerMessage', 'ClientMessage', 'ServerDataMessage', 'ServerControlMessage', 'MessageType', 'MessageByType', 'PayloadOf', 'ServerMessageType', 'ClientMessageType'];

// ── Python (the `--target python` package) ───────────────────────────────────────────────────────
// Computed for every contract; checked by pyIdentifier where the Python emitter writes them, so
// that a name only Python cannot take fails only a Python build.

/** The package and API names of the Python target (`agent-ui` → `agent_ui`, `AgentUiHandlers`, `create_agent_ui_server`). */
export function pythonNames(contractName: string) {
  const stem = pascalCase(contractName);
  const snake = snakeCase(contractName);
  return {
    package: snake,
    emitter: `${stem}Emitter`,
    fanOut: `${stem}FanOut`,
    handlers: `${stem}Handlers`,
    context: `${stem}Context`,
    server: `${stem}Server`,
    factory: `create_${snake}_server`,
  } as const;
}

/** `ui.render` → `ui_render`: a message's method in the Python emitter and handlers. */
export function pythonMember(type: string): string {
  return snakeCase(type);
}

/** `UiRender` → `validate_ui_render`. */
export function pythonValidator(typeName: string): string {
  return `validate_${snakeCase(typeName)}`;
}
