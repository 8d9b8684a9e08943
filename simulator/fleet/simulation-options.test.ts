import { describe, expect, it } from "vitest";
import { SimulationOptions, simulationOptionDocs } from "./simulation-options.js";

describe("SimulationOptions", () => {
  it("documents every option, with its default", () => {
    const docs = simulationOptionDocs();
    expect(docs.map((d) => d.name)).toEqual(Object.keys(SimulationOptions.shape));
    for (const doc of docs) expect(doc.description.length, doc.name).toBeGreaterThan(10);
    expect(docs.find((d) => d.name === "badShare")?.default).toBe("0.05");
    expect(docs.find((d) => d.name === "endAt")?.default).toBeNull();
  });

  it("requires endAt and accepts it as RFC 3339, Date or epoch ms", () => {
    expect(SimulationOptions.safeParse({}).success).toBe(false);
    const at = Date.parse("2026-11-25T12:00:00+08:00");
    for (const endAt of ["2026-11-25T12:00:00+08:00", new Date(at), at]) expect(SimulationOptions.parse({ endAt }).endAt).toBe(at);
  });

  it("rejects unknown options, so a misspelt knob is not silently ignored", () => {
    expect(SimulationOptions.safeParse({ endAt: 0, badshare: 0.1 }).success).toBe(false);
  });

  it("parses its own output to the same options (callers may pass parsed options)", () => {
    const once = SimulationOptions.parse({ endAt: 0, seed: 7, pseudonymKey: "ab".repeat(32) });
    expect(SimulationOptions.parse(once)).toEqual(once);
    expect(once.seed).toBe("7");
    expect(once.pseudonymKey).toEqual(new Uint8Array(32).fill(0xab));
  });
});
