/**
 * Remembered token counts of whole strings, bounded by total characters (not entries) so
 * that a few huge prompts cannot pin a lot of memory.
 *
 * Two generations rather than an exact LRU list: new counts go into the young map; when it
 * holds half the budget, it becomes the old map and the previous old map is dropped whole.
 * A hit in the old map copies the count into the young one, so whatever was used during the
 * last generation survives the next turn. Every operation is a Map lookup or insert.
 *
 * Why not an exact LRU on one Map (delete and re-insert on a hit, evict from the front):
 * V8's Map leaves a deleted entry's slot in place until it next rehashes, and every eviction
 * started a new iteration from the front, stepping over all the slots deleted since. With
 * traffic of unique prompts that made remembering a count cost 15 to 35 µs, several times
 * counting the string itself (3 to 5 µs for a sentence, measured on Node 24).
 */
export class TokenCountCache {
  readonly #generationCharacters: number;
  readonly #longestText: number;
  #young = new Map<string, number>();
  #youngCharacters = 0;
  #old = new Map<string, number>();

  /**
   * @param budgetCharacters the most characters both generations hold together, give or take
   *   one string
   * @param longestText longer strings are never remembered: they are rarely repeated and
   *   would crowd out the rest
   */
  constructor(budgetCharacters: number, longestText: number) {
    this.#generationCharacters = budgetCharacters / 2;
    this.#longestText = longestText;
  }

  lookup(text: string): number | undefined {
    const young = this.#young.get(text);
    if (young !== undefined) return young;
    const old = this.#old.get(text);
    if (old !== undefined) this.remember(text, old);
    return old;
  }

  remember(text: string, count: number): void {
    if (text.length > this.#longestText || this.#young.has(text)) return;
    this.#young.set(text, count);
    this.#youngCharacters += text.length;
    if (this.#youngCharacters >= this.#generationCharacters) {
      this.#old = this.#young;
      this.#young = new Map();
      this.#youngCharacters = 0;
    }
  }

  /** Characters of the strings held, both generations (a string in both counts twice). */
  get heldCharacters(): number {
    let total = this.#youngCharacters;
    for (const text of this.#old.keys()) total += text.length;
    return total;
  }
}
