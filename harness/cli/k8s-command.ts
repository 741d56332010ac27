import type { Command } from 'commander';
import { relative } from 'node:path';
import { defaultK6Image, defaultKeySecret, defaultResultsClaim, maxParallelism, renderK8s } from '../k8s/render-k8s.ts';
import { parseNumberOption } from './option-parsers.ts';

/**
 * `spillway k8s render <scenario>`: k6-operator manifests (ConfigMap and TestRun) for running a
 * scenario from a Kubernetes cluster (docs/k8s.md). Collecting and judging the runners' results
 * (`spillway k8s collect`) is not built yet.
 */
interface RenderFlags {
  parallelism: number;
  gatewayUrl: string;
  units: number;
  namespace: string;
  out: string;
  k6Image: string;
  keySecret: string;
  resultsClaim: string;
  k6Config?: string;
  trafficOnly?: boolean;
}

export function registerK8sCommand(program: Command, out: (text: string) => void = (text) => process.stdout.write(text)): void {
  const k8s = program.command('k8s').description('run scenarios on Kubernetes with k6-operator (docs/k8s.md)');
  k8s
    .command('render')
    .description("write k6-operator's TestRun and the ConfigMap holding the scenario's bundle, for kubectl apply")
    .argument('<scenario>', 'a scenario of k6.config.json')
    .requiredOption('--parallelism <n>', `runner pods, each running its execution segment (1-${maxParallelism})`, parseNumberOption('--parallelism', { integer: true, min: 1, max: maxParallelism }))
    .requiredOption('--gateway-url <url>', 'the gateway (or front door) the runners load, as seen from the cluster')
    .option('--units <n>', 'gateway units: request rates are per unit', parseNumberOption('--units', { integer: true, min: 1, max: 30 }), 1)
    .option('--namespace <ns>', 'namespace of the ConfigMap and TestRun', 'default')
    .option('--out <dir>', 'folder the manifests are written to', 'k8s')
    .option('--k6-image <image>', 'the runners\' k6 image', defaultK6Image)
    .option('--key-secret <name>', 'the Secret holding the subscription keys, one entry per key variable (SPILLWAY_KEY_…)', defaultKeySecret)
    .option('--results-claim <name>', 'the PersistentVolumeClaim (ReadWriteMany) the runners write their raw results to', defaultResultsClaim)
    .option('--traffic-only', "with a scenario that has a fault timeline: run its traffic alone (runners cannot inject faults)")
    .option('--k6-config <file>', 'scenario plans and consumer classes (default: k6.config.json)')
    .action(async (scenario: string, flags: RenderFlags) => {
      const rendered = await renderK8s({
        scenario,
        parallelism: flags.parallelism,
        gatewayUrl: flags.gatewayUrl,
        units: flags.units,
        namespace: flags.namespace,
        outDir: flags.out,
        k6Image: flags.k6Image,
        keySecret: flags.keySecret,
        resultsClaim: flags.resultsClaim,
        trafficOnly: flags.trafficOnly === true,
        ...(flags.k6Config ? { k6ConfigFile: flags.k6Config } : {}),
      });
      const shown = (file: string) => relative(process.cwd(), file) || file;
      out(`${shown(rendered.configMapFile)}  ConfigMap ${rendered.name}-script: the bundle, ${rendered.configMapBytes.toLocaleString('en-US')} bytes of 1 MiB\n`);
      out(`${shown(rendered.testRunFile)}  TestRun ${rendered.name}: ${Number(rendered.totalRate.toFixed(3))} requests/s to ${flags.gatewayUrl} from ${flags.parallelism} runner${flags.parallelism === 1 ? '' : 's'}, keys from Secret ${flags.keySecret}, raw results on claim ${flags.resultsClaim} under ${rendered.runId}/\n`);
      out(`apply with: kubectl apply -f ${shown(rendered.configMapFile)} -f ${shown(rendered.testRunFile)} (collecting the results is not built yet: docs/k8s.md)\n`);
    });
}
