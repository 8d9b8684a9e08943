import { describe, expect, it } from "vitest";
import { groupConnections } from "./fleet-connections.js";

const boxes = (sites: number, perSite: number) =>
  Array.from({ length: sites * perSite }, (_, i) => ({ site: `S${Math.floor(i / perSite)}`, box: `S${Math.floor(i / perSite)}-B${i % perSite}` }));

describe("groupConnections", () => {
  it("gives every box its own connection and client id by default", () => {
    const groups = groupConnections(boxes(2, 3), { connectionsPerSite: 0, maxConnections: 200, clientIdPrefix: "cwsim" });
    expect(groups.map((g) => g.clientId)).toEqual(["cwsim-S0-B0", "cwsim-S0-B1", "cwsim-S0-B2", "cwsim-S1-B0", "cwsim-S1-B1", "cwsim-S1-B2"]);
  });

  it("shares connections within a site when asked, never across sites", () => {
    const groups = groupConnections(boxes(2, 5), { connectionsPerSite: 2, maxConnections: 200, clientIdPrefix: "p" });
    expect(groups.map((g) => g.boxes.length)).toEqual([3, 2, 3, 2]);
    for (const group of groups) expect(new Set(group.boxes.map((b) => b.site)).size).toBe(1);
    expect(groups[0]?.clientId).toBe("p-S0-B0-g3");
  });

  it("caps a thousand boxes at maxConnections, every box carried exactly once, with stable ids", () => {
    const fleet = boxes(100, 10);
    const groups = groupConnections(fleet, { connectionsPerSite: 0, maxConnections: 200, clientIdPrefix: "p" });
    expect(groups).toHaveLength(200);
    expect(groups.flatMap((g) => g.boxes)).toEqual(fleet);
    expect(new Set(groups.map((g) => g.clientId)).size).toBe(200);
    expect(groupConnections(fleet, { connectionsPerSite: 0, maxConnections: 200, clientIdPrefix: "p" })).toEqual(groups);
  });
});
