// Module resolve hook: `dompurify` → the stub beside this file. Nothing else is redirected.
export async function resolve(specifier, context, next) {
  if (specifier === 'dompurify') return { url: new URL('./dompurify-stub.mjs', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
