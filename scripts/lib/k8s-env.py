"""Prints the environment a rendered Deployment gives its container, as NUL-separated KEY=VALUE
pairs, for `<binary> --check-config` (scripts/k8s-check.sh).

Usage: k8s-env.py RENDERED.yaml DEPLOYMENT [SECRETS.example.env]

The variables come from the container's `envFrom` ConfigMaps and Secrets and its `env` (literal
values and `secretKeyRef`s), resolved against the objects of the same rendered file. A Secret the
overlay does not render (production's, made by the platform's secret store) is read from the
example file that documents its keys; a key found in neither is an error, so a manifest cannot
name a secret that nobody documents.
"""

import base64
import sys

import yaml


def main():
    rendered, deployment_name = sys.argv[1], sys.argv[2]
    examples = read_env_file(sys.argv[3]) if len(sys.argv) > 3 else {}
    objects = [o for o in yaml.safe_load_all(open(rendered)) if o]

    def find(kind, name):
        for o in objects:
            if o["kind"] == kind and o["metadata"]["name"] == name:
                return o
        return None

    def config_map(name):
        found = find("ConfigMap", name)
        if found is None:
            fail(f"ConfigMap {name} is not in {rendered}")
        return found.get("data", {})

    def secret(name):
        found = find("Secret", name)
        if found is None:
            return None
        data = {k: base64.b64decode(v).decode() for k, v in found.get("data", {}).items()}
        data.update(found.get("stringData", {}))
        return data

    def secret_key(name, key):
        data = secret(name)
        if data is not None and key in data:
            return data[key]
        if key in examples:
            return examples[key]
        fail(f"Secret {name} key {key}: neither rendered nor in the secrets example file")

    deployment = find("Deployment", deployment_name)
    if deployment is None:
        fail(f"Deployment {deployment_name} is not in {rendered}")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    env = {}
    for source in containers[0].get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_map(source["configMapRef"]["name"]))
        elif "secretRef" in source:
            name = source["secretRef"]["name"]
            env.update(secret(name) or {k: v for k, v in examples.items()})
    for var in containers[0].get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif "secretKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secret_key(ref["name"], ref["key"])
        elif "configMapKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["configMapKeyRef"]
            env[var["name"]] = config_map(ref["name"])[ref["key"]]
        else:
            fail(f"{var['name']}: a source this check does not resolve")
    sys.stdout.write("".join(f"{k}={v}\0" for k, v in sorted(env.items())))


def read_env_file(path):
    pairs = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def fail(message):
    sys.stderr.write(f"k8s-env: {message}\n")
    sys.exit(1)


if __name__ == "__main__":
    main()
