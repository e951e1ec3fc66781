// Espruino does not hoist: a `var` read or written before its statement ran, or a function declaration
// named before its statement ran, fails or silently hits an outer binding (../shared/ESPRUINO.md). This
// finds such uses in a bundle, statically, following execution order: statements run top-down; a function
// body runs when it is called by name, or at once when it is an IIFE; otherwise it is deferred.
import { parse } from 'acorn';

type Node = { type: string; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Scope {
  node: Node;
  declared: Set<string>;
  fns: Map<string, Node>; // function declarations and `var f = function` of this scope
  parent?: Scope;
}

const FUNCTION = /^(FunctionDeclaration|FunctionExpression|ArrowFunctionExpression)$/;

function children(n: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(n)) {
    if (key === 'type' || key === 'start' || key === 'end') continue;
    const v = n[key];
    if (Array.isArray(v)) for (const c of v) c && typeof c.type === 'string' && out.push(c);
    else if (v && typeof v.type === 'string') out.push(v);
  }
  return out;
}

// Names a function (or the program) declares: params, vars anywhere in its body, function declarations.
function scopeOf(node: Node, parent?: Scope): Scope {
  const declared = new Set<string>();
  const fns = new Map<string, Node>();
  for (const p of node.params || []) if (p.type === 'Identifier') declared.add(p.name);
  const visit = (n: Node) => {
    if (n.type === 'VariableDeclaration') {
      for (const d of n.declarations) {
        declared.add(d.id.name);
        if (d.init && FUNCTION.test(d.init.type)) fns.set(d.id.name, d.init);
      }
    }
    if (n.type === 'FunctionDeclaration') {
      declared.add(n.id.name);
      fns.set(n.id.name, n);
      return;
    }
    if (FUNCTION.test(n.type)) return;
    if (n.type === 'CatchClause') {
      visit(n.body);
      return;
    }
    children(n).forEach(visit);
  };
  children(node.type === 'Program' ? node : node.body).forEach(visit);
  return { node, declared, fns, parent };
}

// Every identifier a subtree reads or writes, nested functions included (their own declarations excluded).
function freeNames(n: Node, bound: Set<string> = new Set(), out: Set<string> = new Set()): Set<string> {
  if (n.type === 'Identifier') {
    if (!bound.has(n.name)) out.add(n.name);
    return out;
  }
  if (FUNCTION.test(n.type)) {
    const s = scopeOf(n);
    const inner = new Set([...bound, ...s.declared]);
    if (n.type === 'FunctionExpression' && n.id) inner.add(n.id.name);
    freeNames(n.body, inner, out);
    return out;
  }
  if (n.type === 'MemberExpression') {
    freeNames(n.object, bound, out);
    if (n.computed) freeNames(n.property, bound, out);
    return out;
  }
  if (n.type === 'Property') {
    if (n.computed) freeNames(n.key, bound, out);
    freeNames(n.value, bound, out);
    return out;
  }
  if (n.type === 'CatchClause') {
    freeNames(n.body, new Set([...bound, n.param.name]), out);
    return out;
  }
  if (n.type === 'FunctionDeclaration') return out;
  if (n.type === 'LabeledStatement' || n.type === 'BreakStatement' || n.type === 'ContinueStatement') {
    if (n.body) freeNames(n.body, bound, out);
    return out;
  }
  for (const c of children(n)) freeNames(c, bound, out);
  return out;
}

export function useBeforeDefinition(code: string): string[] {
  const problems: string[] = [];
  const program = parse(code, { ecmaVersion: 5, sourceType: 'script', locations: true }) as unknown as Node;

  function check(scope: Scope): void {
    const defined = new Set<string>((scope.node.params || []).map((p: Node) => p.name));
    const needs = new Map<string, Set<string>>();
    // What calling a function of this scope needs from this scope, transitively.
    const needsOf = (name: string, seen = new Set<string>()): Set<string> => {
      if (needs.has(name)) return needs.get(name)!;
      const out = new Set<string>();
      if (seen.has(name)) return out;
      seen.add(name);
      const f = scope.fns.get(name)!;
      for (const v of freeNames(f)) {
        if (!scope.declared.has(v)) continue;
        out.add(v);
        if (scope.fns.has(v)) for (const w of needsOf(v, seen)) out.add(w);
      }
      needs.set(name, out);
      return out;
    };
    const require = (name: string, at: Node, why: string) => {
      if (scope.declared.has(name) && !defined.has(name)) {
        problems.push(`line ${at.loc.start.line}:${at.loc.start.column}: "${name}" ${why} before its definition ran`);
      }
    };
    // Evaluates an expression now: its identifiers, and the bodies of what it calls or runs at once.
    const evaluate = (n: Node): void => {
      if (n.type === 'Identifier') return require(n.name, n, 'is used');
      if (FUNCTION.test(n.type)) return; // deferred; checked when called
      if (n.type === 'CallExpression' || n.type === 'NewExpression') {
        const callee = n.callee;
        if (FUNCTION.test(callee.type)) {
          // an IIFE runs now: what it needs from here must be defined
          for (const v of freeNames(callee)) if (scope.declared.has(v)) require(v, n, 'is needed by an immediately called function');
        } else if (callee.type === 'Identifier' && scope.fns.has(callee.name)) {
          for (const v of needsOf(callee.name)) require(v, n, `is needed by ${callee.name}()`);
        }
      }
      if (n.type === 'MemberExpression') {
        evaluate(n.object);
        if (n.computed) evaluate(n.property);
        return;
      }
      if (n.type === 'Property') {
        if (n.computed) evaluate(n.key);
        evaluate(n.value);
        return;
      }
      for (const c of children(n)) evaluate(c);
    };
    const execute = (n: Node): void => {
      if (n.type === 'FunctionDeclaration') {
        defined.add(n.id.name);
        return;
      }
      if (n.type === 'VariableDeclaration') {
        for (const d of n.declarations) {
          if (d.init) evaluate(d.init);
          defined.add(d.id.name);
        }
        return;
      }
      if (/Statement$|Block|SwitchCase|CatchClause|Program/.test(n.type) && n.type !== 'ExpressionStatement' && n.type !== 'ReturnStatement' && n.type !== 'ThrowStatement') {
        for (const c of children(n)) execute(c);
        return;
      }
      const e = n.type === 'ExpressionStatement' ? n.expression : n.type === 'ReturnStatement' || n.type === 'ThrowStatement' ? n.argument : n;
      if (e) evaluate(e);
    };
    const body = scope.node.type === 'Program' ? scope.node : scope.node.body;
    if (body.type === 'BlockStatement' || body.type === 'Program') for (const s of body.body) execute(s);
    else evaluate(body);
    // every function inside gets the same check over its own body
    const nested = (n: Node): void => {
      if (FUNCTION.test(n.type) && n !== scope.node) return check(scopeOf(n, scope));
      children(n).forEach(nested);
    };
    children(body).forEach(nested);
  }

  check(scopeOf(program));
  return problems;
}
