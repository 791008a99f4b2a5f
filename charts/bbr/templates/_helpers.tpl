{{/* Chart name, overridable. */}}
{{- define "bbr.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of every object: fullnameOverride, else the release name when it already contains the
chart name (release "bbr" gives "bbr"), else "<release>-<chart>".
*/}}
{{- define "bbr.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bbr.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bbr.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bbr.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bbr.labels" -}}
helm.sh/chart: {{ include "bbr.chart" . }}
{{ include "bbr.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: body-based-router
app.kubernetes.io/part-of: igw
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The container image: repository:tag, the tag defaulting to the chart's appVersion; with a digest,
repository:tag@digest, or repository@digest when no tag is given.
*/}}
{{- define "bbr.image" -}}
{{- $img := .Values.image }}
{{- if $img.digest }}
{{- if $img.tag }}
{{- printf "%s:%s@%s" $img.repository $img.tag $img.digest }}
{{- else }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- end }}
{{- else }}
{{- printf "%s:%s" $img.repository ($img.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "bbr.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bbr.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Gateway's namespace, where the glue lives. */}}
{{- define "bbr.gatewayNamespace" -}}
{{- default .Release.Namespace .Values.gateway.namespace }}
{{- end }}

{{/* The Service's cluster DNS name. */}}
{{- define "bbr.serviceHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "bbr.fullname" .) .Release.Namespace }}
{{- end }}

{{/* appProtocol of the gRPC port. */}}
{{- define "bbr.appProtocol" -}}
{{- if .Values.service.appProtocol }}
{{- .Values.service.appProtocol }}
{{- else if .Values.secureServing }}
{{- "HTTP2" }}
{{- else }}
{{- "kubernetes.io/h2c" }}
{{- end }}
{{- end }}

{{/* Whether the ConfigMap watch (and so its RBAC) is on. */}}
{{- define "bbr.watchConfigMaps" -}}
{{- if ne (toString .Values.adapters.configMaps) "false" }}true{{ end }}
{{- end }}

{{/* Checks across values that the schema cannot express; fails the render with the fix. */}}
{{- define "bbr.validate" -}}
{{- if and .Values.tls.secretName (not .Values.secureServing) }}
{{- fail "tls.secretName is set but secureServing is false; set secureServing=true or drop tls.secretName" }}
{{- end }}
{{- $op := .Values.provider.istio.envoyFilter.operation }}
{{- if and (eq .Values.provider.name "istio") (has $op (list "INSERT_BEFORE" "INSERT_AFTER" "REPLACE")) (not .Values.provider.istio.envoyFilter.anchorSubFilter) }}
{{- fail (printf "provider.istio.envoyFilter.operation %s needs provider.istio.envoyFilter.anchorSubFilter (the HTTP filter to insert relative to, e.g. envoy.filters.http.router)" $op) }}
{{- end }}
{{- if and (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) }}
{{- fail "serviceAccount.name is required when serviceAccount.create is false" }}
{{- end }}
{{- end }}
