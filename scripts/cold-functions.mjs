// Cold functions merged into one, in the board bundles. On Espruino every function the bundle defines holds
// RAM for good, about 5 blocks and one for each parameter (measured: 20 three-parameter functions as boot
// code, 160 blocks; the same bodies as one function, 9), while a call costs the text of the function it
// runs, executed or skipped (about 20 us a kilobyte on the ESP32 build). So the functions that run only when
// connecting, subscribing, failing or building a reading's payload are made one function each group, `G(k, ...)`, whose k-th block is the
// k-th function's body; each call `f(a, b)` becomes `G(k, a, b)`. In the library the message path's
// functions stay as they are, since a group is read whole on every call into it; the firmware merges them too
// (rollup.config.mjs FIRMWARE).
//
// The source is untouched: this runs on each board bundle after rollup, on the code terser has already
// reduced (its first pass, names unmangled, so that only functions the bundle still has are merged), and
// before terser's real pass. A function merged must be called, never used as a value, and use neither
// `this` nor `arguments`: anything else fails the build, so the lists below stay true. Each function's
// parameters become the group's ($c0, $c1, ...) and its other names are made its own ($c3_name), so no
// body sees another's names: the bundle is ES5, whose scopes are functions and catch clauses.
import { parse } from 'acorn';
import MagicString from 'magic-string';
import { minify } from 'terser';
import { declaredVars, eachChild, isReference } from './boot-build.mjs';

const PREFIX = '$c';

// groups: [{ name, functions: [names as rollup emits them] }]; a name the bundle does not define is passed
// over (each bundle has a different part of the code), a group left with fewer than two is not made.
export function mergeCold(code, groups) {
  if (code.includes(PREFIX)) throw new Error(`cold-functions: the bundle already has a name with ${PREFIX}`);
  for (const g of groups) code = mergeGroup(code, g.name, g.functions);
  return code;
}

function mergeGroup(code, name, wanted) {
  const ast = parse(code, { ecmaVersion: 5 });
  const top = new Map();
  for (const node of ast.body) if (node.type === 'FunctionDeclaration') top.set(node.id.name, node);
  if (top.has(name)) throw new Error(`cold-functions: ${name} is taken`);
  for (const n of wanted) if ([...top.keys()].some((t) => t.startsWith(`${n}$`))) throw new Error(`cold-functions: ${n} is ambiguous in this bundle (rollup renamed one of two)`);
  const fns = wanted.filter((n) => top.has(n)).map((n) => top.get(n));
  if (fns.length < 2) return code;
  const index = new Map(fns.map((f, k) => [f.id.name, k]));
  const out = new MagicString(code);

  // each function's own names, renamed in it (not where a nested function declares the same name)
  const own = new Map();
  fns.forEach((f, k) => {
    const names = new Map(f.params.map((p, i) => [p.name, `${PREFIX}${i}`]));
    const locals = new Set();
    for (const s of f.body.body) declaredVars(s, locals);
    for (const l of locals) if (!names.has(l)) names.set(l, `${PREFIX}${k}_${l}`);
    own.set(f, names);
    forbidThis(f.body, f.id.name);
  });

  // every name in the bundle, resolved through its enclosing scopes: a merged function's own name is
  // renamed, a call of a merged function is redirected, any other use of one fails the build
  const visit = (node, parent, scopes) => {
    if (!node || typeof node.type !== 'string') return;
    if (node.type === 'Identifier') {
      const declaring = isDeclaration(node, parent);
      if (!declaring && !isReference(node, parent)) return;
      const scope = scopes.findLast((s) => s.names.has(node.name));
      if (scope && scope.rename) {
        const to = scope.rename.get(node.name);
        if (to) out.overwrite(node.start, node.end, to);
      } else if (!scope && index.has(node.name) && !declaring) {
        if (parent.type !== 'CallExpression' || parent.callee !== node) throw new Error(`cold-functions: ${node.name} is used as a value`);
        const k = index.get(node.name);
        out.overwrite(node.start, node.end, name);
        const paren = code.indexOf('(', node.end);
        out.appendLeft(paren + 1, parent.arguments.length ? `${k},` : `${k}`);
      }
      return;
    }
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') {
      // a merged function's declaration id is its old name, left as it is (the declaration goes)
      if (node.type === 'FunctionDeclaration' && parent !== ast) visit(node.id, node, scopes);
      const names = new Set(node.params.map((p) => p.name));
      if (node.type === 'FunctionExpression' && node.id) names.add(node.id.name);
      for (const s of node.body.body) declaredVars(s, names);
      const inner = [...scopes, { names, rename: own.get(node) }];
      if (node.type === 'FunctionExpression' && node.id) visit(node.id, node, inner);
      for (const p of node.params) visit(p, node, inner);
      visit(node.body, node, inner);
      return;
    }
    if (node.type === 'CatchClause') {
      const inner = [...scopes, { names: new Set([node.param.name]) }];
      visit(node.param, node, inner);
      visit(node.body, node, inner);
      return;
    }
    eachChild(node, (c) => visit(c, node, scopes));
  };
  for (const node of ast.body) visit(node, ast, []);

  const width = Math.max(...fns.map((f) => f.params.length));
  const params = [`${PREFIX}k`];
  for (let i = 0; i < width; i++) params.push(`${PREFIX}${i}`);
  const blocks = fns.map((f, k) => `if(${PREFIX}k===${k}){${out.slice(f.body.start + 1, f.body.end - 1)}}`);
  // in the place of the first: the bundle calls none of them before its functions are defined (its
  // top-level statements that run at once come after them, and the hoisting check in test/bundle.test.ts
  // proves it of the result)
  for (const f of fns) out.remove(f.start, f.end);
  out.appendLeft(fns[0].start, `function ${name}(${params.join(',')}){${blocks.join('else ')}}`);
  return out.toString();
}

// A declaration of a name: a parameter, a `var`, a function's or catch clause's own name.
function isDeclaration(id, parent) {
  if (parent.type === 'VariableDeclarator') return parent.id === id;
  if (parent.type === 'FunctionDeclaration' || parent.type === 'FunctionExpression') return true;
  if (parent.type === 'CatchClause') return parent.param === id;
  return false;
}

function forbidThis(node, fn) {
  if (!node || typeof node.type !== 'string') return;
  if (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration') return;
  if (node.type === 'ThisExpression' || (node.type === 'Identifier' && node.name === 'arguments')) {
    throw new Error(`cold-functions: ${fn} uses ${node.type === 'ThisExpression' ? 'this' : 'arguments'}`);
  }
  eachChild(node, (c) => forbidThis(c, fn));
}

// The rollup plugin: terser's compression alone first (the options the bundle is built with, names kept,
// and the source's /*#__NOINLINE__*/ kept for the real pass: without them it inlined publish's callees),
// then the groups merged; terser's own pass follows (the plugin after this one).
export function coldFunctions(groups, compress) {
  return {
    name: 'cold-functions',
    async renderChunk(code) {
      const pre = await minify(code, { ecma: 5, toplevel: true, compress, mangle: false, format: { ascii_only: false, comments: false, preserve_annotations: true } });
      return { code: mergeCold(pre.code, groups), map: null };
    },
  };
}
