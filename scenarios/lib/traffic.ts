import { classify, type ClientTags } from './classify.ts';
import { classIndexOf } from './executors.ts';
import { check, execution, http } from './k6-imports.ts';
import { recordRequest } from './metrics.ts';
import type { SpillwayPlan } from './plan.ts';
import { requestRandom } from './random.ts';
import { buildRequest } from './requests.ts';

/**
 * One iteration of a traffic class: build the request, send it, classify the answer and
 * record it. k6 has no SSE client, so a streaming request returns when the stream has ended:
 * its duration (and the spillway_request value) is end to end, and time to first byte is
 * http_req_waiting.
 */

/** Checks every iteration makes; their pass counts are the summary's rootChecks. */
export const checkNames = {
  answered: 'an answer arrived (no timeout or connection error)',
  retryAfter: 'every 429 carries Retry-After',
  usage: 'every success reports token usage',
} as const;

export function sendOne(plan: SpillwayPlan, classIndex: number, iteration: number): ClientTags {
  const traffic = plan.traffic[classIndex];
  if (!traffic) throw new Error(`traffic class ${classIndex} does not exist in plan "${plan.name}" (${plan.traffic.length} classes)`);
  const request = buildRequest(plan, traffic, requestRandom(plan.name, classIndex, iteration));
  const response = http.post(request.url, request.body, request.params);
  const tags = classify(response, plan, traffic);
  recordRequest(response.timings.duration, tags);

  const checkTags = { scenario: plan.name, consumer: traffic.consumer };
  check(tags, { [checkNames.answered]: (t) => t.status !== '0' }, checkTags);
  if (tags.status === '429') check(tags, { [checkNames.retryAfter]: (t) => t.retry_after !== '' }, checkTags);
  if (tags.status.startsWith('2')) check(tags, { [checkNames.usage]: (t) => Number(t.prompt_tokens) > 0 }, checkTags);
  return tags;
}

/** The exec function of every class: the k6 scenario's name says which class it is. */
export function trafficExec(plan: SpillwayPlan): () => void {
  return () => {
    sendOne(plan, classIndexOf(execution.scenario.name), execution.scenario.iterationInTest);
  };
}
