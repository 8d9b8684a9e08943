import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * Starts a worker thread on a module next to the caller: its built `.js` in production, or its
 * TypeScript source under tsx or vitest. Node 20 does not pass `--import tsx` on to worker threads,
 * so for source a small bootstrap loads the module through tsx's API.
 */
export function startModuleWorker(callerUrl: string, moduleBaseName: string, workerData?: unknown): Worker {
  const options = workerData === undefined ? {} : { workerData };
  if (!callerUrl.endsWith(".ts")) return new Worker(new URL(`./${moduleBaseName}.js`, callerUrl), options);
  // The "require" entry resolves to index.cjs; the worker needs the ES module entry beside it.
  const tsxApi = pathToFileURL(createRequire(callerUrl).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const moduleUrl = new URL(`./${moduleBaseName}.ts`, callerUrl).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(${JSON.stringify(moduleUrl)}, ${JSON.stringify(callerUrl)}));`;
  return new Worker(bootstrap, { ...options, eval: true });
}
