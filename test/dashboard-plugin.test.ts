import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_CSP, defaultStaticDir } from "../gateway/dashboard/dashboard-plugin.js";
import { apiHarness, type ApiHarness } from "../gateway/http/api-test-harness.js";

/** The dashboard's files as the gateway serves them: no token for the page, a strict CSP, nothing else reachable. */
let harness: ApiHarness;

beforeAll(async () => {
  harness = await apiHarness();
});

afterAll(async () => {
  await harness.close();
});

describe("dashboard files served by the gateway", () => {
  it("serves the page without a token, with a CSP that allows no inline script or foreign origin", async () => {
    const redirect = await harness.app.inject({ method: "GET", url: "/dashboard" });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe("/dashboard/");
    const page = await harness.app.inject({ method: "GET", url: "/dashboard/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain("unsafe-inline");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.body).toContain('<html lang="zh-CN">');
    expect(page.body).toContain('src="/dashboard/js/main.js"');
  });

  it("serves every module the page imports, with a JavaScript type", async () => {
    const dir = defaultStaticDir();
    const modules = readdirSync(`${dir}/js`, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".js"));
    expect(modules).toEqual(expect.arrayContaining(["main.js", "api.js", "views/inbox.js", "views/alert-detail.js"]));
    for (const name of modules) {
      const response = await harness.app.inject({ method: "GET", url: `/dashboard/js/${name}` });
      expect(response.statusCode, name).toBe(200);
      expect(response.headers["content-type"]).toBe("text/javascript; charset=utf-8");
      // Relative imports only, each to a file that exists: the browser resolves them against /dashboard/js/.
      for (const match of response.body.matchAll(/from "(\.[^"]+)"/g)) {
        const target = new URL(match[1] ?? "", `http://x/dashboard/js/${name}`).pathname;
        expect((await harness.app.inject({ method: "GET", url: target })).statusCode, `${name} imports ${target}`).toBe(200);
      }
    }
  });

  it("answers an unchanged file with 304 for its ETag", async () => {
    const first = await harness.app.inject({ method: "GET", url: "/dashboard/dashboard.css" });
    const etag = String(first.headers.etag);
    const again = await harness.app.inject({ method: "GET", url: "/dashboard/dashboard.css", headers: { "if-none-match": etag } });
    expect(again.statusCode).toBe(304);
  });

  it("reaches nothing outside its folder, however the path is spelled", async () => {
    for (const url of ["/dashboard/../package.json", "/dashboard/%2e%2e/package.json", "/dashboard/js/../../dashboard-plugin.ts", "/dashboard/nope.js", "/dashboard/js/%2e%2e%2f%2e%2e%2fdashboard-plugin.ts"]) {
      const response = await harness.app.inject({ method: "GET", url });
      expect(response.statusCode, url).toBe(404);
    }
  });

  it("keeps the API behind its token while the page is public", async () => {
    expect((await harness.app.inject({ method: "GET", url: "/api/v1/alerts" })).statusCode).toBe(401);
  });

  it("uses no innerHTML, inline handler or eval in the browser code", () => {
    const dir = defaultStaticDir();
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((name) => /\.(js|html)$/.test(name));
    for (const name of files) {
      const text = readFileSync(`${dir}/${name}`, "utf8");
      expect(text, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
      expect(text, name).not.toMatch(/\son[a-z]+="/);
    }
  });
});
