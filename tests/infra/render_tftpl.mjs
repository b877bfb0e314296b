// Renders a Terraform module's cloud-init template the way `templatefile()` would, for checks
// without a terraform binary (tests/infra/terraform_test.sh then runs `cloud-init schema` on it).
//
//   node render_tftpl.mjs MODULE_DIR VALUES.json OUT_FILE
//
// The module must call templatefile("${path.module}/NAME.tftpl", local.user_data_vars) with
// user_data_vars a map in its locals. Values of the form file("...") are read from the
// repository, exactly the files Terraform would read; every other value comes from VALUES.json
// (a fixed test input: { "<module folder name>": { "<name>": "<value>" } }).
//
// Supported template syntax (anything else fails loudly, so the renderer never guesses):
//   ${name}  ${indent(N, name)}  ${jsonencode(name)}  $${ (literal)  ~ strip markers
//   %{ if name == "text" } / %{ if name != "text" } / %{ if flag } (a bool) / %{ else } / %{ endif }
// Also checks that the template uses every value passed and passes every value used, and that
// every file() value arrives intact (byte for byte) as the content of one write_files entry.
import fs from "node:fs";
import path from "node:path";
import { parse } from "@cdktf/hcl2json";
import YAML from "yaml";

function die(msg) {
  console.error(`render_tftpl: ${msg}`);
  process.exit(1);
}

// Terraform's indent(): spaces after every newline (also a trailing one).
const indent = (n, s) => s.replace(/\n/g, `\n${" ".repeat(n)}`);
// Terraform's jsonencode() of a string: JSON with <, >, & (and U+2028/9) escaped as \uXXXX.
const jsonencode = (v) =>
  JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

// Splits a template into literal text and ${...} / %{...} sequences.
function tokenize(tpl) {
  const tokens = [];
  let text = "";
  let i = 0;
  while (i < tpl.length) {
    if ((tpl.startsWith("$${", i) || tpl.startsWith("%%{", i))) {
      text += tpl[i + 1] + "{";
      i += 3;
      continue;
    }
    if (tpl.startsWith("${", i) || tpl.startsWith("%{", i)) {
      const kind = tpl[i] === "$" ? "interp" : "directive";
      let j = i + 2;
      let depth = 1;
      let quote = false;
      for (; j < tpl.length && depth > 0; j += 1) {
        const c = tpl[j];
        if (quote) {
          if (c === "\\") j += 1;
          else if (c === '"') quote = false;
        } else if (c === '"') quote = true;
        else if (c === "{") depth += 1;
        else if (c === "}") depth -= 1;
      }
      if (depth !== 0) die(`unclosed ${tpl.slice(i, i + 20)}...`);
      let body = tpl.slice(i + 2, j - 1);
      const stripBefore = body.startsWith("~");
      const stripAfter = body.endsWith("~");
      body = body.replace(/^~/, "").replace(/~$/, "").trim();
      tokens.push({ kind: "text", value: text });
      tokens.push({ kind, body, stripBefore, stripAfter });
      text = "";
      i = j;
      continue;
    }
    text += tpl[i];
    i += 1;
  }
  tokens.push({ kind: "text", value: text });
  // Apply strip markers to the neighbouring literal text: whitespace up to and including the
  // nearest line break (HCL's template-literal rule).
  for (let k = 0; k < tokens.length; k += 1) {
    const t = tokens[k];
    if (t.kind === "text") continue;
    if (t.stripBefore) tokens[k - 1].value = tokens[k - 1].value.replace(/(\r?\n)?[ \t]*$/, "");
    if (t.stripAfter) tokens[k + 1].value = tokens[k + 1].value.replace(/^[ \t]*(\r?\n)?/, "");
  }
  return tokens;
}

function evaluate(expr, values, used) {
  const name = (id) => {
    if (!(id in values)) die(`template uses "${id}", which templatefile() does not pass`);
    used.add(id);
    return values[id];
  };
  let m;
  if ((m = /^([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr))) return String(name(m[1]));
  if ((m = /^indent\(\s*(\d+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(expr))) {
    return indent(Number(m[1]), String(name(m[2])));
  }
  if ((m = /^jsonencode\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(expr))) return jsonencode(name(m[1]));
  return die(`unsupported expression \${${expr}}`);
}

function condition(expr, values, used) {
  // %{ if flag }: a bool variable, as templatefile() requires (a string would be an error).
  const b = /^([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
  if (b) {
    if (!(b[1] in values)) die(`template uses "${b[1]}", which templatefile() does not pass`);
    if (typeof values[b[1]] !== "boolean") die(`%{ if ${b[1]} } needs a bool, got ${JSON.stringify(values[b[1]])}`);
    used.add(b[1]);
    return values[b[1]];
  }
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=)\s*"((?:[^"\\]|\\.)*)"$/.exec(expr);
  if (!m) die(`unsupported condition %{ if ${expr} }`);
  if (!(m[1] in values)) die(`template uses "${m[1]}", which templatefile() does not pass`);
  used.add(m[1]);
  const equal = String(values[m[1]]) === JSON.parse(`"${m[3]}"`);
  return m[2] === "==" ? equal : !equal;
}

export function render(tpl, values) {
  const used = new Set();
  const stack = []; // { active, taken }
  const on = () => stack.every((s) => s.active);
  let out = "";
  for (const t of tokenize(tpl)) {
    if (t.kind === "text") {
      if (on()) out += t.value;
    } else if (t.kind === "interp") {
      const v = evaluate(t.body, values, used); // evaluated even when off: names must exist
      if (on()) out += v;
    } else if (t.body.startsWith("if ")) {
      const c = condition(t.body.slice(3).trim(), values, used);
      stack.push({ active: c, taken: c });
    } else if (t.body === "else") {
      const top = stack[stack.length - 1] ?? die("%{ else } without %{ if }");
      top.active = !top.taken;
    } else if (t.body === "endif") {
      if (!stack.pop()) die("%{ endif } without %{ if }");
    } else {
      die(`unsupported directive %{ ${t.body} }`);
    }
  }
  if (stack.length) die("%{ if } without %{ endif }");
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length) die(`templatefile() passes ${unused.join(", ")}, which the template never uses`);
  return out;
}

async function main() {
  const [moduleDir, valuesFile, outFile] = process.argv.slice(2);
  if (!outFile) die("usage: node render_tftpl.mjs MODULE_DIR VALUES.json OUT_FILE");
  const dir = path.resolve(moduleDir);
  const locals = {};
  let call = null;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".tf"))) {
    const json = await parse(f, fs.readFileSync(path.join(dir, f), "utf8"));
    for (const l of json.locals ?? []) Object.assign(locals, l);
    const m = /templatefile\("\$\{path\.module\}\/([^"]+)",\s*local\.([A-Za-z0-9_]+)\)/.exec(JSON.stringify(json).replace(/\\"/g, '"'));
    if (m) call = { template: m[1], varsLocal: m[2] };
  }
  if (!call) die(`${moduleDir}: no templatefile("\${path.module}/...", local.NAME) call`);
  const spec = locals[call.varsLocal];
  if (!spec || typeof spec !== "object") die(`${moduleDir}: local.${call.varsLocal} is not a map`);
  const fixtures = JSON.parse(fs.readFileSync(valuesFile, "utf8"))[path.basename(dir)] ?? {};

  const values = {};
  const fromFiles = [];
  for (const [key, expr] of Object.entries(spec)) {
    const file = /^\$\{file\("(.+)"\)\}$/.exec(String(expr));
    if (file) {
      let p = file[1].replace(/\$\{path\.module\}/g, dir);
      p = p.replace(/\$\{local\.([A-Za-z0-9_]+)\}/g, (_, n) => String(locals[n]).replace(/\$\{path\.module\}/g, dir));
      values[key] = fs.readFileSync(p, "utf8");
      fromFiles.push(key);
    } else if (key in fixtures) {
      values[key] = fixtures[key];
    } else {
      die(`${moduleDir}: no test value for "${key}" (= ${expr}) in ${valuesFile}`);
    }
  }
  const tpl = fs.readFileSync(path.join(dir, call.template), "utf8");
  const rendered = render(tpl, values);
  fs.writeFileSync(outFile, rendered);
  const doc = YAML.parse(rendered);
  const contents = (doc?.write_files ?? []).map((w) => w.content);
  for (const key of fromFiles) {
    if (!contents.includes(values[key])) {
      die(`${key}: no write_files entry carries the file's exact content (indentation broken?)`);
    }
  }
  console.log(`rendered ${path.join(moduleDir, call.template)} (${Object.keys(values).length} values) -> ${outFile}`);
}

main().catch((e) => die(e.stack ?? String(e)));
