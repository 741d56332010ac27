/**
 * The report formats, in the order they are rendered (the HTML first). Apart from
 * render-outputs.ts, which maps each to its file and renderer, so that a command line can name
 * them (`spillway report --format`) without loading the renderers (harness/cli/commands.ts says why).
 */
export const reportFormats = ['html', 'md', 'junit', 'json'] as const;
export type ReportFormat = (typeof reportFormats)[number];
