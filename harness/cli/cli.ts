import { Command, CommanderError } from 'commander';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { registerCommands } from './commands.ts';
import { exitCodesHelp } from './exit-codes.ts';
import { spillwayVersion } from './spillway-version.ts';

/**
 * The `spillway` command line as a function: parses the arguments, runs the command, and turns
 * whatever ended it into an exit code, so that main.ts (the process) and tests (in-process) run
 * the same thing.
 *
 * Exit codes, for every command (exit-codes.ts): 2 for a usage error (commander's own included:
 * unknown option or command, missing argument, bad option value) and for anything that kept a
 * command from doing its job; 0 for --help and --version. 1 stays a finding (a run whose gateway
 * deviated, a configuration check that found problems) and is never given to a failure; 3 is a
 * run that completed with too little evidence to judge.
 */
export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const processOutput: CliOutput = {
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
};

export function buildProgram(output: CliOutput = processOutput): Command {
  const program = new Command();
  const version = spillwayVersion();
  program
    .name('spillway')
    .description(`Spillway ${version}: load-test and chaos verification harness for Azure API Management AI gateways`)
    // Commander's usual flags (-V, --version): the version alone on stdout, exit code 0.
    .version(version, '-V, --version', 'print the version and exit')
    .addHelpText('after', `\n${exitCodesHelp}`)
    .showHelpAfterError()
    // Commander's own errors read like the harness's: "spillway: unknown option '--unit'".
    .configureOutput({
      writeOut: (text) => output.writeOut(text),
      writeErr: (text) => output.writeErr(text),
      outputError: (text, write) => write(`spillway: ${text.replace(/^error: /, '')}`),
    })
    // Commander exits with 1 on a usage error, which CI reads as "the gateway deviated". It
    // throws instead, and runCli decides. Set before the commands are registered: they inherit
    // this and the output configuration from the program.
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the command line (`args` without node and the script) and returns its exit code. */
export async function runCli(args: readonly string[], output: CliOutput = processOutput): Promise<number> {
  try {
    await buildProgram(output).parseAsync([...args], { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    const message = messageForError(error);
    if (message !== null) output.writeErr(`spillway: ${message}\n`);
    // A failure is 2 whatever a command had set before it threw.
    return exitCodeForError(error);
  }
}

/** What to print after "spillway: ", or null when commander has printed it already. */
export function messageForError(error: unknown): string | null {
  if (error instanceof CommanderError) return null;
  if (!(error instanceof Error)) return String(error);
  // A UserFacingError has its message phrased for a person (what, which file or field, what to do).
  if (error instanceof UserFacingError) return error.message;
  // A file system error nothing anticipated (a permission, a full disk) is still about the
  // machine, not a harness bug: said plainly, naming the path, without a stack trace.
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno.code === 'string' && typeof errno.syscall === 'string' && typeof errno.path === 'string') {
    return `cannot ${errno.syscall} ${errno.path} (${errno.code})`;
  }
  // Anything else is a harness bug: shown with its stack, for the report.
  return error.stack ?? error.message;
}

export function exitCodeForError(error: unknown): 0 | 2 {
  // --help and --version end through the same path, with exit code 0.
  if (error instanceof CommanderError && error.exitCode === 0) return 0;
  return 2;
}
