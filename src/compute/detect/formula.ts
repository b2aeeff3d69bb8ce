/**
 * Confidence rules of a parameter file: arithmetic over a candidate's measures, e.g.
 * `0.8 * min(1, sqrt(area_m2) / 30) * min(1, 10 * abs(mean_crop_mark))`.
 * Grammar: numbers, variables, + - * /, unary minus, parentheses, and min, max, abs, sqrt.
 */

export type Formula =
  | { kind: 'num'; value: number }
  | { kind: 'var'; name: string }
  | { kind: 'neg'; a: Formula }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/'; a: Formula; b: Formula }
  | { kind: 'call'; fn: 'min' | 'max' | 'abs' | 'sqrt'; args: Formula[] };

const arity: Record<string, [number, number]> = { min: [2, 99], max: [2, 99], abs: [1, 1], sqrt: [1, 1] };

/** Parses a formula; throws an Error whose message says what is wrong and where. */
export function parseFormula(text: string): Formula {
  const tokens = [
    ...text.matchAll(/\s*(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),]|\S)/g),
  ].map((m) => m[1]!);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const expect = (t: string): void => {
    if (tokens[i] !== t)
      throw new Error(`expected '${t}' ${tokens[i] === undefined ? 'at the end' : `before '${tokens[i]}'`}`);
    i++;
  };
  const primary = (): Formula => {
    const t = tokens[i++];
    if (t === undefined) throw new Error('unexpected end of formula');
    if (t === '(') {
      const e = sum();
      expect(')');
      return e;
    }
    if (t === '-') return { kind: 'neg', a: primary() };
    if (/^[\d.]/.test(t)) return { kind: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        if (!(t in arity)) throw new Error(`unknown function '${t}' (known: min, max, abs, sqrt)`);
        i++;
        const args = [sum()];
        while (peek() === ',') {
          i++;
          args.push(sum());
        }
        expect(')');
        const [lo, hi] = arity[t]!;
        if (args.length < lo || args.length > hi)
          throw new Error(`${t} takes ${lo === hi ? lo : `${lo} or more`} argument(s), got ${args.length}`);
        return { kind: 'call', fn: t as 'min', args };
      }
      return { kind: 'var', name: t };
    }
    throw new Error(`unexpected '${t}'`);
  };
  const product = (): Formula => {
    let a = primary();
    while (peek() === '*' || peek() === '/') {
      const op = tokens[i++] as '*' | '/';
      a = { kind: 'bin', op, a, b: primary() };
    }
    return a;
  };
  const sum = (): Formula => {
    let a = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[i++] as '+' | '-';
      a = { kind: 'bin', op, a, b: product() };
    }
    return a;
  };
  const f = sum();
  if (i < tokens.length) throw new Error(`unexpected '${tokens[i]}'`);
  return f;
}

export function formulaVariables(f: Formula, into = new Set<string>()): Set<string> {
  switch (f.kind) {
    case 'var':
      into.add(f.name);
      break;
    case 'neg':
      formulaVariables(f.a, into);
      break;
    case 'bin':
      formulaVariables(f.a, into);
      formulaVariables(f.b, into);
      break;
    case 'call':
      f.args.forEach((a) => formulaVariables(a, into));
      break;
    case 'num':
      break;
  }
  return into;
}

/** Evaluates in double precision; an unknown or NaN variable gives NaN. */
export function evaluate(f: Formula, vars: Readonly<Record<string, number>>): number {
  switch (f.kind) {
    case 'num':
      return f.value;
    case 'var':
      return vars[f.name] ?? NaN;
    case 'neg':
      return -evaluate(f.a, vars);
    case 'bin': {
      const a = evaluate(f.a, vars);
      const b = evaluate(f.b, vars);
      return f.op === '+' ? a + b : f.op === '-' ? a - b : f.op === '*' ? a * b : a / b;
    }
    case 'call': {
      const v = f.args.map((a) => evaluate(a, vars));
      switch (f.fn) {
        case 'min':
          return Math.min(...v);
        case 'max':
          return Math.max(...v);
        case 'abs':
          return Math.abs(v[0]!);
        case 'sqrt':
          return Math.sqrt(v[0]!);
      }
    }
  }
}
