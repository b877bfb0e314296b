// Offline checks of terraform/ (no terraform binary is available here):
//   - every .tf file parses (npm @cdktf/hcl2json, HashiCorp's HCL parser compiled to wasm);
//   - every variable has a description and a type, and is used (a reference outside its own
//     validation block); every var.X referenced is declared;
//   - every output has a description;
//   - every module call passes only declared variables and all required ones, and every
//     module.NAME.OUTPUT it references exists;
//   - every file() and templatefile() path exists;
//   - every folder pins the aws provider and terraform versions; example roots pin exactly.
//
//   node tf_check.mjs TERRAFORM_DIR
// Prints PASS/FAIL lines; exits 1 on any failure.
import fs from "node:fs";
import path from "node:path";
import { parse } from "@cdktf/hcl2json";

let failures = 0;
const pass = (msg) => console.log(`  PASS: ${msg}`);
const fail = (msg) => {
  failures += 1;
  console.log(`  FAIL: ${msg}`);
};

function tfDirs(root) {
  const out = [];
  const walk = (dir) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith(".tf"))) out.push(dir);
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith(".")) walk(path.join(dir, e.name));
    }
  };
  walk(root);
  return out.sort();
}

// Every string anywhere inside `value` (HCL expressions arrive as "${...}" strings).
function strings(value, out = []) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}

function refs(texts, kind) {
  const re = new RegExp(`\\b${kind}\\.([A-Za-z_][A-Za-z0-9_-]*)`, "g");
  const found = new Set();
  for (const t of texts) for (const m of t.matchAll(re)) found.add(m[1]);
  return found;
}

// Parses every .tf file of a folder into one merged view.
async function loadModule(dir, rel) {
  const mod = { dir, rel, variables: {}, outputs: {}, modules: {}, rest: [], terraform: [], locals: {} };
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".tf")).sort()) {
    const file = path.join(dir, name);
    let json;
    try {
      json = await parse(file, fs.readFileSync(file, "utf8"));
      pass(`${rel}/${name} parses`);
    } catch (e) {
      fail(`${rel}/${name} does not parse: ${String(e.message ?? e).split("\n")[0]}`);
      continue;
    }
    for (const [key, block] of Object.entries(json)) {
      if (key === "variable") {
        for (const [vname, defs] of Object.entries(block)) mod.variables[vname] = { ...defs[0], file: name };
      } else if (key === "output") {
        for (const [oname, defs] of Object.entries(block)) {
          mod.outputs[oname] = defs[0];
          mod.rest.push(defs[0]);
        }
      } else if (key === "module") {
        for (const [mname, defs] of Object.entries(block)) {
          mod.modules[mname] = defs[0];
          mod.rest.push(defs[0]);
        }
      } else if (key === "terraform") {
        mod.terraform.push(...block);
      } else {
        if (key === "locals") for (const l of block) Object.assign(mod.locals, l);
        mod.rest.push(block);
      }
    }
  }
  return mod;
}

// Resolves "${path.module}" and simple "${local.x}" string locals inside a path expression.
function resolvePath(mod, expr) {
  let out = expr;
  for (let i = 0; i < 5; i += 1) {
    out = out.replace(/\$\{path\.module\}/g, mod.dir);
    out = out.replace(/\$\{local\.([A-Za-z0-9_]+)\}/g, (m, name) =>
      typeof mod.locals[name] === "string" ? mod.locals[name] : m,
    );
  }
  return out;
}

function checkVariables(mod) {
  const used = refs(strings(mod.rest), "var");
  // References from other variables' validations do not count as use; their own never do.
  for (const [name, v] of Object.entries(mod.variables)) {
    const where = `${mod.rel} variable "${name}"`;
    if (typeof v.description === "string" && v.description.trim().length >= 10) pass(`${where} has a description`);
    else fail(`${where} has no (meaningful) description`);
    if (v.type) pass(`${where} has a type (${String(v.type).replace(/^\$\{|\}$/g, "")})`);
    else fail(`${where} has no type`);
    if (used.has(name)) pass(`${where} is used`);
    else fail(`${where} is declared but never used`);
  }
  for (const name of used) {
    if (!mod.variables[name]) fail(`${mod.rel}: var.${name} is used but not declared`);
  }
  for (const [name, o] of Object.entries(mod.outputs)) {
    if (typeof o.description === "string" && o.description.trim()) pass(`${mod.rel} output "${name}" has a description`);
    else fail(`${mod.rel} output "${name}" has no description`);
  }
}

function checkFiles(mod) {
  const texts = strings(mod.rest);
  for (const t of texts) {
    for (const m of t.matchAll(/\b(file|templatefile)\("([^"]+)"/g)) {
      const p = resolvePath(mod, m[2]);
      const shown = path.relative(process.cwd(), p);
      if (fs.existsSync(p)) pass(`${mod.rel}: ${m[1]}("${m[2]}") exists (${shown})`);
      else fail(`${mod.rel}: ${m[1]}("${m[2]}") not found (${shown})`);
    }
  }
}

// terraform.tfvars.example: only declared variables, and every required one.
async function checkTfvarsExamples(mod) {
  for (const name of fs.readdirSync(mod.dir).filter((f) => f.endsWith(".tfvars.example"))) {
    const file = path.join(mod.dir, name);
    let json;
    try {
      json = await parse(`${name}.tfvars`, fs.readFileSync(file, "utf8"));
    } catch (e) {
      fail(`${mod.rel}/${name} does not parse: ${String(e.message ?? e).split("\n")[0]}`);
      continue;
    }
    const keys = Object.keys(json);
    const unknown = keys.filter((k) => !mod.variables[k]);
    const missing = Object.entries(mod.variables)
      .filter(([k, v]) => !("default" in v) && !keys.includes(k))
      .map(([k]) => k);
    if (unknown.length) fail(`${mod.rel}/${name} sets undeclared variables ${unknown.join(", ")}`);
    else if (missing.length) fail(`${mod.rel}/${name} misses required variables ${missing.join(", ")}`);
    else pass(`${mod.rel}/${name}: ${keys.length} settings, all declared, every required one given`);
  }
}

function checkVersions(mod, isRoot) {
  const rp = mod.terraform.flatMap((t) => t.required_providers ?? []);
  const rv = mod.terraform.map((t) => t.required_version).find(Boolean);
  if (rv) pass(`${mod.rel}: required_version ${rv}`);
  else fail(`${mod.rel}: no terraform required_version`);
  const aws = rp.map((p) => p.aws).find(Boolean);
  if (!aws?.version) return fail(`${mod.rel}: aws provider version not constrained`);
  if (isRoot && !/^=\s*\d+\.\d+\.\d+$/.test(aws.version)) {
    fail(`${mod.rel}: a root module pins the provider exactly (= x.y.z), not "${aws.version}"`);
  } else {
    pass(`${mod.rel}: aws provider ${aws.source} ${aws.version}`);
  }
}

function checkModuleCalls(mod, byDir) {
  for (const [name, call] of Object.entries(mod.modules)) {
    const target = byDir.get(path.resolve(mod.dir, call.source));
    const where = `${mod.rel} module "${name}"`;
    if (!target) {
      fail(`${where}: source ${call.source} is not a module folder here`);
      continue;
    }
    const args = Object.keys(call).filter((k) => !["source", "version", "providers", "depends_on", "count", "for_each"].includes(k));
    const unknown = args.filter((a) => !target.variables[a]);
    const required = Object.entries(target.variables)
      .filter(([, v]) => !("default" in v))
      .map(([k]) => k);
    const missing = required.filter((r) => !args.includes(r));
    if (unknown.length) fail(`${where}: passes undeclared variables ${unknown.join(", ")}`);
    else pass(`${where}: every argument is a declared variable of ${target.rel}`);
    if (missing.length) fail(`${where}: misses required variables ${missing.join(", ")}`);
    else pass(`${where}: passes every required variable`);
  }
  for (const t of strings(mod.rest)) {
    for (const m of t.matchAll(/\bmodule\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)/g)) {
      const call = mod.modules[m[1]];
      const target = call && byDir.get(path.resolve(mod.dir, call.source));
      if (!target) fail(`${mod.rel}: module.${m[1]} is not called here`);
      else if (!target.outputs[m[2]]) fail(`${mod.rel}: module.${m[1]}.${m[2]} is not an output of ${target.rel}`);
    }
  }
}

async function main() {
  const root = path.resolve(process.argv[2] ?? "terraform");
  const dirs = tfDirs(root);
  if (!dirs.length) {
    fail(`no .tf files under ${root}`);
  }
  const mods = [];
  for (const dir of dirs) mods.push(await loadModule(dir, path.relative(path.dirname(root), dir)));
  const byDir = new Map(mods.map((m) => [path.resolve(m.dir), m]));
  for (const mod of mods) {
    const isRoot = Object.keys(mod.modules).length > 0;
    checkVariables(mod);
    checkFiles(mod);
    checkVersions(mod, isRoot);
    checkModuleCalls(mod, byDir);
    await checkTfvarsExamples(mod);
  }
  console.log(failures ? `terraform checks: ${failures} failure(s)` : `terraform checks: all ok (${mods.length} folders)`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
