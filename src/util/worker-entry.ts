/**
 * How to start a worker thread whose body is the module `name` beside `callerUrl`: the compiled
 * `.js` file, or, when the caller runs from its TypeScript source (the tests), the `.ts` file
 * through tsx's loader.
 */
export function workerEntry(callerUrl: string, name: string): { source: string | URL; eval: boolean } {
  if (!callerUrl.endsWith('.ts')) return { source: new URL(`./${name}.js`, callerUrl), eval: false };
  const entry = JSON.stringify(new URL(`./${name}.ts`, callerUrl).href);
  return { source: `import('tsx/esm/api').then((tsx) => tsx.tsImport(${entry}, ${JSON.stringify(callerUrl)}))`, eval: true };
}
