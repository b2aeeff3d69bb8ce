/**
 * MintPy-style flags on top of commander: the aliases MintPy's argparse accepts (`--ex`, `--poly`,
 * `--period`, …) and options that take several values (`--periodic 1 0.5`, `--exp 20170910 60 200`).
 * Before commander parses, each such option's values are joined into one comma-separated token — only
 * the tokens that look like its values, so a positional file after `--periodic 1 0.5` stays positional.
 */

export interface MultiValueFlag {
  /** Other spellings, rewritten to the canonical flag. */
  aliases?: string[];
  /** Which tokens after the flag are its values. Single-value flags leave this out. */
  value?: (token: string) => boolean;
}

export const isNumber = (t: string): boolean => t.trim() !== '' && Number.isFinite(Number(t));
export const isDateToken = (t: string): boolean => /^(\d{6}|\d{8})(T\d{4})?$/.test(t);

/** Rewrites `args` (without node and script) for the command whose flags are `flags`. */
export function rewriteArgs(args: string[], flags: Record<string, MultiValueFlag>): string[] {
  const alias = new Map<string, string>();
  for (const [flag, spec] of Object.entries(flags)) for (const a of spec.aliases ?? []) alias.set(a, flag);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let token = args[i]!;
    let inline: string | undefined;
    const eq = token.indexOf('=');
    if (token.startsWith('--') && eq > 0) {
      inline = token.slice(eq + 1);
      token = token.slice(0, eq);
    }
    const flag = alias.get(token) ?? token;
    const spec = flags[flag];
    if (!spec?.value || inline !== undefined) {
      out.push(inline !== undefined ? `${flag}=${inline}` : flag);
      continue;
    }
    const values: string[] = [];
    while (i + 1 < args.length && spec.value(args[i + 1]!)) values.push(args[++i]!);
    out.push(flag);
    if (values.length) out.push(values.join(','));
  }
  return out;
}
