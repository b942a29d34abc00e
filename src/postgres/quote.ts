/**
 * Quoting exactly as pg_dump does it (fmtId): an identifier stays bare only when it is lower-case
 * letters, digits and underscores, starts with a letter or underscore, and is not a keyword that
 * the grammar reserves in any way. The keyword list is the server's own (pg_get_keywords()), so a
 * name that becomes reserved in a newer release is quoted when dumped from that release.
 */
export class IdentifierQuoter {
  readonly #reserved: Set<string>;

  constructor(reservedKeywords: Iterable<string>) {
    this.#reserved = new Set(reservedKeywords);
  }

  ident(name: string): string {
    if (/^[a-z_][a-z0-9_]*$/.test(name) && !this.#reserved.has(name)) return name;
    return `"${name.replaceAll('"', '""')}"`;
  }

  /** `schema.name`, each part quoted as needed. */
  qualified(schema: string, name: string): string {
    return `${this.ident(schema)}.${this.ident(name)}`;
  }
}

/** A standard-conforming string literal (the dump sets standard_conforming_strings = on). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Names in `--` comment lines must not contain line breaks: a newline there would start a new SQL line. */
export function commentSafe(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
