import { createHash, type Hash } from 'node:crypto';

/**
 * The manifest's fingerprint of a table's COPY text. A table copied in one go gets the plain
 * sha256 of its COPY text. A big table is copied in pieces on several connections at once, so no
 * single hash sees its bytes in order; its fingerprint is then the sha256 of its pieces' sha256
 * digests, in order, and the manifest records each piece's length (`pieceBytes`) so that verify
 * can cut a restored table's COPY text at the same places and compute the same value.
 */
export function combinePieceDigests(digests: Buffer[]): string {
  if (digests.length === 1) return digests[0]!.toString('hex');
  const combined = createHash('sha256');
  for (const digest of digests) combined.update(digest);
  return combined.digest('hex');
}

/** What hashes a table's COPY text as it streams (copyTableData). */
export interface CopyTextHasher {
  update(chunk: Buffer): void;
  digest(): string;
}

/** Hashes a stream of COPY text the way the dump did: cut into pieces of `pieceBytes` lengths, if any. */
export class TableHasher implements CopyTextHasher {
  readonly #pieceBytes: number[];
  readonly #digests: Buffer[] = [];
  #piece: Hash = createHash('sha256');
  #pieceIndex = 0;
  #pieceFilled = 0;

  constructor(pieceBytes: readonly number[] = []) {
    this.#pieceBytes = [...pieceBytes];
  }

  update(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      this.#passFullPieces();
      const limit = this.#pieceBytes[this.#pieceIndex];
      // The last recorded piece (or no pieces at all) takes whatever is left: extra bytes then
      // change the fingerprint, which is what a comparison wants to see.
      const room = limit === undefined || this.#pieceIndex === this.#pieceBytes.length - 1 ? Infinity : limit - this.#pieceFilled;
      const take = Math.min(room, chunk.length - offset);
      this.#piece.update(chunk.subarray(offset, offset + take));
      this.#pieceFilled += take;
      offset += take;
    }
  }

  digest(): string {
    this.#passFullPieces();
    this.#digests.push(this.#piece.digest());
    // Pieces recorded but never reached (a table that came back shorter) still count, as empty ones.
    while (this.#digests.length < this.#pieceBytes.length) this.#digests.push(createHash('sha256').digest());
    return combinePieceDigests(this.#digests);
  }

  /** Full pieces (empty ones included: a page range can hold no visible row) hand over to the next. */
  #passFullPieces(): void {
    while (this.#pieceIndex < this.#pieceBytes.length - 1 && this.#pieceFilled === this.#pieceBytes[this.#pieceIndex]) {
      this.#digests.push(this.#piece.digest());
      this.#piece = createHash('sha256');
      this.#pieceIndex += 1;
      this.#pieceFilled = 0;
    }
  }
}

const rowDigestModulus = 1n << 256n;

/** The sum of row-set digests (hex), as one: the digest of all their rows together. */
export function sumRowDigests(digests: string[]): string {
  const sum = digests.reduce((total, digest) => (total + BigInt(`0x${digest}`)) % rowDigestModulus, 0n);
  return sum.toString(16).padStart(64, '0');
}

/**
 * A digest of a table's rows that does not depend on their order, nor on which of several tables
 * holds them: the sum of each row's sha256, modulo 2^256. For the partitions whose rows are loaded
 * through their root (hash partitioning on an enum): a restore puts rows into other partitions, in
 * another order, and only the rows of all of them together can be compared.
 */
export class RowSetHasher implements CopyTextHasher {
  #sum = 0n;
  /**
   * The hash of the row being read, fed as its chunks arrive: a row can be hundreds of MB (a
   * TOASTed bytea is twice its size in COPY text) and comes in many chunks, so none is kept.
   */
  #row: Hash = createHash('sha256');
  /** Whether #row has bytes of a row whose end is in a later chunk. */
  #rowStarted = false;

  update(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      this.#row.update(chunk.subarray(start, end));
      this.#addRow();
      start = end + 1;
    }
    if (start < chunk.length) {
      this.#row.update(chunk.subarray(start));
      this.#rowStarted = true;
    }
  }

  digest(): string {
    if (this.#rowStarted) this.#addRow();
    return this.#sum.toString(16).padStart(64, '0');
  }

  #addRow(): void {
    this.#sum = (this.#sum + BigInt(`0x${this.#row.digest('hex')}`)) % rowDigestModulus;
    this.#row = createHash('sha256');
    this.#rowStarted = false;
  }
}
