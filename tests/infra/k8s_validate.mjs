// Validates rendered Kubernetes manifests (the output of `kubectl kustomize`) offline:
//   1. schema: every object against its Kubernetes (or prometheus-operator) schema with the
//      npm kubernetes-models validators (types, required fields, enums, formats);
//   2. fields: every object type-checked by the TypeScript compiler against the same models'
//      interfaces, whose excess-property check rejects unknown fields (a typo such as
//      `readinesProbe` passes JSON-schema validation, since Kubernetes schemas allow extra keys,
//      but the API server in strict mode rejects it);
//   3. policy: what docs/operations.md promises (one replica, probes, drain time, hardening...).
//
//   node k8s_validate.mjs NAME=RENDERED.yaml [NAME=RENDERED.yaml ...]
// Prints one PASS/FAIL line per check and object; exits 1 on any failure.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ts = require("typescript");

let failures = 0;
const pass = (msg) => console.log(`  PASS: ${msg}`);
const fail = (msg) => {
  failures += 1;
  console.log(`  FAIL: ${msg}`);
};

// apiVersion -> [package folder, module folder]. Core "v1" lives at kubernetes-models/v1.
function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  }
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

async function loadModel(apiVersion, kind) {
  const spec = modelPath(apiVersion, kind);
  try {
    const mod = await import(spec);
    return { spec, Model: mod[kind] };
  } catch {
    return { spec, Model: null };
  }
}

function readRendered(file) {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"));
  return docs
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((o) => o && typeof o === "object");
}

const byKind = (objs, kind) => objs.filter((o) => o.kind === kind);
const one = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata?.name === name);

function policy(overlay, objs) {
  const check = (cond, msg) => (cond ? pass(`${overlay}: ${msg}`) : fail(`${overlay}: ${msg}`));
  const sts = byKind(objs, "StatefulSet")[0];
  if (!sts) return fail(`${overlay}: no StatefulSet`);
  const pod = sts.spec.template.spec;
  const c = pod.containers[0];
  const cm = byKind(objs, "ConfigMap").find((o) => o.metadata.name.startsWith("rookery-config"));
  const clustered = overlay === "cluster";
  if (clustered) {
    // Nodes of one game over a shared PostgreSQL and Redis (the Secret), each with its own
    // address for redirects.
    check(sts.spec.replicas >= 2, `cluster: ${sts.spec.replicas} replicas`);
    check(!sts.spec.volumeClaimTemplates, "cluster: no data volume (the store is PostgreSQL)");
    check(
      c.envFrom?.findIndex((e) => e.secretRef?.name === "rookery-cluster") >
        c.envFrom?.findIndex((e) => e.configMapRef?.name === cm?.metadata.name),
      "cluster: the rookery-cluster Secret (ROOKERY_DB, PGPASSWORD, ROOKERY_REDIS) overrides the ConfigMap",
    );
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
    check(
      env.POD_NAME?.valueFrom?.fieldRef?.fieldPath === "metadata.name" &&
        env.ROOKERY_NODE_ID?.value === "$(POD_NAME)" &&
        env.ROOKERY_ADVERTISE_HOST?.value?.startsWith("$(POD_NAME)."),
      "cluster: node id is the pod name, advertised host the pod's own DNS name",
    );
    for (let i = 0; i < sts.spec.replicas; i += 1) {
      const svc = one(objs, "Service", `rookery-game-${i}`);
      check(
        svc?.spec.type === "LoadBalancer" &&
          svc.spec.selector?.["statefulset.kubernetes.io/pod-name"] === `rookery-${i}` &&
          svc.metadata.annotations?.["external-dns.alpha.kubernetes.io/hostname"]?.startsWith(`rookery-${i}.`),
        `cluster: node rookery-${i} has its own load balancer and DNS name`,
      );
    }
    const pdbSpec = byKind(objs, "PodDisruptionBudget")[0]?.spec ?? {};
    check(pdbSpec.maxUnavailable === 1, "cluster: one node at a time may be evicted");
  } else {
    check(sts.spec.replicas === 1, "StatefulSet has exactly 1 replica (SQLite is single-writer)");
    const pvc = sts.spec.volumeClaimTemplates?.find((v) => v.metadata.name === "data");
    check(
      pvc && c.volumeMounts.some((m) => m.name === "data" && m.mountPath === "/var/lib/rookery"),
      "the data PVC is mounted at /var/lib/rookery",
    );
    check(
      cm && cm.data.ROOKERY_DB?.startsWith("/var/lib/rookery/") && cm.data.ROOKERY_HTTP_BIND === "0.0.0.0",
      "ConfigMap puts the database on the volume and binds the side-port to 0.0.0.0",
    );
  }
  check(
    c.envFrom?.some((e) => e.configMapRef?.name === cm?.metadata.name),
    "the container reads the (hash-suffixed) ConfigMap",
  );
  check(c.readinessProbe?.httpGet?.path === "/readyz", "readiness probe on /readyz");
  check(c.livenessProbe?.httpGet?.path === "/healthz", "liveness probe on /healthz");
  const deadline = Number(cm?.data.ROOKERY_SHUTDOWN_DEADLINE_MS ?? 30000) / 1000;
  const preStop = c.lifecycle?.preStop?.exec?.command ?? [];
  const preStopSleep = preStop[0] === "sleep" ? Number(preStop[1]) : 0;
  check(preStop.length > 0, "preStop hook before the SIGTERM drain");
  check(
    pod.terminationGracePeriodSeconds > deadline + preStopSleep,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} > preStop ${preStopSleep} s + drain deadline ${deadline} s`,
  );
  check(c.resources?.requests?.cpu && c.resources?.limits?.memory, "resources: cpu request and memory limit");
  const psc = pod.securityContext ?? {};
  const csc = c.securityContext ?? {};
  check(psc.runAsNonRoot === true && csc.runAsNonRoot === true, "runAsNonRoot");
  check(csc.readOnlyRootFilesystem === true, "readOnlyRootFilesystem");
  check(csc.allowPrivilegeEscalation === false, "allowPrivilegeEscalation: false");
  check(JSON.stringify(csc.capabilities?.drop) === '["ALL"]', "capabilities drop ALL");
  check(
    psc.seccompProfile?.type === "RuntimeDefault" && csc.seccompProfile?.type === "RuntimeDefault",
    "seccomp RuntimeDefault",
  );
  const sysctls = Object.fromEntries((psc.sysctls ?? []).map((s) => [s.name, s.value]));
  check(sysctls["net.ipv4.ip_local_port_range"] === "15000 65000", "pod sysctl ip_local_port_range");
  if (overlay === "prod") {
    check(sysctls["net.core.somaxconn"] === "8192", "prod: unsafe pod sysctl net.core.somaxconn");
  }
  const ann = sts.spec.template.metadata?.annotations ?? {};
  check(ann["prometheus.io/scrape"] === "true" && ann["prometheus.io/port"] === "8080", "prometheus.io scrape annotations");

  const podLabels = sts.spec.template.metadata.labels;
  const selects = (sel) => sel && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
  const game = one(objs, "Service", "rookery-game");
  check(
    game?.spec.type === "LoadBalancer" && game.spec.externalTrafficPolicy === "Local" && selects(game.spec.selector),
    "game Service: LoadBalancer, externalTrafficPolicy Local, selects the pod",
  );
  const gamePorts = (game?.spec.ports ?? []).map((p) => p.port).sort();
  check(JSON.stringify(gamePorts) === "[12122,12123]", "game Service exposes 12122 and 12123 only");
  const http = one(objs, "Service", "rookery-http");
  check(
    http?.spec.type === "ClusterIP" && http.spec.ports.length === 1 && http.spec.ports[0].port === 8080 && selects(http.spec.selector),
    "side-port Service: ClusterIP on 8080",
  );
  check(one(objs, "Service", sts.spec.serviceName)?.spec.clusterIP === "None", "governing headless Service exists");
  const pdb = byKind(objs, "PodDisruptionBudget")[0];
  check(pdb && selects(pdb.spec.selector.matchLabels), "PodDisruptionBudget selects the pod");
  const sm = byKind(objs, "ServiceMonitor")[0];
  const smSel = sm?.spec.selector.matchLabels ?? {};
  check(
    sm && Object.entries(smSel).every(([k, v]) => http.metadata.labels?.[k] === v) && sm.spec.endpoints[0].port === "http",
    "ServiceMonitor selects the side-port Service",
  );
  const secret = one(objs, "Secret", "rookery-admin");
  if (overlay === "prod" || clustered) {
    check(!secret, `${overlay}: no placeholder admin Secret`);
  } else {
    check(secret?.stringData?.ROOKERY_ADMIN_USER && secret?.stringData?.ROOKERY_ADMIN_PASSWORD, "admin Secret has both keys");
  }
  const ns = byKind(objs, "Namespace")[0]?.metadata.name;
  check(ns && objs.every((o) => o.kind === "Namespace" || o.metadata.namespace === ns), `every object in namespace ${ns}`);
}

async function main() {
  const args = process.argv.slice(2);
  if (!args.length) {
    console.error("usage: node k8s_validate.mjs NAME=RENDERED.yaml ...");
    process.exit(2);
  }
  const tsLines = [];
  let n = 0;
  for (const arg of args) {
    const [overlay, file] = arg.split("=");
    const objs = readRendered(file);
    if (!objs.length) fail(`${overlay}: nothing rendered`);
    for (const obj of objs) {
      const id = `${overlay}: ${obj.kind}/${obj.metadata?.name}`;
      const { spec, Model } = await loadModel(obj.apiVersion ?? "", obj.kind ?? "");
      if (!Model) {
        fail(`${id}: no schema for ${obj.apiVersion} ${obj.kind}`);
        continue;
      }
      try {
        new Model(obj).validate();
        pass(`${id}: schema (${obj.apiVersion})`);
      } catch (e) {
        fail(`${id}: schema: ${e.message}`);
      }
      const iface = `I${obj.kind}`;
      tsLines.push(`import type { ${iface} as T${n} } from "${spec}";`);
      tsLines.push(`// ${id}\nexport const o${n}: T${n} = ${JSON.stringify(obj, null, 2)};`);
      n += 1;
    }
    policy(overlay, objs);
  }

  // Unknown fields: excess-property errors from the compiler, mapped back to objects.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rookery-k8s-"));
  const file = path.join(dir, "objects.ts");
  fs.writeFileSync(file, tsLines.join("\n") + "\n");
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    typeRoots: [],
    types: [],
    baseUrl: here,
    paths: { "*": [path.join(here, "node_modules", "*")] },
  });
  const diags = ts.getPreEmitDiagnostics(program);
  const source = fs.readFileSync(file, "utf8").split("\n");
  for (const d of diags) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, " ");
    let where = "";
    if (d.file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      for (let l = line; l >= 0; l -= 1) {
        if (source[l].startsWith("// ")) {
          where = source[l].slice(3);
          break;
        }
      }
    }
    fail(`fields: ${where || "objects.ts"}: ${msg}`);
  }
  if (!diags.length) pass(`fields: ${n} objects have only known fields (TypeScript excess-property check)`);
  fs.rmSync(dir, { recursive: true, force: true });

  console.log(failures ? `k8s validation: ${failures} failure(s)` : "k8s validation: all ok");
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
