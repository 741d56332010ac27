/** k6/execution: the scenario and VU the current iteration runs in, set by the test. */
export const execution = {
  scenario: { name: 'default', iterationInTest: 0 },
  vu: { idInTest: 1 },
};

export function setExecution(scenarioName: string, iterationInTest: number, vuIdInTest = 1): void {
  execution.scenario.name = scenarioName;
  execution.scenario.iterationInTest = iterationInTest;
  execution.vu.idInTest = vuIdInTest;
}
