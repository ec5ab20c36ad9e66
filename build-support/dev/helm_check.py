"""Checks the Helm chart the way CI does; run through helm-check.sh, which provides the tools.

For the default values, the production example and a service added by a values block alone:
lints the chart (strict, Kubernetes 1.31), renders it, validates every manifest against the
Kubernetes 1.31 schemas with `kubernetes-validate --strict`, and checks what the chart promises
(hardened pods, a Service, ServiceAccount, PodDisruptionBudget and NetworkPolicy per service, a
drain that fits the grace period, gateway upstreams, configuration names each binary reads, URLs
of other services of the release that name a rendered Service the pod may reach and whose
NetworkPolicy admits the pod, the calls services need open at both ends). The default values
and the production example are also rendered as release `other`: every URL and Kafka bootstrap
server naming one of the release's hosts must name a Service of that render. Further: the topic
Job (hook, replication, every event service's topic, the property topic kept), Gateway API routes
and the `helm test` pod leading to a rendered Service port, headless Services, the chart's
dashboards (JSON) and alert rules (groups, alert, expr, runbook), and no credential inline in
production. Then checks that bad values are refused, a multi-service install without Kafka
among them.
Exits non-zero on the first kind of failure found, after printing every problem.
"""

from __future__ import annotations

import json
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
# The release's resource prefix (`estospaces.fullname`): the release name when it contains the
# chart's name, `<release>-estospaces` otherwise. Set per case by check_case.
PREFIX = RELEASE
NAMESPACE = "estospaces"
# Custom resources have no schema in kubernetes-validate: they are checked by the invariants
# below only, and skipped explicitly so an unknown kind elsewhere still fails. Gateway API routes
# (HTTPRoute, GRPCRoute) and prometheus-operator's ServiceMonitor and PrometheusRule.
CRD_GROUPS = ("monitoring.coreos.com/", "gateway.networking.k8s.io/")
# Kinds whose pods the chart renders: all of them must be hardened.
POD_KINDS = ("Deployment", "StatefulSet", "Job", "Pod")

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
            "TLS__CERT_FILE",
            "TLS__KEY_FILE",
            "TLS__CLIENT_CA_FILE",
            "TLS__CA_FILE",
            "TLS__CLIENT_CERT_FILE",
            "TLS__CLIENT_KEY_FILE",
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
    "tls",
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


def render(values: dict | None, release: str = RELEASE) -> list[dict]:
    rendered = helm.Chart.load(str(CHART)).render(
        values, name=release, namespace=NAMESPACE, is_install=True
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
    "leads": ("property", "profile"),
    "messaging": ("property",),
    "moderation": ("identity", "property", "review"),
    "project": ("property",),
    "review": ("property",),
}


def service_url() -> re.Pattern[str]:
    """A URL naming a Service of the release: http[s]://<prefix>-<name>[.<namespace>.svc]:<port>."""
    return re.compile(rf"^https?://({re.escape(PREFIX)}-[a-z0-9-]+)(\.[a-z0-9.-]+)?:(\d+)/?$")


# Any URL or host:port in a rendered string: the host's first label and the port.
ANY_URL = re.compile(r"(?:https?|tcp)://([a-z0-9][a-z0-9-]*)(?:\.[a-z0-9.-]+)?(?::(\d+))?")


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
        match = service_url().match(value)
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
        name = f"{PREFIX}-{caller}"
        if name not in deployments or name not in policies:
            continue
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        for callee in callees:
            target = f"{PREFIX}-{callee}"
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


def pod_spec(manifest: dict) -> dict:
    if manifest["kind"] == "Pod":
        return manifest["spec"]
    return manifest["spec"]["template"]["spec"]


def strings_in(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings_in(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings_in(value)]
    return []


def check_other_pods(case: str, by_kind: dict[str, dict[str, dict]]) -> None:
    """The broker, the topic Job and the test pod are hardened like the services' pods."""
    for kind in POD_KINDS[1:]:
        for name, manifest in by_kind.get(kind, {}).items():
            pod = pod_spec(manifest)
            security = pod.get("securityContext", {})
            if (
                not security.get("runAsNonRoot")
                or security.get("seccompProfile", {}).get("type") != "RuntimeDefault"
                or pod.get("automountServiceAccountToken") is not False
            ):
                problem(case, f"{kind} {name}: pod must run as non-root, RuntimeDefault, no token")
            for container in pod["containers"]:
                sc = container.get("securityContext", {})
                if not (
                    sc.get("readOnlyRootFilesystem")
                    and sc.get("allowPrivilegeEscalation") is False
                    and sc.get("capabilities", {}).get("drop") == ["ALL"]
                ):
                    problem(case, f"{kind} {name}: container must be read-only and unprivileged")


def check_urls_name_services(case: str, manifests: list[dict], by_kind) -> None:
    """Every URL (http://, tcp://) and Kafka bootstrap server in the render whose host is one of
    the release's names (`<prefix>-...`) or the default release's (`estospaces-...`) names a
    rendered Service and one of its ports: whatever the release is called, services reach each
    other."""
    services = by_kind.get("Service", {})
    prefixes = (f"{PREFIX}-", "estospaces-")
    for m in manifests:
        where = f"{m['kind']} {m['metadata']['name']}"
        found: list[tuple[str, str | None]] = []
        for text in strings_in(m.get("spec", {})):
            found.extend(ANY_URL.findall(text))
        for kind in POD_KINDS:
            if m["kind"] != kind:
                continue
            for container in pod_spec(m)["containers"]:
                brokers = env_of(container).get("ESTOSPACES_KAFKA_BROKERS") or env_of(
                    container
                ).get("BROKERS")
                for server in (brokers or "").split(","):
                    if ":" in server:
                        host, port = server.rsplit(":", 1)
                        found.append((host.split(".")[0], port))
        for host, port in found:
            if not host.startswith(prefixes):
                continue
            service = services.get(host)
            if service is None:
                problem(case, f"{where}: {host} names no Service of the release")
            elif port and int(port) not in {p["port"] for p in service["spec"]["ports"]}:
                problem(case, f"{where}: Service {host} has no port {port}")


def check_kafka_egress(case: str, by_kind) -> None:
    """A pod whose brokers are the release's own broker may reach it, and the broker admits it."""
    services = by_kind.get("Service", {})
    policies = by_kind.get("NetworkPolicy", {})
    for name, d in by_kind.get("Deployment", {}).items():
        for container in d["spec"]["template"]["spec"]["containers"]:
            brokers = env_of(container).get("ESTOSPACES_KAFKA_BROKERS", "")
            for server in filter(None, brokers.split(",")):
                host, port = server.rsplit(":", 1)
                broker = services.get(host.split(".")[0])
                if broker is None or name not in policies:
                    continue
                labels = d["spec"]["template"]["metadata"]["labels"]
                if not reaches(policies[name], broker["spec"]["selector"], int(port)):
                    problem(case, f"{name}: its NetworkPolicy allows no egress to {server}")
                target = policies.get(broker["metadata"]["name"])
                if target is not None and not admits(target, int(port), labels):
                    problem(case, f"{name}: {server}'s NetworkPolicy does not admit it")


# A line of the topic Job's script: ensure TOPIC PARTITIONS REPLICATION CONFIGS (the names are
# build-support/events' `topic_for` and `dead_letter_topic`).
ENSURE = re.compile(r"^\s*ensure '([^']+)' (\d+) (\d+) '([^']*)'", re.MULTILINE)


def check_topics(case: str, by_kind, expect: dict | None) -> None:
    """With Kafka, a hook Job creates each publishing service's topic with explicit partitions,
    replication and retention; the property topic keeps its events (unlimited retention or
    compaction). `expect`: {"hook": ..., "replication": ...} to check, or None for no Job."""
    with_kafka = {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in by_kind.get("Deployment", {}).values()
        if any(
            "ESTOSPACES_KAFKA_BROKERS" in env_of(c)
            for c in d["spec"]["template"]["spec"]["containers"]
        )
    }
    job = by_kind.get("Job", {}).get(f"{PREFIX}-kafka-topics")
    if expect is None:
        if job is not None:
            problem(case, "a topic Job rendered without Kafka")
        return
    if job is None:
        problem(case, "Kafka is configured but no topic Job is rendered")
        return
    hook = job["metadata"].get("annotations", {}).get("helm.sh/hook")
    if hook != expect["hook"]:
        problem(case, f"topic Job: hook {hook!r}, expected {expect['hook']!r}")
    script = "\n".join(job["spec"]["template"]["spec"]["containers"][0]["args"])
    topics = {name: (int(p), int(r), cfg) for name, p, r, cfg in ENSURE.findall(script)}
    for component in sorted(with_kafka):
        if f"estospaces.{component}.v1" not in topics:
            problem(case, f"topic Job does not create estospaces.{component}.v1")
    for name, (partitions, replication, configs) in topics.items():
        wrong_replication = replication != expect["replication"]
        if partitions < 1 or wrong_replication or "retention.ms=" not in configs:
            problem(
                case,
                f"topic Job: {name}: {partitions} partitions, replication {replication} "
                f"(expected {expect['replication']}), {configs!r}",
            )
    prop = topics.get("estospaces.property.v1")
    if prop and not (
        "retention.ms=-1" in prop[2].split(",") or "cleanup.policy=compact" in prop[2]
    ):
        problem(
            case,
            "topic Job: estospaces.property.v1 must keep its events (retention.ms=-1 or "
            "cleanup.policy=compact): search rebuilds from it",
        )
    if topics:
        replication = expect["replication"]
        print(f"  topics: {len(topics)} created by a {hook} Job, replication {replication}")


def check_routes_and_tests(case: str, by_kind) -> None:
    """Gateway API routes lead to a rendered Service port; `helm test` calls the gateway."""
    services = by_kind.get("Service", {})
    for kind in ("HTTPRoute", "GRPCRoute"):
        for name, route in by_kind.get(kind, {}).items():
            if not route["spec"].get("parentRefs"):
                problem(case, f"{kind} {name}: no parentRefs")
            for rule in route["spec"]["rules"]:
                for ref in rule["backendRefs"]:
                    service = services.get(ref["name"])
                    if service is None or ref["port"] not in {
                        p["port"] for p in service["spec"]["ports"]
                    }:
                        problem(case, f"{kind} {name}: backend {ref['name']}:{ref['port']} "
                                      "is not a rendered Service port")
    for name, service in services.items():
        if service["spec"].get("clusterIP") == "None":
            main = services.get(name.removesuffix("-headless"))
            if main is None or main["spec"]["selector"] != service["spec"]["selector"]:
                problem(case, f"headless Service {name} does not select its service's pods")
    tests = [
        pod for pod in by_kind.get("Pod", {}).values()
        if pod["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"
    ]
    gateway = f"{PREFIX}-gateway"
    if gateway in by_kind.get("Deployment", {}):
        calls = [
            arg for pod in tests for c in pod["spec"]["containers"] for arg in c.get("args", [])
            if arg.startswith(f"http://{gateway}.")
        ]
        if not calls:
            problem(case, "no `helm test` pod (helm.sh/hook: test) calling the gateway")
        else:
            print(f"  helm test: {', '.join(calls)}")


def check_chart_files(case: str, by_kind, metrics: bool) -> None:
    """Dashboards parse as JSON and alerts are rule groups whose rules have alert, expr and a
    runbook; with `metrics`, each becomes a ConfigMap / the PrometheusRule's groups."""
    dashboards = sorted((CHART / "dashboards").glob("*.json"))
    for path in dashboards:
        try:
            json.loads(path.read_text())
        except json.JSONDecodeError as err:
            problem(case, f"{path.relative_to(ROOT)}: not JSON: {err}")
    groups = []
    for path in sorted((CHART / "alerts").glob("*.yaml")):
        where = path.relative_to(ROOT)
        try:
            loaded = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            problem(case, f"{where}: not YAML: {err}")
            continue
        if not isinstance(loaded, list):
            problem(case, f"{where}: must be a YAML list of rule groups")
            continue
        for group in loaded:
            if not isinstance(group, dict) or not group.get("name") or not group.get("rules"):
                problem(case, f"{where}: a group without name or rules")
                continue
            groups.append(group["name"])
            for rule in group["rules"]:
                if "record" in rule:
                    continue
                annotations = rule.get("annotations", {})
                if not rule.get("alert") or not rule.get("expr") or not (
                    annotations.get("runbook_url") or annotations.get("runbook")
                ):
                    problem(case, f"{where}: group {group['name']}: rule "
                                  f"{rule.get('alert')!r} needs alert, expr and a runbook_url")
    if not metrics:
        return
    maps = [
        m for m in by_kind.get("ConfigMap", {}).values()
        if m["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    if len(maps) != len(dashboards):
        problem(case, f"{len(dashboards)} dashboards but {len(maps)} dashboard ConfigMaps")
    rules = list(by_kind.get("PrometheusRule", {}).values())
    rendered = [g["name"] for r in rules for g in r["spec"]["groups"]]
    if sorted(rendered) != sorted(groups):
        problem(case, f"PrometheusRule groups {rendered} are not the alerts files' {groups}")
    print(f"  metrics: {len(maps)} dashboard ConfigMaps, {len(rendered)} rule groups")


# Variables that carry credentials: in production they must come from a Secret (valueFrom).
SECRET_ENV = re.compile(r"(SECRET|TOKEN|PASSWORD|_KEY$|DATABASE_URL|REDIS_URL|SMTP_URL)")


def check_no_inline_secrets(case: str, by_kind) -> None:
    if by_kind.get("Secret"):
        problem(case, f"Secrets made from values: {', '.join(by_kind['Secret'])}")
    for kind in POD_KINDS:
        for name, m in by_kind.get(kind, {}).items():
            for c in pod_spec(m)["containers"]:
                for e in c.get("env", []):
                    if SECRET_ENV.search(e["name"]) and "valueFrom" not in e:
                        problem(case, f"{name}: {e['name']} is inline, not from a Secret")


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
            # Over TLS (which the kubelet's gRPC probes cannot speak) check_tls wants TCP ones.
            tls = "ESTOSPACES_TLS__CERT_FILE" in env
            if (
                service_roles[name] == "service"
                and not tls
                and "grpc" not in container["readinessProbe"]
            ):
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
    check_other_pods(case, by_kind)
    check_urls_name_services(case, manifests, by_kind)
    check_kafka_egress(case, by_kind)
    check_routes_and_tests(case, by_kind)
    if f"{PREFIX}-default-deny" not in by_kind.get("NetworkPolicy", {}):
        problem(case, "no default-deny NetworkPolicy")
    monitors = len(by_kind.get("ServiceMonitor", {}))
    print(f"  invariants: checked {len(deployments)} deployments, {monitors} service monitors")


def check_tls(case: str, by_kind: dict[str, dict[str, dict]]) -> None:
    """With `tls.enabled`: every pod mounts the Secret and trusts its CA, services serve TLS
    (requiring client certificates) and are probed over TCP, and every URL of a service is
    https:// while the gateway stays plain."""
    for name, deployment in by_kind["Deployment"].items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = env_of(container)
        gateway = name.endswith("-gateway")
        secrets = [v.get("secret", {}).get("secretName") for v in pod.get("volumes", [])]
        if "estospaces-tls" not in secrets:
            problem(case, f"{name}: the TLS Secret is not mounted")
        if env.get("ESTOSPACES_TLS__CA_FILE") != "/etc/estospaces/tls/ca.crt":
            problem(case, f"{name}: ESTOSPACES_TLS__CA_FILE is not the Secret's ca.crt")
        if "ESTOSPACES_TLS__CLIENT_CERT_FILE" not in env:
            problem(case, f"{name}: presents no client certificate")
        serves_tls = "ESTOSPACES_TLS__CERT_FILE" in env
        if serves_tls == gateway:
            problem(case, f"{name}: ESTOSPACES_TLS__CERT_FILE set: {serves_tls}")
        if not gateway:
            if "ESTOSPACES_TLS__CLIENT_CA_FILE" not in env:
                problem(case, f"{name}: clientAuth set no ESTOSPACES_TLS__CLIENT_CA_FILE")
            if "grpc" in container.get("readinessProbe", {}):
                problem(case, f"{name}: a gRPC probe, which the kubelet cannot make over TLS")
        for variable, value in env.items():
            if value.startswith("http://") and service_url().match(value):
                target = service_url().match(value).group(1)
                if not target.endswith("-gateway"):
                    problem(case, f"{name}: {variable}={value} is not https://")


def kinds_of(manifests: list[dict]) -> dict[str, dict[str, dict]]:
    by_kind: dict[str, dict[str, dict]] = {}
    for m in manifests:
        by_kind.setdefault(m["kind"], {})[m["metadata"]["name"]] = m
    return by_kind


def check_case(case: str, values: dict | None, release: str = RELEASE) -> list[dict]:
    global PREFIX
    PREFIX = release if "estospaces" in release else f"{release}-estospaces"
    print(f"== {case}" + (f" (release {release!r})" if release != RELEASE else ""))
    lint(case, values)
    try:
        manifests = render(values, release)
    except helm.HelmError as err:
        problem(case, f"render failed: {err}")
        return []
    validate(case, manifests)
    check_invariants(case, manifests)
    return manifests


def expect_renders(case: str, values: dict, check) -> None:
    """Renders (no lint or schema run: a variation of a case above) and applies `check`."""
    print(f"== {case}")
    try:
        manifests = render(values)
    except helm.HelmError as err:
        problem(case, f"render failed: {err}")
        return
    check(kinds_of(manifests))


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
    manifests = check_case("default values", None)
    if manifests:
        by_kind = kinds_of(manifests)
        # Events flow between services: the release's own broker, and the topics it needs.
        if f"{PREFIX}-kafka" not in by_kind.get("StatefulSet", {}):
            problem("default values", "no in-cluster Kafka broker (kafka.inCluster)")
        check_topics(
            "default values", by_kind, {"hook": "post-install,post-upgrade", "replication": 1}
        )
        check_chart_files("default values", by_kind, metrics=False)
    case = "examples/values-production.yaml"
    manifests = check_case(case, production)
    if manifests:
        by_kind = kinds_of(manifests)
        if not by_kind.get("ServiceMonitor"):
            problem(case, "no ServiceMonitor rendered")
        if by_kind.get("StatefulSet"):
            problem(case, "an in-cluster broker next to the external Kafka")
        check_topics(case, by_kind, {"hook": "pre-install,pre-upgrade", "replication": 3})
        check_chart_files(case, by_kind, metrics=True)
        check_no_inline_secrets(case, by_kind)
        payment = env_of(
            by_kind["Deployment"][f"{PREFIX}-payment"]["spec"]["template"]["spec"]["containers"][0]
        )
        if payment.get("ESTOSPACES_PAYMENT__PROVIDER") != "stripe" or payment.get(
            "ESTOSPACES_PAYMENT__STRIPE_SECRET_KEY"
        ) != "<from secret>":
            problem(case, "payment must use Stripe, its secret key from an existing Secret")
        leads = env_of(
            by_kind["Deployment"][f"{PREFIX}-leads"]["spec"]["template"]["spec"]["containers"][0]
        )
        if not leads.get("ESTOSPACES_LEADS__CAPTCHA_VERIFY_URL", "").startswith("https://") or (
            leads.get("ESTOSPACES_LEADS__CAPTCHA_SECRET") != "<from secret>"
        ):
            problem(
                case, "leads must verify captchas over HTTPS, its secret from an existing Secret"
            )
    # Another release name: every URL still names a Service of the render (no `estospaces-...`).
    check_case("default values", None, release="other")
    check_case("examples/values-production.yaml", production, release="other")
    added = check_case(
        "a service added by a values block alone",
        {"services": {"example": {"binary": "estospaces-example"}}},
    )
    if added and not any(m["metadata"]["name"] == f"{RELEASE}-example" for m in added):
        problem("a service added by a values block alone", "the new service did not render")

    case = "development values: inline secrets, calls, a LoadBalancer gateway, Gateway API, mesh"
    manifests = check_case(
        case,
        {
            "kafka": {"brokers": "kafka:9092", "topics": {"replicationFactor": 1}},
            "redis": {"url": "redis://redis:6379/0"},
            "gatewayApi": {
                "enabled": True,
                "parentRefs": [{"name": "public", "namespace": "gateway-system"}],
                "hostnames": ["api.example.test"],
                "grpcHostnames": ["grpc.api.example.test"],
            },
            # Per-call balancing: a mesh's sidecar, and headless Services for client-side balancing.
            "defaults": {
                "podAnnotations": {"linkerd.io/inject": "enabled"},
                "service": {"headless": True},
            },
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
                # Several replicas on one database (slots cannot overlap, one lead wins a race:
                # the database decides); anonymous inquiries checked at a captcha provider, its
                # URL in the config file, its secret inline (Turnstile's always-passing test key).
                "leads": {
                    "replicas": 2,
                    "database": {"url": "postgres://leads@postgres:5432/leads"},
                    "config": {
                        "leads": {
                            "captcha_verify_url":
                                "https://challenges.cloudflare.com/turnstile/v0/siteverify"
                        }
                    },
                    "env": {
                        "ESTOSPACES_LEADS__CAPTCHA_SECRET": "1x0000000000000000000000000000000AA"
                    },
                    "networkPolicy": {
                        "extraEgress": [{"ports": [{"port": 443, "protocol": "TCP"}]}]
                    },
                },
                # Several replicas on one database (one buyer wins a unit: the database decides).
                "project": {
                    "replicas": 2,
                    "database": {"url": "postgres://project@postgres:5432/project"},
                    "config": {"project": {"reservation_hold": "30m"}},
                },
                "gateway": {"service": {"type": "LoadBalancer"}},
            },
        },
    )
    if manifests:
        by_kind = kinds_of(manifests)
        check_topics(case, by_kind, {"hook": "pre-install,pre-upgrade", "replication": 1})
        for kind in ("HTTPRoute", "GRPCRoute"):
            if not by_kind.get(kind):
                problem(case, f"gatewayApi.enabled rendered no {kind}")
        headless = [
            n for n, s in by_kind["Service"].items() if s["spec"].get("clusterIP") == "None"
        ]
        if len(headless) != len(by_kind["Deployment"]) - 1:
            problem(case, f"service.headless: {len(headless)} headless Services, expected one "
                          "per gRPC service")

    case = "mutual TLS between the services from a TLS Secret"
    manifests = check_case(
        case,
        {
            "kafka": {"brokers": "kafka:9092"},
            "tls": {"enabled": True, "secretName": "estospaces-tls", "clientAuth": True},
        },
    )
    if manifests:
        check_tls(case, kinds_of(manifests))
    expect_refused(
        "TLS without a Secret",
        {"tls": {"enabled": True}},
        "secretName",
    )

    others = yaml.safe_load((CHART / "values.yaml").read_text())["services"].keys() - {
        "identity",
        "gateway",
    }
    expect_renders(
        "one event service without Kafka (its embedded log serves it alone)",
        {
            "kafka": {"inCluster": {"enabled": False}},
            "services": {name: {"enabled": False} for name in others},
        },
        lambda by_kind: check_topics("one event service without Kafka", by_kind, None),
    )

    expect_refused(
        "several event services without Kafka (each pod its own event log)",
        {"kafka": {"inCluster": {"enabled": False}}},
        "kafka.brokers is empty and kafka.inCluster.enabled is false",
    )
    expect_refused(
        "Gateway API routes without a Gateway to attach to",
        {"gatewayApi": {"enabled": True}},
        "gatewayApi.parentRefs",
    )
    expect_refused(
        "a GRPCRoute sharing a host name with the HTTPRoute",
        {
            "gatewayApi": {
                "enabled": True,
                "parentRefs": [{"name": "public"}],
                "hostnames": ["api.example.test"],
                "grpcHostnames": ["api.example.test"],
            }
        },
        "may not share a host name",
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
