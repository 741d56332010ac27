import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TopologyError } from '../../mocks/aoai/topology.ts';
import { ConfigError } from '../../mocks/apim/config/index.ts';
import { RunInputError } from '../run/run-scenario.ts';
import { messageForError, runCli } from './cli.ts';
import { exitOf, spillway } from './cli-test-support.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { writeOut: (text) => void (stdout += text), writeErr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

describe('spillway --version', () => {
  it.each([['--version'], ['-V']])('%s prints the version of package.json alone, and exits 0', async (flag) => {
    expect(await inProcess([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('does so as a process too: the exit code the shell sees', { timeout: 60_000 }, async () => {
    expect(await exitOf(spillway(['--version']))).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('is named in the first lines of --help, which lists the option', async () => {
    const { code, stdout } = await inProcess(['--help']);
    expect(code).toBe(0);
    const [usage, blank, description] = stdout.split('\n');
    expect([usage, blank]).toEqual(['Usage: spillway [options] [command]', '']);
    // Commander wraps the description at the terminal's width: only its start is fixed.
    expect(description).toContain(`Spillway ${version}: load-test and chaos verification harness`);
    expect(stdout).toMatch(/-V, --version +print the version and exit/);
  });
});

describe('exit codes in --help', () => {
  it.each([[['--help']], [['run', '--help']]])('spillway %j lists every exit code and what it means', async (args) => {
    const { code, stdout } = await inProcess(args);
    expect(code).toBe(0);
    const table = stdout.slice(stdout.indexOf('Exit codes:'));
    expect(table).toMatch(/^ {2}0 {2}every verdict passed/m);
    expect(table).toMatch(/^ {2}1 {2}the gateway deviated/m);
    expect(table).toMatch(/^ {2}2 {2}the harness could not complete/m);
    expect(table).toMatch(/^ {2}3 {2}inconclusive: .*too little evidence/m);
  });
});

describe('errors meant for a person', () => {
  it('are recognised by their class, wherever they are defined (mocks or harness), and keep their own names', () => {
    const errors = [new UserFacingError('plain'), new TopologyError('fleet.json: resources: bad'), new ConfigError('deploy/apim', [{ file: 'a.json', message: 'missing' }]), new RunInputError('--units: bad')];
    for (const error of errors) {
      expect(error).toBeInstanceOf(UserFacingError);
      expect(messageForError(error), error.name).toBe(error.message);
    }
    expect(errors.map((e) => e.name)).toEqual(['UserFacingError', 'TopologyError', 'ConfigError', 'RunInputError']);
  });

  it('are not recognised by a name string: any other error is a harness bug and keeps its stack', () => {
    const impostor = new Error('looks friendly');
    impostor.name = 'UserFacingError';
    expect(messageForError(impostor)).toBe(impostor.stack);
    expect(messageForError(impostor)).toMatch(/\n\s+at /);
  });

  it('end the command with exit 2 and the message alone on stderr', async () => {
    const { code, stdout, stderr } = await inProcess(['fleet', 'up', '--topology', '/nonexistent/topology.json']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^spillway: .*\/nonexistent\/topology\.json/);
    expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });
});
