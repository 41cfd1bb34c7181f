/**
 * The deepest nesting of arrays and objects a request body may have. Far beyond any real document
 * (identity traits, metadata, configs), far below what recursive serializers survive: a 10 KB body of
 * five thousand `[` would otherwise overflow the stack of `JSON.stringify` and friends later on.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether `text` (JSON) nests arrays and objects deeper than `max`, skipping brackets inside strings. */
export function nestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string: to its closing quote, stepping over escapes.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}
