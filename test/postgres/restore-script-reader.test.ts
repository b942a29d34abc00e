import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactSecrets } from '../../src/postgres/restore.ts';
import { ScriptError, readScript } from '../../src/postgres/script-reader.ts';

/**
 * The statement splitter of restore-db, without a server: every tricky construct a dump can
 * hold, fed in chunks of every size so that each boundary falls inside each construct once.
 */
const script = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict AbC123',
  '',
  'SET standard_conforming_strings = on;',
  "SELECT 'it''s; not the end', \"semi;colon\"\"quoted\", E'back\\\\slash\\'; still', 1;",
  '/* outer /* nested; */ still comment; */ SELECT 2;',
  'CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $fn$',
  'BEGIN',
  "  RAISE NOTICE 'x;y $$ not the end';",
  '  RETURN NEW;',
  'END;',
  '$fn$;',
  'CREATE FUNCTION public.g(integer) RETURNS integer LANGUAGE sql AS $$SELECT $1 + 1$$; SELECT 3; -- trailing; comment',
  'CREATE FUNCTION public.h() RETURNS integer',
  '    LANGUAGE sql',
  '    BEGIN ATOMIC',
  '  SELECT CASE WHEN true THEN 1 ELSE 2 END;',
  ' END;',
  'SELECT 4;\r',
  'CREATE RULE r AS ON DELETE TO public.t DO ( DELETE FROM public.u WHERE (u.id = old.id); DELETE FROM public.v WHERE (v.id = old.id); );',
  'COPY public.t (id, note) FROM stdin;',
  '1\ttab\\there\\nnewline \\\\. backslash-dot 😀 émoji',
  '2\t\\N',
  '\\\\.',
  '\\.',
  '',
  'COPY public."no columns"  FROM stdin;',
  '',
  '\\.',
  '\\unrestrict AbC123',
  '',
].join('\n');

const expected = [
  { kind: 'meta', command: 'restrict', args: 'AbC123', line: 5 },
  { kind: 'statement', sql: 'SET standard_conforming_strings = on;', line: 7 },
  { kind: 'statement', sql: "SELECT 'it''s; not the end', \"semi;colon\"\"quoted\", E'back\\\\slash\\'; still', 1;", line: 8 },
  { kind: 'statement', sql: '/* outer /* nested; */ still comment; */ SELECT 2;', line: 9 },
  {
    kind: 'statement',
    sql: "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  RAISE NOTICE 'x;y $$ not the end';\n  RETURN NEW;\nEND;\n$fn$;",
    line: 10,
  },
  { kind: 'statement', sql: 'CREATE FUNCTION public.g(integer) RETURNS integer LANGUAGE sql AS $$SELECT $1 + 1$$;', line: 16 },
  { kind: 'statement', sql: ' SELECT 3;', line: 16 },
  {
    kind: 'statement',
    sql: 'CREATE FUNCTION public.h() RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 ELSE 2 END;\n END;',
    line: 17,
  },
  { kind: 'statement', sql: 'SELECT 4;', line: 22 },
  // A rule's action list: semicolons inside parentheses do not end the statement (psql's lexer).
  { kind: 'statement', sql: 'CREATE RULE r AS ON DELETE TO public.t DO ( DELETE FROM public.u WHERE (u.id = old.id); DELETE FROM public.v WHERE (v.id = old.id); );', line: 23 },
  { kind: 'copy', sql: 'COPY public.t (id, note) FROM stdin;', line: 24, data: '1\ttab\\there\\nnewline \\\\. backslash-dot 😀 émoji\n2\t\\N\n\\\\.\n' },
  { kind: 'copy', sql: 'COPY public."no columns"  FROM stdin;', line: 30, data: '\n' },
  { kind: 'meta', command: 'unrestrict', args: 'AbC123', line: 33 },
];

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function collect(bytes: Buffer, size: number) {
  const items: unknown[] = [];
  for await (const item of readScript(chunked(bytes, size))) {
    if (item.kind === 'copy') {
      const parts: Buffer[] = [];
      for await (const part of item.data) parts.push(part);
      items.push({ kind: 'copy', sql: item.sql, line: item.line, data: Buffer.concat(parts).toString('utf8') });
    } else items.push(item);
  }
  return items;
}

test('statements, COPY data and meta-commands are split the same at every chunk size', async () => {
  const bytes = Buffer.from(script, 'utf8');
  for (let size = 1; size <= bytes.length; size += size < 40 ? 1 : 37) {
    assert.deepEqual(await collect(bytes, size), expected, `chunk size ${size}`);
  }
});

test('a carriage return inside a string or body is kept (lines split on \\n only)', async () => {
  const items = await collect(Buffer.from("SELECT 'a\rb';\nCOMMENT ON TABLE t IS 'x\r\ny';\n"), 3);
  assert.deepEqual(items, [
    { kind: 'statement', sql: "SELECT 'a\rb';", line: 1 },
    { kind: 'statement', sql: "COMMENT ON TABLE t IS 'x\r\ny';", line: 2 },
  ]);
});

test('a COPY row longer than many chunks streams in pieces and arrives whole', async () => {
  const row = `1\t${'0123456789abcdef'.repeat(100_000)}\n`;
  const bytes = Buffer.from(`COPY t (id, v) FROM stdin;\n${row}\\.\nSELECT 1;\n`);
  let pieces = 0;
  let data = '';
  const rest: unknown[] = [];
  for await (const item of readScript(chunked(bytes, 65_536))) {
    if (item.kind === 'copy') {
      for await (const piece of item.data) {
        pieces += 1;
        assert.ok(piece.length <= 65_536 + 4, 'no piece is larger than the chunks read');
        data += piece.toString('utf8');
      }
    } else rest.push(item);
  }
  assert.equal(data, row);
  assert.ok(pieces > 10, `the row came in ${pieces} pieces`);
  assert.deepEqual(rest, [{ kind: 'statement', sql: 'SELECT 1;', line: 4 }]);
});

test('a truncated script is an error naming where the unfinished part starts', async () => {
  const truncatedCopy = Buffer.from('SELECT 1;\nCOPY t (a) FROM stdin;\n1\n2');
  await assert.rejects(collect(truncatedCopy, 5), (error: unknown) => error instanceof ScriptError && /COPY starting at line 2 has no end marker/.test(error.message));
  const truncatedBody = Buffer.from("SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n");
  await assert.rejects(collect(truncatedBody, 7), (error: unknown) => error instanceof ScriptError && /ends inside a statement that starts at line 2/.test(error.message));
});

test('an end marker on the last line without a newline still ends the COPY', async () => {
  assert.deepEqual(await collect(Buffer.from('COPY t (a) FROM stdin;\n1\n\\.'), 1), [{ kind: 'copy', sql: 'COPY t (a) FROM stdin;', line: 1, data: '1\n' }]);
});

test("a role's password never appears in a failing statement's excerpt", () => {
  assert.equal(
    redactSecrets("ALTER ROLE immich WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:abc'; CREATE ROLE x PASSWORD E'it''s';"),
    "ALTER ROLE immich WITH LOGIN PASSWORD '***'; CREATE ROLE x PASSWORD '***';",
  );
});

test("a subscription's connection string never appears in a failing statement's excerpt", () => {
  assert.equal(
    redactSecrets("CREATE SUBSCRIPTION s CONNECTION 'host=h password=''p w'' dbname=d' PUBLICATION p WITH (connect = false);"),
    "CREATE SUBSCRIPTION s CONNECTION '***' PUBLICATION p WITH (connect = false);",
  );
});

test("a user mapping's or foreign server's password options never appear in a failing statement's excerpt", () => {
  assert.equal(
    redactSecrets("CREATE USER MAPPING FOR immich SERVER s OPTIONS (\"user\" 'u', password 'p''w', sslpassword 'k'); ALTER SERVER s OPTIONS (ADD sslpassword 'k2');"),
    "CREATE USER MAPPING FOR immich SERVER s OPTIONS (\"user\" 'u', password '***', sslpassword '***'); ALTER SERVER s OPTIONS (ADD sslpassword '***');",
  );
});
