import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { RowSetHasher, TableHasher, combinePieceDigests, sumRowDigests } from '../../src/postgres/table-hash.ts';

const sha = (text: string) => createHash('sha256').update(text).digest();

function hashInChunks(text: string, chunkSize: number, pieceBytes?: number[]): string {
  const hasher = new TableHasher(pieceBytes);
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length; offset += chunkSize) hasher.update(bytes.subarray(offset, offset + chunkSize));
  return hasher.digest();
}

test('without pieces, the fingerprint is the plain sha256 of the COPY text', () => {
  assert.equal(hashInChunks('1\ta\n2\tb\n', 3), sha('1\ta\n2\tb\n').toString('hex'));
  assert.equal(new TableHasher().digest(), sha('').toString('hex'));
});

test('with pieces, it is the sha256 of the pieces digests, however the text arrives in chunks', () => {
  const pieces = ['1\ta\n', '', '2\tb\n3\tc\n', '4\td\n'];
  const expected = combinePieceDigests(pieces.map(sha));
  const lengths = pieces.map((piece) => Buffer.byteLength(piece));
  for (const chunkSize of [1, 2, 3, 5, 7, 100]) assert.equal(hashInChunks(pieces.join(''), chunkSize, lengths), expected, `chunks of ${chunkSize}`);
});

test('a restored table with other bytes, fewer or more, does not match', () => {
  const pieces = ['1\ta\n', '2\tb\n'];
  const lengths = pieces.map((piece) => Buffer.byteLength(piece));
  const expected = combinePieceDigests(pieces.map(sha));
  assert.notEqual(hashInChunks('1\ta\n', 2, lengths), expected);
  assert.notEqual(hashInChunks('1\ta\n2\tb\n3\tc\n', 2, lengths), expected);
  assert.notEqual(hashInChunks('1\ta\n2\tB\n', 2, lengths), expected);
  assert.notEqual(hashInChunks('1\ta\n2\tb\n', 2), expected, 'the same bytes hashed whole are a different fingerprint');
});

test('a row set digest is the sum of its rows sha256, however the text arrives in chunks', () => {
  const rows = ['1\ta', '', '2\tb', '3\tc'];
  const expected = sumRowDigests(rows.map((row) => sha(row).toString('hex')));
  for (const text of [`${rows.join('\n')}\n`, rows.join('\n')]) {
    for (const chunkSize of [1, 2, 3, 5, 100]) {
      const hasher = new RowSetHasher();
      const bytes = Buffer.from(text);
      for (let offset = 0; offset < bytes.length; offset += chunkSize) hasher.update(bytes.subarray(offset, offset + chunkSize));
      assert.equal(hasher.digest(), expected, `chunks of ${chunkSize} of ${JSON.stringify(text)}`);
    }
  }
  const reordered = new RowSetHasher();
  reordered.update(Buffer.from('3\tc\n2\tb\n\n1\ta\n'));
  assert.equal(reordered.digest(), expected, 'the order of the rows does not count');
});

test('a row set hasher keeps no row: a 128 MB row in 64 KiB chunks leaves the peak memory where it was', () => {
  // In a child process, so that its peak (maxRSS) is only this. A TOASTed bytea of 100 MB is a
  // 200 MB row of COPY text; a hasher that kept a row's chunks to join them held it twice.
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { RowSetHasher } = await import(${JSON.stringify(new URL('../../src/postgres/table-hash.ts', import.meta.url).href)});
       const chunk = Buffer.alloc(64 * 1024, 0x61);
       const hasher = new RowSetHasher();
       hasher.update(Buffer.from('1\\tsmall\\n'));
       const before = process.resourceUsage().maxRSS;
       for (let i = 0; i < 2048; i += 1) hasher.update(chunk);
       hasher.update(Buffer.from('\\n'));
       hasher.digest();
       console.log(JSON.stringify({ growthKiB: process.resourceUsage().maxRSS - before }));`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(child.status, 0, child.stderr);
  const { growthKiB } = JSON.parse(child.stdout) as { growthKiB: number };
  assert.ok(growthKiB < 32 * 1024, `the peak grew by ${Math.round(growthKiB / 1024)} MB while hashing a 128 MB row`);
});
