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

/** Hashes a stream of COPY text the way the dump did: cut into pieces of `pieceBytes` lengths, if any. */
export class TableHasher {
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
