/** Log lines for people on stderr; stdout stays for results (and --json). */
export type LogLevel = "info" | "warn" | "error";

export function stderrLog(quiet = false): (level: LogLevel, message: string) => void {
  return (level, message) => {
    if (quiet && level === "info") return;
    process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
  };
}
