{{/*
Names, labels and the per-service values every template shares.

Templates range over `.Values.services`; for each entry they call `estospaces.service`, which
returns the entry laid over `.Values.defaults` (so a service block only says how it differs), and
skip the ones that are not enabled.
*/}}

{{- define "estospaces.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* `<release>-<chart>`, or just the release name when it already contains the chart name. */}}
{{- define "estospaces.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A service's values: `.Values.defaults` overlaid with `.Values.services.<name>`.
Call with (list $ "<name>"); returns YAML for `fromYaml`.
*/}}
{{- define "estospaces.service" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $own := index $root.Values.services $name | default dict }}
{{- $merged := mergeOverwrite (deepCopy $root.Values.defaults) (deepCopy $own) }}
{{- $_ := set $merged "name" $name }}
{{- /* A URL setting of another service (`serviceUrls`) is a call: the NetworkPolicies open it. */}}
{{- $calls := $merged.calls | default list }}
{{- range $variable, $target := $merged.serviceUrls | default dict }}
{{- if and $target (not (has $target $calls)) (index $root.Values.services $target) }}
{{- $t := mergeOverwrite (deepCopy $root.Values.defaults) (deepCopy (index $root.Values.services $target)) }}
{{- if $t.enabled }}
{{- $calls = append $calls $target }}
{{- end }}
{{- end }}
{{- end }}
{{- $_ := set $merged "calls" $calls }}
{{- toYaml $merged }}
{{- end }}

{{/* The enabled services' names, sorted, as a YAML list (for `fromYamlArray`). */}}
{{- define "estospaces.enabledServices" -}}
{{- $enabled := list }}
{{- range $name := keys .Values.services | sortAlpha }}
{{- $s := include "estospaces.service" (list $ $name) | fromYaml }}
{{- if $s.enabled }}
{{- $enabled = append $enabled $name }}
{{- end }}
{{- end }}
{{- toYaml $enabled }}
{{- end }}

{{/* A service's resource name: `<fullname>-<service>`. Call with (list $ "<name>"). */}}
{{- define "estospaces.serviceFullname" -}}
{{- printf "%s-%s" (include "estospaces.fullname" (index . 0)) (index . 1) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "estospaces.chartLabel" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource of the release. */}}
{{- define "estospaces.labels" -}}
helm.sh/chart: {{ include "estospaces.chartLabel" . }}
app.kubernetes.io/name: {{ include "estospaces.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: estospaces
{{- end }}

{{/* Selects every pod of the release. */}}
{{- define "estospaces.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "estospaces.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selects one service's pods. Call with (list $ "<name>"). */}}
{{- define "estospaces.selectorLabels" -}}
{{ include "estospaces.releaseSelectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Labels on one service's resources. Call with (list $ $service). */}}
{{- define "estospaces.serviceLabels" -}}
{{- $root := index . 0 }}
{{- $s := index . 1 }}
{{- include "estospaces.labels" $root }}
app.kubernetes.io/component: {{ $s.name }}
estospaces.dev/role: {{ $s.role }}
{{- end }}

{{- define "estospaces.image" -}}
{{- $image := .Values.image }}
{{- $ref := printf "%s/%s" $image.registry $image.repository | trimPrefix "/" }}
{{- if $image.digest }}
{{- printf "%s@%s" $ref $image.digest }}
{{- else }}
{{- printf "%s:%s" $ref (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* The in-cluster gRPC URL of a service: http://<service>.<namespace>.svc:<port>. (list $ "<name>") */}}
{{- define "estospaces.serviceUrl" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $s := include "estospaces.service" (list $root $name) | fromYaml }}
{{- /* With `tls.enabled` the services' gRPC ports speak TLS only; the gateway's stays plain. */}}
{{- $scheme := ternary "https" "http" (and $root.Values.tls.enabled (eq $s.role "service")) }}
{{- printf "%s://%s.%s.svc:%v" $scheme (include "estospaces.serviceFullname" (list $root $name)) $root.Release.Namespace $s.port }}
{{- end }}

{{/* Where services fetch the key set and token revocations: `auth.identityUrl`, else this release's identity service. */}}
{{- define "estospaces.identityUrl" -}}
{{- if .Values.auth.identityUrl }}
{{- .Values.auth.identityUrl }}
{{- else if has "identity" (include "estospaces.enabledServices" . | fromYamlArray) }}
{{- include "estospaces.serviceUrl" (list . "identity") }}
{{- end }}
{{- end }}

{{/* Whether a service has a PostgreSQL URL ("true" or ""). (service values) */}}
{{- define "estospaces.hasDatabase" -}}
{{- if or .database.existingSecret .database.url }}true{{ end }}
{{- end }}

{{/* The in-cluster broker's Service name (kafka.inCluster). */}}
{{- define "estospaces.kafkaFullname" -}}
{{- printf "%s-kafka" (include "estospaces.fullname" .) }}
{{- end }}

{{/* Whether the release runs its own broker ("true" or ""). */}}
{{- define "estospaces.kafkaInCluster" -}}
{{- if and .Values.kafka.inCluster.enabled (not .Values.kafka.brokers) }}true{{ end }}
{{- end }}

{{/* The bootstrap servers services get: `kafka.brokers`, else the in-cluster broker's, else "". */}}
{{- define "estospaces.kafkaBrokers" -}}
{{- if .Values.kafka.brokers }}
{{- .Values.kafka.brokers }}
{{- else if .Values.kafka.inCluster.enabled }}
{{- printf "%s.%s.svc:%v" (include "estospaces.kafkaFullname" .) .Release.Namespace .Values.kafka.inCluster.port }}
{{- end }}
{{- end }}

{{/* Whether a service gets Kafka brokers. (list $ $service) */}}
{{- define "estospaces.usesKafka" -}}
{{- if and (index . 1).kafka (include "estospaces.kafkaBrokers" (index . 0)) }}true{{ end }}
{{- end }}

{{/* The enabled services with `kafka: true`, sorted, as a YAML list. */}}
{{- define "estospaces.kafkaServices" -}}
{{- $names := list }}
{{- range $name := include "estospaces.enabledServices" . | fromYamlArray }}
{{- $s := include "estospaces.service" (list $ $name) | fromYaml }}
{{- if $s.kafka }}
{{- $names = append $names $name }}
{{- end }}
{{- end }}
{{- toYaml $names }}
{{- end }}

{{/*
Release-wide checks (called once, from deployment.yaml). Services that exchange events must share
a broker: without one each pod keeps its own embedded event log and nothing it publishes reaches
another service, silently.
*/}}
{{- define "estospaces.validateRelease" -}}
{{- $kafka := include "estospaces.kafkaServices" . | fromYamlArray }}
{{- if and (gt (len $kafka) 1) (not (include "estospaces.kafkaBrokers" .)) }}
{{- fail (printf "kafka: %d enabled services publish or consume events (%s), but kafka.brokers is empty and kafka.inCluster.enabled is false: each pod would keep its own embedded event log and no event would reach another service (search, the booking and payment saga, notifications). Set kafka.brokers to your Kafka's bootstrap servers, or kafka.inCluster.enabled=true for a single-node broker in the release" (len $kafka) (join ", " $kafka)) }}
{{- end }}
{{- end }}

{{/* Whether a service gets a Redis URL. (list $ $service) */}}
{{- define "estospaces.usesRedis" -}}
{{- $redis := (index . 0).Values.redis }}
{{- if and (index . 1).redis (or $redis.existingSecret $redis.url) }}true{{ end }}
{{- end }}

{{/* Whether a service mounts a signing key. (service values) */}}
{{- define "estospaces.hasSigningKey" -}}
{{- with .signingKey }}{{ if or .existingSecret .pem }}true{{ end }}{{ end }}
{{- end }}

{{/* Whether the chart creates a Secret for a service (a database URL or signing key in values). */}}
{{- define "estospaces.createsSecret" -}}
{{- if and .database.url (not .database.existingSecret) }}true{{ end }}
{{- with .signingKey }}{{ if and .pem (not .existingSecret) }}true{{ end }}{{ end }}
{{- end }}

{{/*
Whether the media service keeps its files where every replica sees them ("true" or ""): an
`s3://` media.store_url in `env` (which wins) or `config`, or one `extraEnv` sets (from a Secret,
say: trusted). Unset, the files are in the pod's data emptyDir. (service values)
*/}}
{{- define "estospaces.mediaSharedStore" -}}
{{- $store := index .env "ESTOSPACES_MEDIA__STORE_URL" | default (dig "media" "store_url" "" .config) | toString }}
{{- $fromExtraEnv := false }}
{{- range .extraEnv }}
{{- if eq .name "ESTOSPACES_MEDIA__STORE_URL" }}
{{- $fromExtraEnv = true }}
{{- end }}
{{- end }}
{{- if or $fromExtraEnv (hasPrefix "s3://" $store) }}true{{ end }}
{{- end }}

{{/* Checks that hold across values and that JSON Schema cannot express. (list $ $service) */}}
{{- define "estospaces.validate" -}}
{{- $root := index . 0 }}
{{- $s := index . 1 }}
{{- $needed := add $s.preStopSleepSeconds $s.shutdownGraceSeconds }}
{{- if le (int $s.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "services.%s: terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds + shutdownGraceSeconds (%v), or in-flight calls are killed mid-drain" $s.name $s.terminationGracePeriodSeconds $needed) }}
{{- end }}
{{- if eq (int $s.port) (int $s.metricsPort) }}
{{- fail (printf "services.%s: port and metricsPort must differ" $s.name) }}
{{- end }}
{{- if and (eq $s.role "service") (not (include "estospaces.hasDatabase" $s)) (or $s.autoscaling.enabled (gt (int $s.replicas) 1)) }}
{{- fail (printf "services.%s: without a database (services.%s.database) each replica keeps its own SQLite file in an emptyDir, so more than one replica would split its data; set a database or run one replica" $s.name $s.name) }}
{{- end }}
{{- if and (eq $s.name "media") (not (include "estospaces.mediaSharedStore" $s)) (or $s.autoscaling.enabled (gt (int $s.replicas) 1)) }}
{{- fail "services.media: without an S3 store (ESTOSPACES_MEDIA__STORE_URL=s3://bucket[/prefix] in services.media.env, or media.store_url in its config) the files stay in each pod's own emptyDir, so more than one replica would serve some files and not others; set an S3 store or run one replica" }}
{{- end }}
{{- $enabled := include "estospaces.enabledServices" $root | fromYamlArray }}
{{- range $variable, $target := $s.serviceUrls }}
{{- if and $target (not (index $root.Values.services $target)) }}
{{- fail (printf "services.%s.serviceUrls.%s names %q, which is not a service of the chart" $s.name $variable $target) }}
{{- end }}
{{- end }}
{{- range $s.calls }}
{{- if not (has . $enabled) }}
{{- fail (printf "services.%s.calls names %q, which is not an enabled service" $s.name .) }}
{{- end }}
{{- end }}
{{- end }}
