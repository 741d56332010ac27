/**
 * Completion text of an exact token length in the model's own encoding. The mock streams
 * one element per delta and reports `completion_tokens` = N, so every element must be a
 * whole token and the joined text must re-tokenize to exactly N tokens.
 *
 * Why the join cannot merge: both cl100k_base and o200k_base split text with a regex
 * before byte-pair encoding, and BPE never merges across those pieces. Their letter-run
 * alternatives take at most one leading non-letter, non-digit character and then letters
 * only, so a piece like " river" ends where the next space or "." begins; a lone "."
 * between a word and a following " Word" is matched by the punctuation alternative
 * ( ?[^\s\p{L}\p{N}]+) and ends at that space. The text is therefore split exactly at
 * element boundaries, and each element is checked below to be one token on its own.
 * The check that words are plain lowercase (or capitalised) ASCII letters keeps them
 * inside the letter-run alternatives, including o200k's case-sensitive ones.
 */
import { seededRng } from '../shared/rng.ts';
import type { Rng } from '../shared/rng.ts';
import { countTextTokensInEncoding, encodingForModel } from './tokens.ts';
import type { EncodingName } from './tokens.ts';

/** Common English words; emitted with a leading space, which keeps each a single token. */
const BODY_WORDS: readonly string[] = (
  'the of and to in is that for it as with was on be by at this are from or an which but not have has had ' +
  'were can all their more one will about also other some time into these than its may new when only them ' +
  'then there would first any most such used like two over out after many well even where through between ' +
  'each both because same own those while under during high water state part system people world small large ' +
  'long early public great order form city group case number place point work power life light music house ' +
  'school family company area country river region history service design model process study market data ' +
  'energy value level field range change support result course example report record season series project ' +
  'network program control center view role night land story film game team line road force plan space voice ' +
  'window garden paper letter answer reason question moment color table animal forest summer winter morning evening'
).split(' ');

/** Capitalised words that open a sentence: bare for the first token, spaced after a ".". */
const SENTENCE_OPENERS: readonly string[] = [
  'The', 'This', 'In', 'It', 'We', 'Our', 'When', 'Each', 'Many', 'Some', 'Most', 'After',
  'For', 'One', 'Then', 'There', 'These', 'Both', 'All', 'Such', 'From', 'While', 'Every', 'Today',
];

const SENTENCE_END = '.';
/** Words per sentence, opener included: long enough to read like prose, short enough to vary. */
const SHORTEST_SENTENCE = 6;
const LONGEST_SENTENCE = 16;

interface Vocabulary {
  /** Openers without a leading space, for the very first token. */
  readonly firstOpeners: readonly string[];
  /** Openers with a leading space, for sentences after the first. */
  readonly spacedOpeners: readonly string[];
  /** Body words with a leading space. */
  readonly spacedWords: readonly string[];
}

function keepSingleTokens(candidates: readonly string[], encoding: EncodingName): string[] {
  return candidates.filter((candidate) => countTextTokensInEncoding(candidate, encoding) === 1);
}

/**
 * Built once per encoding at module load, so generating a completion only picks from
 * ready lists and never runs the tokenizer.
 */
function buildVocabulary(encoding: EncodingName): Vocabulary {
  for (const word of BODY_WORDS) {
    if (!/^[a-z]+$/.test(word)) throw new Error(`body word ${JSON.stringify(word)} is not plain lowercase ASCII`);
  }
  for (const word of SENTENCE_OPENERS) {
    if (!/^[A-Z][a-z]*$/.test(word)) throw new Error(`opener ${JSON.stringify(word)} is not a capitalised ASCII word`);
  }
  if (countTextTokensInEncoding(SENTENCE_END, encoding) !== 1) {
    throw new Error(`"${SENTENCE_END}" is not a single token in ${encoding}`);
  }
  // An opener must be one token both bare and spaced, so the same choice works in either position.
  const openers = SENTENCE_OPENERS.filter(
    (word) => countTextTokensInEncoding(word, encoding) === 1 && countTextTokensInEncoding(` ${word}`, encoding) === 1,
  );
  const vocabulary: Vocabulary = {
    firstOpeners: openers,
    spacedOpeners: openers.map((word) => ` ${word}`),
    spacedWords: keepSingleTokens(
      BODY_WORDS.map((word) => ` ${word}`),
      encoding,
    ),
  };
  if (vocabulary.firstOpeners.length === 0 || vocabulary.spacedWords.length === 0) {
    throw new Error(`no single-token completion vocabulary for ${encoding}`);
  }
  return vocabulary;
}

const VOCABULARIES: Readonly<Record<EncodingName, Vocabulary>> = {
  o200k_base: buildVocabulary('o200k_base'),
  cl100k_base: buildVocabulary('cl100k_base'),
};

function pick(choices: readonly string[], rng: Rng): string {
  // The vocabulary lists are checked non-empty at load, so the index is always in range.
  return choices[Math.floor(rng.next() * choices.length)] as string;
}

function drawSentenceLength(rng: Rng): number {
  return SHORTEST_SENTENCE + Math.floor(rng.next() * (LONGEST_SENTENCE - SHORTEST_SENTENCE + 1));
}

/**
 * Hands `visit` the `count` tokens of the completion, in order: sentences of common words
 * ending in ".". The same seed always gives the same tokens.
 */
function visitCompletionTokens(count: number, model: string, seed: number, visit: (token: string) => void): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`token count must be a non-negative integer, got ${count}`);
  }
  const vocabulary = VOCABULARIES[encodingForModel(model)];
  const rng = seededRng(seed);
  let emitted = 0;
  let wordsLeftInSentence = 0;
  let sentenceOpen = false;
  while (emitted < count) {
    if (!sentenceOpen) {
      visit(pick(emitted === 0 ? vocabulary.firstOpeners : vocabulary.spacedOpeners, rng));
      wordsLeftInSentence = drawSentenceLength(rng) - 1;
      sentenceOpen = true;
    } else if (wordsLeftInSentence > 0) {
      visit(pick(vocabulary.spacedWords, rng));
      wordsLeftInSentence -= 1;
    } else {
      visit(SENTENCE_END);
      sentenceOpen = false;
    }
    emitted += 1;
  }
}

/**
 * `count` strings, each exactly one token in the model's encoding, whose concatenation is
 * exactly `count` tokens: sentences of common words ending in ".". The same seed always
 * gives the same text.
 */
export function completionTokens(count: number, model: string, seed: number): string[] {
  const tokens: string[] = [];
  visitCompletionTokens(count, model, seed, (token) => tokens.push(token));
  return tokens;
}

/**
 * The same completion as one string, `completionTokens(count, model, seed).join('')`, for an
 * answer that is not streamed: no array of pieces to build and join on every request.
 */
export function completionText(count: number, model: string, seed: number): string {
  let text = '';
  visitCompletionTokens(count, model, seed, (token) => {
    text += token;
  });
  return text;
}
