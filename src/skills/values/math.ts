/**
 * Arithmetic from what people type or say ("12 times 7 plus 3", "15% of 80", "square root of
 * 144"). The words become symbols, mathjs `parse()` builds a tree, and only a whitelist of node
 * kinds (numbers, + - * / ^ mod !, brackets, a few named functions and the constants pi and e) is
 * accepted; the checked tree is evaluated by a tiny evaluator here, so nothing a user types is
 * ever run as code (no property access, assignment, strings, or unknown functions).
 */
import { factorial as mathFactorial, parse, type MathNode } from 'mathjs';
import type { Parsed } from '../types.js';
import { clip, numberWordsToDigits } from './number.js';

export interface MathValue {
  /** The expression as the user gave it, without "what is" and the question mark. */
  expression: string;
  value: number;
  /** The value rounded for reading (up to 10 significant digits, thousands separators). */
  display: string;
}

const MAX_TEXT = 200;
const MAX_DEPTH = 20;
const EXAMPLE = '15% of 80';

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...args: number[]) => number }> = {
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  cbrt: { arity: [1, 1], fn: Math.cbrt },
  abs: { arity: [1, 1], fn: Math.abs },
  round: { arity: [1, 2], fn: (x, digits = 0) => roundTo(x, digits) },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  // "log" is base 10 as on a calculator; "log(x, b)" takes a base; "ln" is natural.
  log: { arity: [1, 2], fn: (x, base) => (base === undefined ? Math.log10(x) : Math.log(x) / Math.log(base)) },
  log10: { arity: [1, 1], fn: Math.log10 },
  log2: { arity: [1, 1], fn: Math.log2 },
  ln: { arity: [1, 1], fn: Math.log },
  exp: { arity: [1, 1], fn: Math.exp },
  sin: { arity: [1, 1], fn: Math.sin },
  cos: { arity: [1, 1], fn: Math.cos },
  tan: { arity: [1, 1], fn: Math.tan },
  asin: { arity: [1, 1], fn: Math.asin },
  acos: { arity: [1, 1], fn: Math.acos },
  atan: { arity: [1, 1], fn: Math.atan },
  factorial: { arity: [1, 1], fn: factorial },
  min: { arity: [1, 10], fn: Math.min },
  max: { arity: [1, 10], fn: Math.max },
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI };
const FUNCTION_NAMES = Object.keys(FUNCTIONS).join('|');
/** "sqrt of 144", "sqrt 144", "log 100": a function applied to the number that follows. */
const FUNCTION_ON_NUMBER = new RegExp(`\\b(${FUNCTION_NAMES})\\s+(?:of\\s+)?(-?\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?|pi|e)\\b`, 'g');
const FUNCTION_OF_BRACKET = new RegExp(`\\b(${FUNCTION_NAMES})\\s+of\\s+(?=\\()`, 'g');

/** A failure the evaluator reports with a reason a user can act on. */
class Refusal extends Error {}

function roundTo(x: number, digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) throw new Refusal('I can round to 0 to 15 decimal places.');
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function factorial(n: number): number {
  if (n < 0) throw new Refusal("Factorials of negative numbers aren't defined.");
  if (n > 170) return Infinity;
  return Number(mathFactorial(n));
}

/** Turns spoken arithmetic into symbols ("12 times 7 plus 3" → "12 * 7 + 3"). */
export function wordsToSymbols(text: string): string {
  let t = text.toLowerCase().trim();
  t = t.replace(/\?+$/, '').replace(/(?<![\d)!\s])!+$/, '').replace(/\s*(?:=|equals|equal to|is equal to)\s*$/, '');
  t = t.replace(/^(?:(?:hey|ok|okay|so|please|can you|could you|what's|whats|what is|what are|calculate|compute|work out|evaluate|solve|how much is|tell me|the)\s+)+/, '');
  t = t.replace(/[×✕]/g, '*').replace(/[÷]/g, '/').replace(/[−–]/g, '-').replace(/π/g, 'pi').replace(/√\s*/g, 'sqrt ');
  t = numberWordsToDigits(t);
  t = t.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  t = t.replace(/\b(?:the\s+)?square\s+root\s+of\b/g, 'sqrt of').replace(/\b(?:the\s+)?cube\s+root\s+of\b/g, 'cbrt of');
  t = t.replace(/\b(?:the\s+)?(?:natural\s+log(?:arithm)?|ln)\s+of\b/g, 'ln of').replace(/\b(?:the\s+)?log(?:arithm)?\s+of\b/g, 'log of');
  t = t.replace(/\b(?:the\s+)?(?:absolute\s+value|abs)\s+of\b/g, 'abs of');
  t = t.replace(/\b(?:the\s+)?factorial\s+of\s+(\d+(?:\.\d+)?)/g, '$1!').replace(/(\d)\s+factorial\b/g, '$1!');
  t = t.replace(/\s+squared\b/g, '^2').replace(/\s+cubed\b/g, '^3');
  t = t.replace(/\b(?:raised\s+)?to\s+the\s+(\d+)(?:st|nd|rd|th)(?:\s+power)?/g, '^ $1');
  t = t.replace(/\b(?:raised\s+)?to\s+the\s+power\s+(?:of\s+)?|\braised\s+to\s+(?:the\s+power\s+(?:of\s+)?)?/g, '^ ');
  t = t.replace(/\bpercent\b|\bper\s+cent\b/g, '%');
  t = t.replace(/(\d+(?:\.\d+)?)\s*%\s*of\b/g, '($1 / 100) *');
  // A percentage not followed by an operand ("50% + 1", "10%") is a fraction; "10 % 3" stays modulo.
  t = t.replace(/(\d+(?:\.\d+)?)\s*%(?!\s*[\d(.])/g, '($1 / 100)');
  t = t.replace(/\bhalf\s+of\b/g, '0.5 *').replace(/\b(?:double|twice)\b/g, '2 *').replace(/\btriple\b/g, '3 *');
  t = t.replace(/\b(?:multiplied\s+by|times)\b/g, '*').replace(/(\d|\))\s*x\s*(?=[\d(])/g, '$1 * ');
  t = t.replace(/\b(?:divided\s+by|divide\s+by|over)\b/g, '/');
  t = t.replace(/\bplus\b/g, '+').replace(/\b(?:minus|take\s+away)\b/g, '-').replace(/\bnegative\b/g, '-');
  t = t.replace(/\b(?:modulo|modulus|mod)\b/g, ' mod ');
  t = t.replace(FUNCTION_ON_NUMBER, '$1($2)').replace(FUNCTION_OF_BRACKET, '$1');
  return t.replace(/\s+/g, ' ').trim();
}

function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (const ch of text) {
    if (ch === '(' || ch === '[' || ch === '{') max = Math.max(max, ++depth);
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
  }
  return max;
}

/** Checks that a node is one of the whitelisted kinds, recursively; throws a `Refusal` otherwise. */
function check(node: MathNode, depth = 0): void {
  if (depth > 3 * MAX_DEPTH) throw new Refusal('That expression is nested too deeply.');
  switch (node.type) {
    case 'ConstantNode': {
      const value = (node as unknown as { value: unknown }).value;
      if (typeof value !== 'number') throw new Refusal('I can only calculate with numbers, not text or true/false.');
      return;
    }
    case 'SymbolNode': {
      const name = (node as unknown as { name: string }).name;
      if (!(name in CONSTANTS)) throw new Refusal(`I don't know what "${clip(name, 20)}" is: I only know numbers and the constants pi and e.`);
      return;
    }
    case 'ParenthesisNode':
      return check((node as unknown as { content: MathNode }).content, depth + 1);
    case 'OperatorNode': {
      const op = node as unknown as { fn: string; args: MathNode[] };
      if (!['add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus', 'factorial'].includes(op.fn)) {
        throw new Refusal(`I can only do arithmetic (+ - * / ^ % and !), not "${(node as unknown as { op: string }).op}".`);
      }
      for (const arg of op.args) check(arg, depth + 1);
      return;
    }
    case 'FunctionNode': {
      const call = node as unknown as { fn: MathNode; args: MathNode[] };
      const name = call.fn.type === 'SymbolNode' ? (call.fn as unknown as { name: string }).name : null;
      const spec = name !== null && Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
      if (!spec) throw new Refusal(`I don't know the function "${clip(name ?? call.fn.toString(), 20)}". I know ${Object.keys(FUNCTIONS).join(', ')}.`);
      if (call.args.length < spec.arity[0] || call.args.length > spec.arity[1]) throw new Refusal(`${name} takes ${spec.arity[0]} number${spec.arity[0] === 1 ? '' : 's'}.`);
      for (const arg of call.args) check(arg, depth + 1);
      return;
    }
    case 'AccessorNode':
    case 'IndexNode':
      throw new Refusal("I can only do arithmetic: I can't look inside objects.");
    case 'AssignmentNode':
    case 'FunctionAssignmentNode':
      throw new Refusal("I can only calculate: I can't assign variables or define functions.");
    default:
      throw new Refusal("That isn't arithmetic I can do: I only use numbers, + - * / ^ %, brackets and functions like sqrt.");
  }
}

/** Evaluates a checked tree. */
function evaluate(node: MathNode): number {
  switch (node.type) {
    case 'ConstantNode':
      return (node as unknown as { value: number }).value;
    case 'SymbolNode':
      return CONSTANTS[(node as unknown as { name: string }).name];
    case 'ParenthesisNode':
      return evaluate((node as unknown as { content: MathNode }).content);
    case 'OperatorNode': {
      const op = node as unknown as { fn: string; args: MathNode[] };
      const [a, b] = op.args.map(evaluate);
      switch (op.fn) {
        case 'add':
          return a + b;
        case 'subtract':
          return a - b;
        case 'multiply':
          return a * b;
        case 'divide':
          if (b === 0) throw new Refusal("I can't divide by zero.");
          return a / b;
        case 'pow':
          return a ** b;
        case 'mod':
          if (b === 0) throw new Refusal("I can't take a remainder after dividing by zero.");
          return a - b * Math.floor(a / b);
        case 'unaryMinus':
          return -a;
        case 'unaryPlus':
          return a;
        case 'factorial':
          return factorial(a);
      }
      throw new Refusal('Unknown operator.');
    }
    case 'FunctionNode': {
      const call = node as unknown as { fn: { name: string }; args: MathNode[] };
      return FUNCTIONS[call.fn.name].fn(...call.args.map(evaluate));
    }
  }
  throw new Refusal('Unknown expression.');
}

// Made once: building a number format per call (what toLocaleString does) costs more than the rest of a turn's formatting.
const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 10 });

/** A readable number: up to 10 significant digits, thousands separators, exponent when huge or tiny. */
export function formatNumber(value: number): string {
  const rounded = Number(value.toPrecision(10));
  if (rounded === 0) return '0';
  const abs = Math.abs(rounded);
  if (abs >= 1e15 || abs < 1e-6) return rounded.toExponential().replace(/\.?0+e/, 'e');
  return NUMBER_FORMAT.format(rounded);
}

/** Evaluates arithmetic said in words or symbols ("15% of 80" → 12); never runs anything else. */
export function evaluateMath(text: string): Parsed<MathValue> {
  const fail = (reason: string): Parsed<MathValue> => ({ ok: false, reason, example: EXAMPLE });
  if (text.length > MAX_TEXT) return fail(`That's too long for me to calculate (${MAX_TEXT} characters at most).`);
  const expression = text
    .trim()
    .replace(/[?.]+$/, '')
    .replace(/(?<![\d)!\s])!+$/, '')
    .replace(/^(?:what's|whats|what is|calculate|compute|work out|evaluate|how much is)\s+/i, '')
    .trim();
  const symbols = wordsToSymbols(text);
  if (!symbols) return fail('What should I calculate?');
  if (nestingDepth(symbols) > MAX_DEPTH) return fail(`That's nested too deeply (${MAX_DEPTH} brackets at most).`);
  let tree: MathNode;
  try {
    tree = parse(symbols);
  } catch {
    return fail(`I couldn't read "${clip(text)}" as a calculation.`);
  }
  try {
    check(tree);
    const value = evaluate(tree);
    if (Number.isNaN(value)) return fail("That doesn't have a real-number answer.");
    if (!Number.isFinite(value)) return fail('The answer is too big for me to show.');
    const clean = Object.is(value, -0) ? 0 : value;
    return { ok: true, value: { expression, value: clean, display: formatNumber(clean) } };
  } catch (error) {
    if (error instanceof Refusal) return fail(error.message);
    return fail(`I couldn't calculate "${clip(text)}".`);
  }
}
