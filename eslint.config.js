// typescript-eslint's strict type-checked rules over the whole tree (STYLE.md: no `any`).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".scratch/**", ".carewitness/**", "protocol/json-schema/**", "eslint.config.js", "vitest.config.ts"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unnecessary-condition": ["error", { allowConstantLoopConditions: true }],
      // Stylistic: `() => resolve()` style callbacks are clear enough.
      "@typescript-eslint/no-confusing-void-expression": "off",
      // fastify plugins are async by contract even when they register routes synchronously.
      "@typescript-eslint/require-await": "off",
    },
  },
  // The dashboard's browser modules (gateway/dashboard/static) are plain JavaScript with no build step,
  // outside the TypeScript program: linted without type information, with the browser's globals.
  {
    files: ["gateway/dashboard/static/**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: Object.fromEntries(
        ["window", "document", "location", "history", "fetch", "sessionStorage", "localStorage", "URL", "URLSearchParams", "FormData", "TextDecoderStream", "AbortController", "setTimeout", "clearTimeout", "Intl", "console", "Blob"].map((name) => [name, "readonly"]),
      ),
    },
  },
  // The box's kiosk page (device/kiosk/static): the same kind of plain browser modules.
  {
    files: ["device/kiosk/static/**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: Object.fromEntries(["document", "fetch", "EventSource", "JSON"].map((name) => [name, "readonly"])),
    },
  },
);
