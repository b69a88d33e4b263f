// Stands in for DOMPurify, which needs a browser DOM and is only used by Mermaid to sanitise
// labels after a diagram has parsed. Parsing, what the conformance test checks, does not use it.
const purify = {
  isSupported: true,
  sanitize: (text) => String(text),
  addHook() {},
  removeHook() {},
  removeHooks() {},
  removeAllHooks() {},
  setConfig() {},
  clearConfig() {},
};
export default purify;
