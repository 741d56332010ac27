import { styleText } from 'node:util';

/**
 * Whether output to a stream is coloured, decided once per command, as Node itself and the
 * supports-color convention decide it: FORCE_COLOR set forces colour on (any value but 0 or
 * false: a CI log that renders ANSI, such as GitHub Actions', can ask for it) or off (0,
 * false), and wins over NO_COLOR, as in Node; otherwise NO_COLOR set to anything non-empty
 * turns colour off (no-color.org); otherwise colour goes to a terminal only (not TERM=dumb).
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green' | 'cyan';

/** `text` in `style` when colour is on; as is otherwise (no escape code at all). */
export function styled(colour: boolean, style: Style, text: string): string {
  // validateStream: false: the decision was made above, for the stream the text goes to.
  return colour ? styleText(style, text, { validateStream: false }) : text;
}
