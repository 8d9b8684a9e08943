/**
 * Patient names are kept for display only, masked the way Chinese insurer and hospital screens show
 * them: two characters keep the first (`王*`), three or more keep the first and the last with the
 * rest starred (`张*三`, `欧阳**华`). Counted in code points so a name outside the BMP masks correctly.
 */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return "*";
  const first = chars[0] ?? "";
  if (chars.length === 2) return `${first}*`;
  return first + "*".repeat(chars.length - 2) + (chars[chars.length - 1] ?? "");
}
