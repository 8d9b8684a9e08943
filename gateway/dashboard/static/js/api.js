import { createSseParser } from "./sse-parser.js";

/** The gateway's REST API as the dashboard calls it: bearer token, JSON, typed failures. */
export const API_BASE = "/api/v1";

export class ApiFailure extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.name = "ApiFailure";
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

async function failureOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body?.error ?? {};
  return new ApiFailure(response.status, error.code ?? `http_${response.status}`, error.message ?? response.statusText, body);
}

export function createApi(token) {
  const headers = { authorization: `Bearer ${token}`, accept: "application/json" };

  async function request(method, path, { query, body } = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(`${API_BASE}${path}${queryString(query)}`, init);
    if (!response.ok) throw await failureOf(response);
    return response.status === 204 ? null : response.json();
  }

  return {
    get: (path, query) => request("GET", path, { query }),
    post: (path, body) => request("POST", path, { body }),

    /** Fetches a file with the token and hands it to the browser as a download. */
    async download(path, fallbackName) {
      const response = await fetch(`${API_BASE}${path}`, { headers });
      if (!response.ok) throw await failureOf(response);
      const disposition = response.headers.get("content-disposition") ?? "";
      const named = /filename="?([^";]+)"?/.exec(disposition);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = named?.[1] ?? fallbackName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return { bytes: blob.size, name: link.download };
    },

    /**
     * Follows GET /alerts/stream until `signal` aborts, reconnecting with back-off (1 s doubling to
     * 30 s) and Last-Event-ID. onState("connected" | "reconnecting") drives the page's live indicator.
     */
    async followAlerts(onAlert, onState, signal) {
      let delay = 1000;
      let lastEventId = "";
      while (!signal.aborted) {
        try {
          const streamHeaders = { ...headers, accept: "text/event-stream" };
          if (lastEventId !== "") streamHeaders["last-event-id"] = lastEventId;
          const response = await fetch(`${API_BASE}/alerts/stream`, { headers: streamHeaders, signal });
          if (!response.ok || response.body === null) throw await failureOf(response);
          onState("connected");
          delay = 1000;
          const parser = createSseParser((event) => {
            if (event.type !== "alert") return;
            try {
              onAlert(JSON.parse(event.data));
            } catch {
              // A malformed frame is skipped; the next one still arrives.
            }
          });
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.push(value);
            lastEventId = parser.lastEventId();
          }
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof ApiFailure && error.status === 401) {
            onState("unauthenticated");
            return;
          }
        }
        if (signal.aborted) return;
        onState("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 30_000);
      }
    },
  };
}
