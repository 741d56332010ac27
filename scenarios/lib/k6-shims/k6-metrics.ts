/** k6/metrics: custom metrics that record every sample with its tags, by metric name. */
export interface ShimSample {
  metric: string;
  type: 'trend' | 'counter' | 'rate';
  value: number;
  tags: Record<string, string>;
}

export const samples: ShimSample[] = [];
export const definedMetrics: { name: string; type: ShimSample['type']; isTime: boolean }[] = [];

abstract class ShimMetric {
  abstract readonly type: ShimSample['type'];
  readonly name: string;
  readonly isTime: boolean;
  constructor(name: string, isTime = false) {
    this.name = name;
    this.isTime = isTime;
  }
  protected register(): void {
    definedMetrics.push({ name: this.name, type: this.type, isTime: this.isTime });
  }
  add(value: number | boolean, tags: Record<string, string> = {}): void {
    samples.push({ metric: this.name, type: this.type, value: Number(value), tags: { ...tags } });
  }
}

export class Trend extends ShimMetric {
  readonly type = 'trend' as const;
  constructor(name: string, isTime = false) {
    super(name, isTime);
    this.register();
  }
}

export class Counter extends ShimMetric {
  readonly type = 'counter' as const;
  constructor(name: string, isTime = false) {
    super(name, isTime);
    this.register();
  }
}

export class Rate extends ShimMetric {
  readonly type = 'rate' as const;
  constructor(name: string, isTime = false) {
    super(name, isTime);
    this.register();
  }
}

/** Forgets recorded samples (metric definitions stay: modules create them once, at import). */
export function clearSamples(): void {
  samples.length = 0;
}
