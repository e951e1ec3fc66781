// The library as top-level boot code (see README, "Deploying"), occupying two global names only.
// Run at top level from flash, each top-level function stays in flash (wrapped in a function it would be
// copied into RAM: measured +73 blocks), but a top-level name is a global, and the minified library's are
// one or two letters: an application's `var c = mqtt.connect(...)` in the same boot code would overwrite one.
// So every top-level name N of the bundle becomes the property `__mqtt.N` (a function declaration becomes an
// assignment, in the same place: the interpreter does not hoist either), and its `exports` is `mqtt`.
// The bundle is ES5: scopes are functions (parameters, `var`, function declarations, a function
// expression's own name) and catch clauses.
import { parse } from 'acorn';
import MagicString from 'magic-string';

export const HOLDER = '__mqtt';
export const EXPORTS = 'mqtt';

export function bootBuild(lib) {
  const ast = parse(lib, { ecmaVersion: 5 });
  const out = new MagicString(lib);
  const top = new Set();
  for (const node of ast.body) {
    if (node.type === 'FunctionDeclaration') top.add(node.id.name);
    else declaredVars(node, top);
  }
  // names declared in a function, not in functions nested in it
  const declared = (fn) => {
    const names = new Set(fn.params.map((p) => p.name));
    if (fn.type === 'FunctionExpression' && fn.id) names.add(fn.id.name);
    for (const s of fn.body.body) declaredVars(s, names);
    return names;
  };
  const visit = (node, parent, scopes) => {
    if (!node || typeof node.type !== 'string') return;
    if (node.type === 'Identifier') {
      if (!isReference(node, parent)) return;
      const name = node.name;
      if (scopes.some((s) => s.has(name))) return; // a local of some enclosing function
      if (top.has(name)) out.overwrite(node.start, node.end, `${HOLDER}.${name}`);
      else if (name === 'exports') out.overwrite(node.start, node.end, EXPORTS);
      return;
    }
    let inner = scopes;
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') {
      if (node.type === 'FunctionDeclaration' && parent === ast) {
        // `function N(` -> `__mqtt.N=function(`, `}` -> `};`
        out.overwrite(node.start, node.id.end, `${HOLDER}.${node.id.name}=function`);
        out.appendLeft(node.end, ';');
      }
      inner = [...scopes, declared(node)];
      for (const p of node.params) visit(p, node, inner);
      visit(node.body, node, inner);
      return;
    }
    if (node.type === 'CatchClause') {
      inner = [...scopes, new Set([node.param.name])];
    }
    if (node.type === 'VariableDeclaration' && !scopes.length) {
      // a top-level `var a = 1, b` -> `__mqtt.a = 1, __mqtt.b = void 0` (in a for head: no `void 0`)
      const inForIn = (parent.type === 'ForInStatement') && parent.left === node;
      out.overwrite(node.start, node.declarations[0].start, '');
      for (const d of node.declarations) {
        out.overwrite(d.id.start, d.id.end, `${HOLDER}.${d.id.name}`);
        if (!d.init && !inForIn) out.appendLeft(d.id.end, '=void 0');
        visit(d.init, d, scopes);
      }
      return;
    }
    eachChild(node, (c) => visit(c, node, inner));
  };
  for (const node of ast.body) visit(node, ast, []);
  return `var ${EXPORTS} = {}, ${HOLDER} = {};\n${out.toString()}\n`;
}

// Adds the names that `var` statements in `node` declare (not inside nested functions) to `names`, and
// function declarations nested in blocks.
export function declaredVars(node, names) {
  if (!node || typeof node.type !== 'string') return;
  if (node.type === 'FunctionExpression') return;
  if (node.type === 'FunctionDeclaration') {
    names.add(node.id.name);
    return;
  }
  if (node.type === 'VariableDeclarator') names.add(node.id.name);
  eachChild(node, (c) => declaredVars(c, names));
}

// Calls fn(child) for each node directly below `node` in the tree.
export function eachChild(node, fn) {
  for (const key of Object.keys(node)) {
    if (key === 'type' || key === 'start' || key === 'end') continue;
    const v = node[key];
    if (Array.isArray(v)) for (const c of v) fn(c);
    else if (v && typeof v.type === 'string') fn(v);
  }
}

export function isReference(id, parent) {
  if (!parent) return true;
  if (parent.type === 'MemberExpression') return parent.object === id || parent.computed;
  if (parent.type === 'Property') return parent.value === id || parent.computed;
  if (parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement') return false;
  if (parent.type === 'VariableDeclarator') return parent.init === id;
  if (parent.type === 'CatchClause') return false;
  if (parent.type === 'FunctionDeclaration' || parent.type === 'FunctionExpression') return false; // id, params
  return true;
}
