"""Checks the Helm chart the way CI does; run through helm-check.sh, which provides the tools.

For the default values, the production example and a service added by a values block alone:
lints the chart (strict, Kubernetes 1.31), renders it, validates every manifest against the
Kubernetes 1.31 schemas with `kubernetes-validate --strict`, and checks what the chart promises
(hardened pods, a Service, ServiceAccount, PodDisruptionBudget and NetworkPolicy per service, a
drain that fits the grace period, gateway upstreams, configuration names each binary reads, URLs
of other services of the release that name a rendered Service the pod may reach and whose
NetworkPolicy admits the pod, the calls services need open at both ends). Then checks that bad
values are refused.
Exits non-zero on the first kind of failure found, after printing every problem.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import helm_python as helm
import yaml

KUBE_VERSION = "1.31.0"
RELEASE = "estospaces"
NAMESPACE = "estospaces"
# Custom resources have no schema in kubernetes-validate: they are checked by the invariants
# below only, and skipped explicitly so an unknown kind elsewhere still fails.
CRD_GROUPS = ("monitoring.coreos.com/",)

# The settings every binary reads at the top level (build-support/config: CommonConfig), as
# variables and as the config file's top-level keys. A binary's own settings are in the table
# named after it: `ESTOSPACES_BOOKING__*` and `[booking]` for estospaces-booking. Anything else
# with the prefix stops the binary with exit status 64 (docs/configuration.md).
SHARED_ENV = {
    "ESTOSPACES_CONFIG",
    *(
        f"ESTOSPACES_{key}"
        for key in (
            "LISTEN",
            "DATA_DIR",
            "DATABASE_URL",
            "KAFKA_BROKERS",
            "REDIS_URL",
            "METRICS_LISTEN",
            "REQUEST_TIMEOUT",
            "MAX_CONCURRENT_REQUESTS",
            "SHUTDOWN_GRACE",
            "TELEMETRY__LOG_FORMAT",
            "TELEMETRY__LOG_FILTER",
            "TELEMETRY__OTLP_ENDPOINT",
            "AUTH__ISSUER",
            "AUTH__AUDIENCE",
            "AUTH__IDENTITY_URL",
            "AUTH__JWKS_REFRESH_INTERVAL",
            "AUTH__REVOCATION_REFRESH_INTERVAL",
            "DATABASE_MAX_CONNECTIONS",
        )
    ),
}
SHARED_TOML = {
    "listen",
    "data_dir",
    "database_url",
    "kafka_brokers",
    "redis_url",
    "metrics_listen",
    "request_timeout",
    "max_concurrent_requests",
    "shutdown_grace",
    "database_max_connections",
    "telemetry",
    "auth",
}

# The tables of the single binary `estospaces` (platform/src/config.rs).
PLATFORM_TABLES = (
    "identity",
    "profile",
    "property",
    "media",
    "payment",
    "booking",
    "search",
    "notification",
    "messaging",
    "review",
    "moderation",
    "gateway",
    "databases",
)

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "estospaces"
VALIDATOR = Path(sys.executable).with_name("kubernetes-validate")

problems: list[str] = []


def problem(case: str, message: str) -> None:
    problems.append(f"{case}: {message}")
    print(f"  FAIL {message}")


def lint(case: str, values: dict | None) -> None:
    report = helm.lint(str(CHART), values, strict=True, kube_version=f"v{KUBE_VERSION}")
    findings = [m for m in report["messages"] if m["severity"] >= 2] + [
        {"path": "", "error": e} for e in report["errors"]
    ]
    for finding in findings:
        problem(case, f"lint: {finding['path']}: {finding['error'].strip()}")
    infos = sum(1 for m in report["messages"] if m["severity"] < 2)
    if not findings:
        print(f"  lint (strict, v{KUBE_VERSION}): ok ({infos} informational)")


def render(values: dict | None) -> list[dict]:
    rendered = helm.Chart.load(str(CHART)).render(
        values, name=RELEASE, namespace=NAMESPACE, is_install=True
    )
    manifests = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


def validate(case: str, manifests: list[dict]) -> None:
    core = [m for m in manifests if not m["apiVersion"].startswith(CRD_GROUPS)]
    skipped = [m for m in manifests if m["apiVersion"].startswith(CRD_GROUPS)]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        yaml.safe_dump_all(core, file)
        file.flush()
        result = subprocess.run(
            [str(VALIDATOR), "--strict", "-k", KUBE_VERSION, file.name],
            capture_output=True,
            text=True,
            check=False,
        )
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    passed = [line for line in lines if line.startswith("INFO") and " passed " in line]
    # A kind without a schema is only a WARN to kubernetes-validate; here it is an error.
    for line in lines:
        if not line.startswith("INFO"):
            problem(case, f"kubernetes-validate: {line}")
    if result.returncode != 0 or len(passed) != len(core):
        problem(
            case,
            f"kubernetes-validate: exit {result.returncode}, {len(passed)} of {len(core)} passed",
        )
    else:
        kinds = sorted({m["kind"] for m in core})
        print(
            f"  kubernetes-validate --strict -k {KUBE_VERSION}: {len(passed)}/{len(core)} "
            f"manifests valid ({', '.join(kinds)})"
        )
    if skipped:
        names = ", ".join(f"{m['kind']}/{m['metadata']['name']}" for m in skipped)
        print(f"  schema check skipped for custom resources (no schema): {names}")


def env_of(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value", "<from secret>") for e in container.get("env", [])}


def tables_of(container: dict) -> set[str]:
    """The tables of the binary's own settings: `booking` for /usr/local/bin/estospaces-booking,
    every service's (and `databases`) for the single binary `estospaces`."""
    binary = Path(container["command"][0]).name
    if binary == "estospaces":
        return set(PLATFORM_TABLES)
    return {binary.removeprefix("estospaces-")}


def check_settings(case: str, name: str, container: dict, config_maps: dict[str, dict]) -> None:
    """Every ESTOSPACES_* variable and config file key is one the binary reads."""
    tables = tables_of(container)
    own = tuple(f"ESTOSPACES_{table.upper()}__" for table in sorted(tables))
    for variable in env_of(container):
        if (
            variable.startswith("ESTOSPACES_")
            and variable not in SHARED_ENV
            and not variable.startswith(own)
        ):
            problem(
                case,
                f"{name}: {variable} is neither a shared setting nor one of "
                f"{', '.join(prefix + '*' for prefix in own)}: the binary would exit 64",
            )
    config = config_maps.get(name, {}).get("data", {}).get("config.toml")
    if config is None:
        return
    try:
        keys = tomllib.loads(config).keys()
    except tomllib.TOMLDecodeError as err:
        problem(case, f"{name}: config.toml is not TOML: {err}")
        return
    for key in keys - SHARED_TOML - tables:
        problem(case, f"{name}: config.toml key {key!r} is neither shared nor its own table")


# The calls the services cannot run without (their required `*_url` settings, and
# moderation's SuspendUser and BanUser at identity, made with the moderator's token): where both
# ends are rendered, the caller's NetworkPolicy lets it out and the callee's lets it in, whatever
# the values' env says. Optional calls (photos and attachments checked at media) are checked
# through their URL variables only; every pod's calls to identity (key set, token revocations)
# through ESTOSPACES_AUTH__IDENTITY_URL, the gateway's through its upstreams.
CALLS = {
    "booking": ("property",),
    "messaging": ("property",),
    "moderation": ("identity", "property", "review"),
    "review": ("property",),
}


SERVICE_URL = re.compile(rf"^http://({re.escape(RELEASE)}-[a-z0-9-]+)(\.[a-z0-9.-]+)?:(\d+)/?$")


def selects(selector: dict, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels only; matchExpressions count as no match) selects
    pods with these labels."""
    if selector.get("matchExpressions"):
        return False
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def reaches(policy: dict, selector: dict[str, str], port: int) -> bool:
    """Whether an egress rule of `policy` lets its pods out to the pods `selector` (a Service's)
    selects, on `port`."""
    return any(
        any(p.get("port") == port for p in rule.get("ports", []))
        and any(
            peer.get("podSelector", {}).get("matchLabels") == selector
            for peer in rule.get("to", [])
        )
        for rule in policy["spec"].get("egress", [])
    )


def admits(policy: dict, port: int, labels: dict[str, str]) -> bool:
    """Whether an ingress rule of `policy` lets a pod of the release with these labels in on
    `port`: a rule without ports or naming it, and without peers or with one selecting the pod
    (a namespaceSelector must select the release's namespace by name, or be empty)."""
    for rule in policy["spec"].get("ingress", []):
        ports = rule.get("ports")
        if ports and not any(p.get("port") == port for p in ports):
            continue
        peers = rule.get("from")
        if not peers:
            return True
        for peer in peers:
            if "ipBlock" in peer:
                continue
            namespaces = peer.get("namespaceSelector")
            if namespaces is not None and not selects(
                namespaces, {"kubernetes.io/metadata.name": NAMESPACE}
            ):
                continue
            if selects(peer.get("podSelector", {}), labels):
                return True
    return False


def check_service_urls(
    case: str,
    name: str,
    env: dict[str, str],
    labels: dict[str, str],
    by_kind: dict[str, dict[str, dict]],
) -> None:
    """A variable naming another service of the release (ESTOSPACES_BOOKING__PROPERTY_URL,
    ESTOSPACES_MODERATION__REVIEW_URL, ESTOSPACES_AUTH__IDENTITY_URL, the gateway's upstreams,
    ...) names a rendered Service and one of its ports, the pod's NetworkPolicy lets it reach
    that service's pods on it, and that service's NetworkPolicy lets the pod (`labels`) in: a
    call needs both ends open."""
    for variable, value in env.items():
        match = SERVICE_URL.match(value)
        if not match:
            continue
        target, port = match.group(1), int(match.group(3))
        service = by_kind.get("Service", {}).get(target)
        if service is None:
            problem(case, f"{name}: {variable}={value} names no Service of the release")
            continue
        by_port = {p["port"]: p for p in service["spec"]["ports"]}
        if port not in by_port:
            problem(case, f"{name}: {variable}={value}: Service {target} has no port {port}")
            continue
        policy = by_kind.get("NetworkPolicy", {}).get(name)
        if policy is None:
            continue
        # The NetworkPolicy allows the target's container port, which for these Services is
        # the same number (targetPort is the port's name).
        if not reaches(policy, service["spec"]["selector"], port):
            problem(
                case,
                f"{name}: {variable} names {target}, but its NetworkPolicy allows no egress "
                f"there (list it in services.<name>.calls)",
            )
        target_policy = by_kind.get("NetworkPolicy", {}).get(target)
        if target_policy is not None and not admits(target_policy, port, labels):
            problem(
                case,
                f"{name}: {variable} names {target}, but {target}'s NetworkPolicy admits no "
                f"ingress from {name} on port {port}",
            )


def check_calls(case: str, by_kind: dict[str, dict[str, dict]]) -> None:
    """Each call in CALLS between two rendered services is allowed out of the caller and into
    the callee, on the callee's Service port."""
    deployments = by_kind.get("Deployment", {})
    policies = by_kind.get("NetworkPolicy", {})
    services = by_kind.get("Service", {})
    for caller, callees in CALLS.items():
        name = f"{RELEASE}-{caller}"
        if name not in deployments or name not in policies:
            continue
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        for callee in callees:
            target = f"{RELEASE}-{callee}"
            if target not in services or target not in policies:
                continue
            selector = services[target]["spec"]["selector"]
            ports = services[target]["spec"]["ports"]
            port = next(p["port"] for p in ports if p["name"] == "grpc")
            if not reaches(policies[name], selector, port):
                problem(
                    case,
                    f"{name} calls {target}, but its NetworkPolicy allows no egress there "
                    f"(list {callee} in services.{caller}.calls)",
                )
            if not admits(policies[target], port, labels):
                problem(
                    case, f"{name} calls {target}, but {target}'s NetworkPolicy does not admit it"
                )


def check_invariants(case: str, manifests: list[dict]) -> None:
    by_kind: dict[str, dict[str, dict]] = {}
    for m in manifests:
        by_kind.setdefault(m["kind"], {})[m["metadata"]["name"]] = m
    deployments = by_kind.get("Deployment", {})
    if not deployments:
        problem(case, "no Deployment rendered")
    service_roles = {
        name: d["spec"]["template"]["metadata"]["labels"]["estospaces.dev/role"]
        for name, d in deployments.items()
    }
    for name, deployment in deployments.items():
        for kind in ("Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"):
            if name not in by_kind.get(kind, {}):
                problem(case, f"Deployment {name} has no {kind} of the same name")
        pod = deployment["spec"]["template"]["spec"]
        security = pod.get("securityContext", {})
        if (
            not security.get("runAsNonRoot")
            or security.get("seccompProfile", {}).get("type") != "RuntimeDefault"
        ):
            problem(
                case, f"{name}: pod must run as non-root with the RuntimeDefault seccomp profile"
            )
        if pod.get("automountServiceAccountToken") is not False:
            problem(case, f"{name}: the service account token must not be mounted")
        for container in pod["containers"]:
            sc = container.get("securityContext", {})
            if not (
                sc.get("readOnlyRootFilesystem")
                and sc.get("allowPrivilegeEscalation") is False
                and sc.get("capabilities", {}).get("drop") == ["ALL"]
            ):
                problem(
                    case, f"{name}: container must be read-only, unprivileged, with no capabilities"
                )
            check_settings(case, name, container, by_kind.get("ConfigMap", {}))
            env = env_of(container)
            grace = int(env["ESTOSPACES_SHUTDOWN_GRACE"].rstrip("s"))
            pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {})
            if grace + pre_stop.get("seconds", 0) >= pod["terminationGracePeriodSeconds"]:
                problem(case, f"{name}: the drain does not fit terminationGracePeriodSeconds")
            if service_roles[name] == "service" and "grpc" not in container["readinessProbe"]:
                problem(case, f"{name}: a gRPC service needs a native grpc readiness probe")
            if service_roles[name] == "gateway":
                for upstream, role in service_roles.items():
                    component = deployments[upstream]["spec"]["template"]["metadata"]["labels"][
                        "app.kubernetes.io/component"
                    ]
                    key = "ESTOSPACES_GATEWAY__UPSTREAMS__" + component.upper()
                    if role == "service" and key not in env:
                        problem(case, f"{name}: no {key} for the {upstream} service")
            check_service_urls(
                case, name, env, deployment["spec"]["template"]["metadata"]["labels"], by_kind
            )
        if deployment["spec"].get("replicas") is None and name not in by_kind.get(
            "HorizontalPodAutoscaler", {}
        ):
            problem(case, f"{name}: neither replicas nor a HorizontalPodAutoscaler")
    # ServiceMonitors have no schema here, so check what matters: each selects its Service and
    # scrapes a port that Service has.
    for name, monitor in by_kind.get("ServiceMonitor", {}).items():
        service = by_kind.get("Service", {}).get(name)
        if service is None:
            problem(case, f"ServiceMonitor {name} has no Service of the same name")
            continue
        wanted = monitor["spec"]["selector"]["matchLabels"]
        labels = service["metadata"]["labels"]
        if any(labels.get(k) != v for k, v in wanted.items()):
            problem(case, f"ServiceMonitor {name} does not select its Service")
        ports = {p["name"] for p in service["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint["port"] not in ports:
                problem(
                    case,
                    f"ServiceMonitor {name} scrapes port {endpoint['port']!r}, not on the Service",
                )
    check_calls(case, by_kind)
    if f"{RELEASE}-default-deny" not in by_kind.get("NetworkPolicy", {}):
        problem(case, "no default-deny NetworkPolicy")
    monitors = len(by_kind.get("ServiceMonitor", {}))
    print(f"  invariants: checked {len(deployments)} deployments, {monitors} service monitors")


def check_case(case: str, values: dict | None) -> list[dict]:
    print(f"== {case}")
    lint(case, values)
    try:
        manifests = render(values)
    except helm.HelmError as err:
        problem(case, f"render failed: {err}")
        return []
    validate(case, manifests)
    check_invariants(case, manifests)
    return manifests


def expect_refused(case: str, values: dict, why: str) -> None:
    print(f"== refuses {case}")
    try:
        render(values)
    except helm.HelmError as err:
        message = str(err)
        if why in message:
            print(f"  refused: {message.strip().splitlines()[-1].strip()}")
            return
        problem(case, f"refused for another reason than {why!r}: {message}")
        return
    problem(case, "rendered; the chart should have refused these values")


def main() -> int:
    production = yaml.safe_load((CHART / "examples" / "values-production.yaml").read_text())
    check_case("default values", None)
    manifests = check_case("examples/values-production.yaml", production)
    if manifests and not any(m["kind"] == "ServiceMonitor" for m in manifests):
        problem("examples/values-production.yaml", "no ServiceMonitor rendered")
    added = check_case(
        "a service added by a values block alone",
        {"services": {"example": {"binary": "estospaces-example"}}},
    )
    if added and not any(m["metadata"]["name"] == f"{RELEASE}-example" for m in added):
        problem("a service added by a values block alone", "the new service did not render")

    check_case(
        "development values: inline secrets, calls, a LoadBalancer gateway",
        {
            "kafka": {"brokers": "kafka:9092"},
            "redis": {"url": "redis://redis:6379/0"},
            "services": {
                "identity": {
                    "replicas": 2,
                    "database": {"url": "postgres://identity@postgres:5432/identity"},
                    # Not a key: rendering only needs the PEM's shape.
                    "signingKey": {
                        "pem": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
                    },
                    "config": {"request_timeout": "10s", "identity": {"access_token_ttl": "10m"}},
                },
                "profile": {
                    "database": {"url": "postgres://profile@postgres:5432/profile"},
                    "calls": ["identity", "media"],
                    "env": {"ESTOSPACES_REQUEST_TIMEOUT": "10s"},
                },
                # Files in S3 named in the config file: several replicas may share them.
                "media": {
                    "replicas": 2,
                    "database": {"url": "postgres://media@postgres:5432/media"},
                    "config": {
                        "media": {"store_url": "s3://media/dev", "s3_endpoint": "http://minio:9000"}
                    },
                },
                # Several replicas on one database, its own table in the config file: streams on
                # other replicas than the writer's poll, so the poll is shorter here.
                "messaging": {
                    "replicas": 2,
                    "database": {"url": "postgres://messaging@postgres:5432/messaging"},
                    "config": {"messaging": {"stream_poll_interval": "2s"}},
                },
                # Several replicas on one database, each looking for reviews whose window
                # closed: every review is published once whichever replica finds it.
                "review": {
                    "replicas": 2,
                    "database": {"url": "postgres://review@postgres:5432/review"},
                    "config": {"review": {"release_check_interval": "30s"}},
                },
                "moderation": {
                    "replicas": 2,
                    "database": {"url": "postgres://moderation@postgres:5432/moderation"},
                    "config": {"moderation": {"hold_threshold": 60}},
                },
                "gateway": {"service": {"type": "LoadBalancer"}},
            },
        },
    )

    expect_refused(
        'replicas: "two"',
        {"services": {"identity": {"replicas": "two"}}},
        "got string, want integer",
    )
    expect_refused(
        "a misspelt key",
        {"services": {"identity": {"replica": 2}}},
        "additional properties 'replica' not allowed",
    )
    expect_refused(
        "a drain longer than the grace period",
        {"services": {"identity": {"shutdownGraceSeconds": 60}}},
        "terminationGracePeriodSeconds",
    )
    expect_refused(
        "a call to a service that is not enabled",
        {"services": {"profile": {"calls": ["nowhere"]}}},
        "not an enabled service",
    )
    expect_refused(
        "several media replicas on per-pod files",
        {
            "services": {
                "media": {
                    "replicas": 2,
                    "database": {"url": "postgres://media@postgres:5432/media"},
                }
            }
        },
        "without an S3 store",
    )
    expect_refused(
        "several replicas on per-pod SQLite",
        {"services": {"identity": {"replicas": 3}}},
        "without a database",
    )

    if problems:
        print(f"\nhelm check FAILED: {len(problems)} problem(s)")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("\nhelm check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
