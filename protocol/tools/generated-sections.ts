/**
 * A hand-written Markdown file with generated sections between marker comments:
 *
 *   <!-- generated:NAME:start -->
 *   ...replaced on every run...
 *   <!-- generated:NAME:end -->
 *
 * Everything outside the markers is left byte-for-byte as it is.
 */
export function startMarker(name: string): string {
  return `<!-- generated:${name}:start -->`;
}

export function endMarker(name: string): string {
  return `<!-- generated:${name}:end -->`;
}

export type SectionReplacement = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string };

export function replaceGeneratedSections(text: string, sections: Readonly<Record<string, string>>): SectionReplacement {
  let result = text;
  for (const [name, body] of Object.entries(sections)) {
    const start = result.indexOf(startMarker(name));
    const end = result.indexOf(endMarker(name));
    if (start === -1 || end === -1 || end < start) {
      return { ok: false, error: `markers ${startMarker(name)} ... ${endMarker(name)} are missing or out of order` };
    }
    if (result.indexOf(startMarker(name), start + 1) !== -1) {
      return { ok: false, error: `marker ${startMarker(name)} appears more than once` };
    }
    const inner = `\n\n${body.trimEnd()}\n\n`;
    result = result.slice(0, start + startMarker(name).length) + inner + result.slice(end);
  }
  return { ok: true, text: result };
}
