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
    // Evaluates an expression now: its identifiers, and the bodies of what it calls or runs at once.
    const evaluate = (n: Node, defined: Set<string>): void => {
      const need = (name: string, at: Node, why: string) => {
        if (scope.declared.has(name) && !defined.has(name)) {
          problems.push(`line ${at.loc.start.line}:${at.loc.start.column}: "${name}" ${why} before its definition ran`);
        }
      };
      if (n.type === 'Identifier') return need(n.name, n, 'is used');
      if (FUNCTION.test(n.type)) return; // deferred; checked when called
      if (n.type === 'CallExpression' || n.type === 'NewExpression') {
        const callee = n.callee;
        if (FUNCTION.test(callee.type)) {
          // an IIFE runs now: what it needs from here must be defined
          for (const v of freeNames(callee)) need(v, n, 'is needed by an immediately called function');
        } else if (callee.type === 'Identifier' && scope.fns.has(callee.name)) {
          for (const v of needsOf(callee.name)) need(v, n, `is needed by ${callee.name}()`);
        }
      }
      if (n.type === 'MemberExpression') {
        evaluate(n.object, defined);
        if (n.computed) evaluate(n.property, defined);
        return;
      }
      if (n.type === 'Property') {
        if (n.computed) evaluate(n.key, defined);
        evaluate(n.value, defined);
        return;
      }
      for (const c of children(n)) evaluate(c, defined);
    };
    const both = (a: Set<string>, b: Set<string>) => new Set([...a].filter((x) => b.has(x)));
    // Runs a statement with what is defined before it; returns what is surely defined after it. A `var` in
    // one branch of an if does not define it for the other branch, nor after the if unless both define it.
    const execute = (n: Node, defined: Set<string>): Set<string> => {
      switch (n.type) {
        case 'FunctionDeclaration':
          return new Set(defined).add(n.id.name);
        case 'VariableDeclaration': {
          const after = new Set(defined);
          for (const d of n.declarations) {
            if (d.init) evaluate(d.init, after);
            after.add(d.id.name);
          }
          return after;
        }
        case 'BlockStatement':
        case 'Program': {
          let d = defined;
          for (const st of n.body) d = execute(st, d);
          return d;
        }
        case 'IfStatement': {
          evaluate(n.test, defined);
          const a = execute(n.consequent, defined);
          return n.alternate ? both(a, execute(n.alternate, defined)) : defined;
        }
        case 'ForStatement': {
          const d = n.init ? (n.init.type === 'VariableDeclaration' ? execute(n.init, defined) : (evaluate(n.init, defined), defined)) : defined;
          if (n.test) evaluate(n.test, d);
          const inBody = execute(n.body, d);
          if (n.update) evaluate(n.update, inBody);
          return d; // the body may run no time at all
        }
        case 'ForInStatement': {
          const d = n.left.type === 'VariableDeclaration' ? execute(n.left, defined) : defined;
          evaluate(n.right, defined);
          execute(n.body, d);
          return d;
        }
        case 'WhileStatement':
          evaluate(n.test, defined);
          execute(n.body, defined);
          return defined;
        case 'DoWhileStatement': {
          const d = execute(n.body, defined);
          evaluate(n.test, d);
          return d;
        }
        case 'TryStatement': {
          const t = execute(n.block, defined);
          const c = n.handler ? execute(n.handler.body, defined) : t;
          const d = both(t, c);
          return n.finalizer ? execute(n.finalizer, d) : d;
        }
        case 'SwitchStatement':
          evaluate(n.discriminant, defined);
          for (const c of n.cases) {
            if (c.test) evaluate(c.test, defined);
            let d = defined;
            for (const st of c.consequent) d = execute(st, d);
          }
          return defined;
        case 'LabeledStatement':
          return execute(n.body, defined);
        case 'ExpressionStatement':
          evaluate(n.expression, defined);
          return defined;
        case 'ReturnStatement':
        case 'ThrowStatement':
          if (n.argument) evaluate(n.argument, defined);
          return defined;
        default:
          for (const c of children(n)) evaluate(c, defined);
          return defined;
      }
    };
    const params = new Set<string>((scope.node.params || []).map((p: Node) => p.name));
    const body = scope.node.type === 'Program' ? scope.node : scope.node.body;
    if (body.type === 'BlockStatement' || body.type === 'Program') execute(body, params);
    else evaluate(body, params);
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
