/**
 * TextVectorization's string steps as TensorFlow's string ops do them (Keras calls them), which
 * differ from JavaScript's defaults in ways that change token ids (docs/text.md lists them):
 * - `tf.strings.lower` without an encoding lowercases ASCII letters only ("ÉCOLE" -> "École");
 * - the punctuation stripped is exactly ASCII `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`;
 * - `tf.strings.split` splits on ASCII whitespace (space, \t, \n, \v, \f, \r) only, not on
 *   U+00A0 or other Unicode spaces as JavaScript's `\s` would;
 * - `tf.strings.unicode_split` yields code points (JavaScript strings index UTF-16 units).
 */

/** `tf.strings.lower(s)` (encoding ''): A-Z -> a-z, every other character unchanged. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;

/** `tf.strings.regex_replace(s, DEFAULT_STRIP_REGEX, "")`. */
export function stripPunctuation(s: string): string {
  return s.replace(PUNCTUATION, '');
}

/** `tf.strings.split(s)`: runs of ASCII whitespace separate tokens; no empty tokens. */
export function splitWhitespace(s: string): string[] {
  return s.split(/[ \t\n\v\f\r]+/).filter((t) => t.length > 0);
}

/** `tf.strings.unicode_split(s, "UTF-8")`: one token per code point. */
export function splitCharacters(s: string): string[] {
  return Array.from(s);
}

/**
 * `tf.strings.ngrams(tokens, widths, separator=" ")`: for each width in order, every run of that
 * many consecutive tokens joined by a space (none when the text is shorter than the width).
 */
export function ngrams(tokens: readonly string[], widths: readonly number[]): string[] {
  const out: string[] = [];
  for (const w of widths) for (let i = 0; i + w <= tokens.length; i++) out.push(tokens.slice(i, i + w).join(' '));
  return out;
}
