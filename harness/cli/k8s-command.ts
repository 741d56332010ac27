import type { Command } from 'commander';
import { relative } from 'node:path';
import { defaultDroppedTolerance } from '../capacity/judge-step.ts';
import { defaultK6Image, defaultKeySecret, defaultResultsClaim, maxParallelism } from '../k8s/k8s-defaults.ts';
import type { CapacityRenderOptions, K8sRenderError } from '../k8s/render-k8s.ts';
import { parseNumberOption } from './option-parsers.ts';

/**
 * `spillway k8s render <scenario|capacity>`: k6-operator manifests (ConfigMap and TestRun) and
 * the plan without keys, for running a scenario or a capacity staircase from a Kubernetes
 * cluster; `spillway k8s collect <folder>`: the runners' results merged and judged once
 * (docs/k8s.md).
 */
interface RenderFlags {
  parallelism: number;
  gatewayUrl: string;
  maxRate: number;
  units: number;
  namespace: string;
  out: string;
  k6Image: string;
  keySecret: string;
  resultsClaim: string;
  k6Config?: string;
  trafficOnly?: boolean;
  startRps?: number;
  stepRps?: number;
  maxRps?: number;
  holdSeconds?: number;
  settleSeconds: number;
  profile: string;
  sloP95Ms: number;
  errorBudget: number;
}

interface CollectFlags {
  plan: string;
  results: string;
  expectations?: string;
}

const capacityFlags = ['--start-rps', '--step-rps', '--max-rps', '--hold-seconds'] as const;

/**
 * The staircase from the flags, for `render capacity`; a scenario given staircase flags is
 * refused (with render-k8s.ts's error, given by the action that loaded it).
 */
function capacityOptions(scenario: string, flags: RenderFlags, RenderError: typeof K8sRenderError): CapacityRenderOptions | undefined {
  const given = { '--start-rps': flags.startRps, '--step-rps': flags.stepRps, '--max-rps': flags.maxRps, '--hold-seconds': flags.holdSeconds };
  if (scenario !== 'capacity') {
    const stray = capacityFlags.filter((flag) => given[flag] !== undefined);
    if (stray.length > 0) throw new RenderError(`${stray.join(', ')}: only for \`spillway k8s render capacity\`; scenario "${scenario}" has its rates in k6.config.json`);
    return undefined;
  }
  const missing = capacityFlags.filter((flag) => given[flag] === undefined);
  if (missing.length > 0) throw new RenderError(`capacity: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required: the staircase is fixed when the TestRun is rendered`);
  if (flags.profile !== 'light' && flags.profile !== 'heavy') throw new RenderError(`--profile "${flags.profile}": must be light or heavy`);
  return { startRps: flags.startRps!, stepRps: flags.stepRps!, maxRps: flags.maxRps!, holdSeconds: flags.holdSeconds!, settleSeconds: flags.settleSeconds, profile: flags.profile, sloP95Ms: flags.sloP95Ms, errorBudget: flags.errorBudget, droppedTolerance: defaultDroppedTolerance };
}

export function registerK8sCommand(program: Command, out: (text: string) => void = (text) => process.stdout.write(text)): void {
  const k8s = program.command('k8s').description('run scenarios and capacity tests on Kubernetes with k6-operator (docs/k8s.md)');
  const rps = (flag: string) => parseNumberOption(flag, { min: 0.001 });
  k8s
    .command('render')
    .description("write k6-operator's TestRun, the ConfigMap holding the scenario's bundle, and the plan `k8s collect` judges by, for kubectl apply")
    .argument('<scenario>', 'a scenario of k6.config.json, or `capacity` for a capacity staircase')
    .requiredOption('--parallelism <n>', `runner pods, each running its execution segment (1-${maxParallelism})`, parseNumberOption('--parallelism', { integer: true, min: 1, max: maxParallelism }))
    .requiredOption('--gateway-url <url>', 'the gateway (or front door) the runners load, as seen from the cluster')
    .requiredOption('--max-rate <requests/s>', 'a cap on the requests per second all runners send together at the plan\'s busiest; a plan above it is refused', rps('--max-rate'))
    .option('--units <n>', 'gateway units: request rates are per unit', parseNumberOption('--units', { integer: true, min: 1, max: 30 }), 1)
    .option('--namespace <ns>', 'namespace of the ConfigMap and TestRun', 'default')
    .option('--out <dir>', 'folder the manifests and the plan are written to', 'k8s')
    .option('--k6-image <image>', 'the runners\' k6 image', defaultK6Image)
    .option('--key-secret <name>', 'the Secret holding the subscription keys, one entry per key variable (SPILLWAY_KEY_…)', defaultKeySecret)
    .option('--results-claim <name>', 'the PersistentVolumeClaim (ReadWriteMany) the runners write their raw results to', defaultResultsClaim)
    .option('--traffic-only', "with a scenario that has a fault timeline: run its traffic alone (runners cannot inject faults)")
    .option('--k6-config <file>', 'scenario plans and consumer classes (default: k6.config.json)')
    .option('--start-rps <r>', 'capacity: the first step\'s rate, requests/s (all runners together)', rps('--start-rps'))
    .option('--step-rps <r>', 'capacity: how much each step adds', rps('--step-rps'))
    .option('--max-rps <r>', 'capacity: the last step\'s rate', rps('--max-rps'))
    .option('--hold-seconds <s>', 'capacity: how long each step is held', parseNumberOption('--hold-seconds', { min: 1 }))
    .option('--settle-seconds <s>', 'capacity: the start of each step left out of its judgement', parseNumberOption('--settle-seconds', { min: 0 }), 5)
    .option('--profile <light|heavy>', 'capacity: the policy profile measured (its API in the Capacity Testing product)', 'light')
    .option('--slo-p95-ms <ms>', 'capacity: a step holds while its p95 latency is within this', parseNumberOption('--slo-p95-ms', { min: 1 }), 1000)
    .option('--error-budget <fraction>', 'capacity: a step holds while this share of requests or fewer fail (0-1)', parseNumberOption('--error-budget', { min: 0, max: 0.999 }), 0.01)
    .action(async (scenario: string, flags: RenderFlags) => {
      // The renderer (the scenario plans, the bundler, and what they reach), loaded when a
      // render is asked for (commands.ts says why).
      const { K8sRenderError, renderK8s } = await import('../k8s/render-k8s.ts');
      const capacity = capacityOptions(scenario, flags, K8sRenderError);
      const rendered = await renderK8s({
        scenario,
        parallelism: flags.parallelism,
        gatewayUrl: flags.gatewayUrl,
        maxRate: flags.maxRate,
        units: flags.units,
        namespace: flags.namespace,
        outDir: flags.out,
        k6Image: flags.k6Image,
        keySecret: flags.keySecret,
        resultsClaim: flags.resultsClaim,
        trafficOnly: flags.trafficOnly === true,
        ...(capacity ? { capacity } : {}),
        ...(flags.k6Config ? { k6ConfigFile: flags.k6Config } : {}),
      });
      const shown = (file: string) => relative(process.cwd(), file) || file;
      out(`${shown(rendered.configMapFile)}  ConfigMap ${rendered.name}-script: the bundle, ${rendered.configMapBytes.toLocaleString('en-US')} bytes of 1 MiB\n`);
      out(`${shown(rendered.testRunFile)}  TestRun ${rendered.name}: ${Number(rendered.totalRate.toFixed(3))} requests/s at its busiest (cap ${flags.maxRate}) to ${rendered.baseUrl} from ${flags.parallelism} runner${flags.parallelism === 1 ? '' : 's'}, keys from Secret ${flags.keySecret}, raw results on claim ${flags.resultsClaim} under ${rendered.runId}/\n`);
      out(`${shown(rendered.planFile)}  the plan without keys, for: spillway k8s collect <fetched ${rendered.runId}/ folder> --plan ${shown(rendered.planFile)}\n`);
      out(`apply with: kubectl apply -f ${shown(rendered.configMapFile)} -f ${shown(rendered.testRunFile)}\n`);
    });
  k8s
    .command('collect')
    .description("merge the runners' raw results of a k6-operator run and judge them once: a journal (scenario) or the capacity steps and knee (capacity)")
    .argument('<folder>', "the run's folder fetched from the results claim (one sub-folder per runner pod)")
    .requiredOption('--plan <file>', 'the <run>.plan.json `k8s render` wrote beside the manifests')
    .option('--results <dir>', 'where the run folder is written', 'results')
    .option('--expectations <file>', "what the plan's verifiers hold the gateway to (docs/expectations.md)")
    .action(async (folder: string, flags: CollectFlags) => {
      // The merging and judging, loaded when a run is collected (commands.ts says why).
      const { collectK8sRun } = await import('../k8s/collect-k8s.ts');
      const collected = await collectK8sRun({ folder, planFile: flags.plan, resultsDir: flags.results, ...(flags.expectations !== undefined ? { expectationsFile: flags.expectations } : {}), say: (line) => out(`${line}\n`) });
      const shown = (file: string) => relative(process.cwd(), file) || file;
      if (collected.kind === 'capacity') {
        for (const line of collected.capacity.lines) out(`${line}\n`);
        out(`${shown(collected.capacity.journalFile)}\n`);
      } else {
        const { journal, journalFile } = collected.scenario;
        for (const verdict of journal.verdicts) out(`${verdict.status.toUpperCase().padEnd(12)} ${verdict.check}: ${verdict.measured}\n`);
        out(`${shown(journalFile)} (exit ${journal.exitCode})\n`);
      }
      process.exitCode = collected.exitCode;
    });
}
