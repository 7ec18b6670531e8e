/**
 * Splits a PodmanArgs value into words as a POSIX shell would (single quotes literal,
 * double quotes with backslash escapes for `"`, `\`, `$` and backquote, backslash
 * outside quotes escapes the next character). Unbalanced quotes are an error, because
 * a value we cannot split is a value we cannot check.
 */
export function splitShellWords(text: string): { ok: true; words: string[] } | { ok: false; error: string } {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: "has an unbalanced single quote" };
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) return { ok: false, error: "has an unbalanced double quote" };
      i = j;
    } else if (c === "\\") {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}

/**
 * Whether `word` uses `flag`: a long flag matches the word itself or `flag=...`; a short
 * flag matches any single-dash word that carries its letter among the leading option
 * letters (`-itv/etc:/x` carries i, t and v). Over-matching only ever rejects more.
 */
export function wordUsesFlag(word: string, flag: string): boolean {
  if (flag.startsWith("--")) return word === flag || word.startsWith(`${flag}=`);
  if (!word.startsWith("-") || word.startsWith("--")) return false;
  const letters = /^-([A-Za-z]+)/.exec(word)?.[1] ?? "";
  return letters.includes(flag.slice(1));
}
