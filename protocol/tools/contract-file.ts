/** A generated file: its path relative to the repository root, and its full expected text. */
export interface ContractFile {
  readonly path: string;
  readonly content: string;
}
