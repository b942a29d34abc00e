import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineRoundTripTests } from './round-trip.ts';

// Tiny pieces: every table of more than one page is copied in page ranges on three connections,
// so the joins between pieces (no header, no `\.` in the middle) are exercised on every table.
const dump = defineRoundTripTests('17', { jobs: 3, tablePieceBytes: 8192 });

test('PG 17, pieces: big tables really were copied in pieces', () => {
  const pieced = dump().tables.filter((table) => table.pieceBytes !== undefined);
  assert.deepEqual(pieced.map((table) => table.name), ['many_pages'], 'the only table of more than one heap page is copied in pieces');
  assert.ok(pieced[0]!.pieceBytes!.length >= 4, `many_pages: ${pieced[0]!.pieceBytes!.length} pieces`);
  for (const table of pieced) {
    assert.ok(table.pieceBytes!.length > 1);
    assert.equal(table.pieceBytes!.reduce((sum, bytes) => sum + bytes, 0), table.bytes, `${table.name}: pieces add up to the table`);
  }
});
