import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyPluginAsync, FastifyReply } from "fastify";

/**
 * The supervisors' dashboard: plain HTML, CSS and ES modules under `static/`, served at /dashboard
 * without a token (the page's login form asks for one; every API call it makes carries it). The
 * files are read once at registration into a fixed table, so a request can only ever name one of
 * them — there is no path to traverse.
 */
export interface DashboardOptions {
  /** Folder of the static files; default: `static/` beside this module, or the source tree's when running from dist/. */
  readonly staticDir?: string;
}

interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8",
};

/**
 * No inline script or style, nothing from elsewhere: an alert text that smuggles markup can at worst
 * show as text. `connect-src 'self'` covers the API and the alert stream.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function defaultStaticDir(): string {
  const beside = fileURLToPath(new URL("./static/", import.meta.url));
  if (existsSync(beside)) return beside;
  // tsc does not copy non-TypeScript files: from dist/gateway/dashboard/ the source folder is three up.
  return fileURLToPath(new URL("../../../gateway/dashboard/static/", import.meta.url));
}

export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType === undefined) continue;
      const body = readFileSync(path);
      const key = relative(dir, path).split(sep).join("/");
      files.set(key, { body, contentType, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` });
    }
  };
  walk(dir);
  return files;
}

function send(reply: FastifyReply, file: StaticFile, ifNoneMatch: string | undefined): FastifyReply {
  reply
    .header("content-security-policy", DASHBOARD_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cache-control", "no-cache")
    .header("etag", file.etag);
  if (ifNoneMatch === file.etag) return reply.code(304).send();
  return reply.type(file.contentType).send(file.body);
}

export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const dir = options.staticDir ?? defaultStaticDir();
  const files = loadStaticFiles(dir);
  const index = files.get("index.html");
  if (index === undefined) throw new Error(`dashboard: no index.html in ${dir}`);

  app.get("/dashboard", { schema: { hide: true } }, (_request, reply) => reply.redirect("/dashboard/"));
  app.get("/dashboard/", { schema: { hide: true } }, (request, reply) => send(reply, index, request.headers["if-none-match"]));
  app.get<{ Params: { "*": string } }>("/dashboard/*", { schema: { hide: true } }, (request, reply) => {
    const file = files.get(request.params["*"]);
    if (file === undefined) return reply.code(404).send({ error: { code: "not_found", message: "no such dashboard file" } });
    return send(reply, file, request.headers["if-none-match"]);
  });
};

/** Default export, so the API registers it with one line: `app.register(import("../dashboard/dashboard-plugin.js"))`. */
export default dashboardPlugin;
