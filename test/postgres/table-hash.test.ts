import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { TableHasher, combinePieceDigests } from '../../src/postgres/table-hash.ts';

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
