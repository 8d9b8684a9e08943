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
);
