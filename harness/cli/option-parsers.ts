import { InvalidArgumentError } from 'commander';

/** A commander option parser that rejects anything but a number in range, naming the option. */
export function parseNumberOption(name: string, rules: { integer?: boolean; min?: number; max?: number }): (value: string) => number {
  return (value: string) => {
    const number = Number(value);
    const problem =
      value.trim() === '' || !Number.isFinite(number)
        ? 'is not a number'
        : rules.integer && !Number.isInteger(number)
          ? 'must be a whole number'
          : rules.min !== undefined && number < rules.min
            ? `must be at least ${rules.min}`
            : rules.max !== undefined && number > rules.max
              ? `must be at most ${rules.max}`
              : null;
    if (problem) throw new InvalidArgumentError(`${name} ${JSON.stringify(value)} ${problem}.`);
    return number;
  };
}
