import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CARD_TEXT_ERROR_CODES } from "./card-text-parser.js";
import { FRAME_ERROR_CODES } from "./frame-decoder.js";
import { READER_ERROR_CODES } from "./reader-error.js";
import { SAM_STATUS_CODES } from "./sam-status.js";

// STYLE.md: codes are documented, and a test checks the documentation lists every code.
describe("device/idcard/README.md", () => {
  const readme = readFileSync(new URL("./README.md", import.meta.url), "utf8");
  it.each([...FRAME_ERROR_CODES, ...CARD_TEXT_ERROR_CODES, ...READER_ERROR_CODES, ...SAM_STATUS_CODES])("documents %s", (code) => {
    expect(readme).toContain(`\`${code}\``);
  });
});
