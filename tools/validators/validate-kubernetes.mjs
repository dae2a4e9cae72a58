// Validates every object in the given Kubernetes manifests against the Kubernetes OpenAPI schemas
// (kubernetes-models) and KEDA's CRD schemas (@kubernetes-models/keda). Kustomization files are not API objects and are skipped. Exit code 1 on any invalid object.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

let valid = 0;
let invalid = 0;
for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length > 0) {
      invalid++;
      console.error(`${file}: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }

    const object = document.toJS();
    if (!object) continue;
    const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
    if (group === "kustomize.config.k8s.io") continue;

    // KEDA's objects from its own CRD schemas (@kubernetes-models/keda), the rest from Kubernetes' OpenAPI schemas.
    const models = group === "keda.sh" ? "@kubernetes-models/keda" : "kubernetes-models";
    const module = await import(`${models}/${group ? `${group}/` : ""}${version}/${object.kind}`);
    try {
      new module[object.kind](object).validate();
      valid++;
    } catch (error) {
      invalid++;
      console.error(`${file}: ${object.kind}/${object.metadata?.name}: ${error.message}`);
    }
  }
}

console.log(`${valid} valid, ${invalid} invalid`);
process.exit(invalid > 0 || valid === 0 ? 1 : 0);
