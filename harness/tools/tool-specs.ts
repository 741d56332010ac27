/**
 * The external tools Spillway drives, each pinned to one version. A run's results are only
 * comparable with another run's when both used the same k6 and the same Toxiproxy, so the
 * version is part of the spec and is checked on every binary we are handed or find.
 */

/** How to produce the binary with the Go toolchain when nothing usable is installed. */
export type GoBuildRecipe =
  | {
      /**
       * `go install <package>@<version>` into a private GOBIN. Works when the module proxy
       * can answer every lookup `go install` makes for the module.
       */
      readonly kind: 'go-install';
      readonly package: string;
      readonly moduleVersion: string;
      /** The file name `go install` gives the binary (the last element of the package path). */
      readonly installedName: string;
      readonly ldflags?: string;
    }
  | {
      /**
       * `go build` from inside a throwaway module that requires the tool's module. Needed for
       * k6 v2: `go install go.k6.io/k6/v2@v2.2.0` fails because the proxy answers 404 to the
       * `@v/list` lookup `go install` makes and the vanity host go.k6.io is not always
       * reachable, while a plain `require` resolves the pinned version straight from the proxy.
       */
      readonly kind: 'wrapper-module';
      readonly module: string;
      readonly moduleVersion: string;
      readonly package: string;
      /** The `go` directive of the throwaway go.mod (the tool's own minimum). */
      readonly goDirective: string;
      /**
       * The vanity host breaks the default `https://proxy.golang.org,direct` (the `direct`
       * fallback is tried and fails), so the build asks the proxy alone unless the user chose
       * a proxy of their own.
       */
      readonly proxyOnly: boolean;
      readonly ldflags?: string;
    };

export interface ToolSpec {
  /** The name users type: `spillway tools install k6`. */
  readonly id: 'k6' | 'toxiproxy';
  /** The pinned version, without a leading `v`. */
  readonly version: string;
  /** An explicit binary path; when set it is the only candidate and must match the version. */
  readonly envVar: string;
  /** Executable names looked up on PATH, in order. */
  readonly pathNames: readonly string[];
  /** Directory under `<cache>/tools/` holding this version's binary. */
  readonly cacheDirName: string;
  /** The name the binary gets in the cache directory. */
  readonly binaryName: string;
  /** Further names accepted in the cache directory (an older, unrenamed build). */
  readonly extraCacheNames: readonly string[];
  /**
   * Arguments that make the binary print its version and exit, tried in order. Toxiproxy's
   * server ignores unknown positional arguments and starts listening, so it only gets
   * `--version`.
   */
  readonly versionArgs: readonly (readonly string[])[];
  /** Extracts the version (without `v`) from the version output, or undefined. */
  readonly parseVersionOutput: (output: string) => string | undefined;
  /** The module whose version the Go build info of a genuine binary records. */
  readonly goModule: string;
  /** Minimum Go release able to build it (shown in install advice). */
  readonly minimumGo: string;
  readonly build: GoBuildRecipe;
}

function firstCapture(pattern: RegExp, output: string): string | undefined {
  return pattern.exec(output)?.[1];
}

export const k6Spec: ToolSpec = {
  id: 'k6',
  version: '2.2.0',
  envVar: 'K6_BINARY',
  pathNames: ['k6'],
  cacheDirName: 'k6-v2.2.0',
  binaryName: 'k6',
  extraCacheNames: [],
  versionArgs: [['version'], ['--version']],
  // `k6 v2.2.0 (commit/abc, go1.26.8, linux/amd64)`; a k6 built without ldflags still says
  // its own version because k6 keeps it in a constant.
  parseVersionOutput: (output) => firstCapture(/\bk6 v(\d+\.\d+\.\d+[^\s()]*)/, output),
  goModule: 'go.k6.io/k6/v2',
  minimumGo: '1.25',
  build: {
    kind: 'wrapper-module',
    module: 'go.k6.io/k6/v2',
    moduleVersion: 'v2.2.0',
    package: 'go.k6.io/k6/v2',
    goDirective: '1.25',
    proxyOnly: true,
  },
};

export const toxiproxySpec: ToolSpec = {
  id: 'toxiproxy',
  version: '2.12.0',
  envVar: 'TOXIPROXY_BINARY',
  // `server`, the name `go install` gives it, is too generic to trust on PATH.
  pathNames: ['toxiproxy-server'],
  cacheDirName: 'toxiproxy-v2.12.0',
  binaryName: 'toxiproxy-server',
  extraCacheNames: ['server'],
  versionArgs: [['--version']],
  // `toxiproxy-server version 2.12.0`; a build without ldflags says `version git`, which is
  // returned as `git` so the caller falls back to the build info.
  parseVersionOutput: (output) => firstCapture(/toxiproxy-server version v?(\S+)/, output),
  goModule: 'github.com/Shopify/toxiproxy/v2',
  minimumGo: '1.23',
  build: {
    kind: 'go-install',
    package: 'github.com/Shopify/toxiproxy/v2/cmd/server',
    moduleVersion: 'v2.12.0',
    installedName: 'server',
    // The version string is only set by the release build's ldflags; without it the
    // binary reports `git`.
    ldflags: '-X github.com/Shopify/toxiproxy/v2.Version=2.12.0',
  },
};

export const toolSpecs: readonly ToolSpec[] = [k6Spec, toxiproxySpec];

export function findToolSpec(id: string): ToolSpec | undefined {
  return toolSpecs.find((spec) => spec.id === id);
}
