/**
 * For tests: runs `body` with `variables` set in process.env (keys, tokens), and puts every one of
 * them back as it was afterwards (deleted when it was unset), whether the body returns or throws.
 */
export async function withEnvironment<T>(variables: Readonly<Record<string, string>>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
