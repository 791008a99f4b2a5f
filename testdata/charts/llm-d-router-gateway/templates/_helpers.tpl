{{- define "llm-d-router.name" -}}
{{- $base := .Release.Name | lower | trim | trunc 40 -}}
{{ $base }}-epp
{{- end -}}

{{/* The real chart refuses the inference extension chart's top-level keys (routerlib's
"llm-d-router.validations.deprecations"), with these messages. */}}
{{- define "llm-d-router.validations" -}}
{{- if .Values.inferenceExtension }}
{{- fail "Top-level 'inferenceExtension' is deprecated. Please migrate your values to 'router.epp' and other 'router.*' fields." }}
{{- end }}
{{- if .Values.inferencePool }}
{{- fail "Top-level 'inferencePool' is deprecated. Please migrate your values to 'router.modelServers' and 'router.inferencePool'." }}
{{- end }}
{{- if .Values.experimentalHttpRoute }}
{{- fail "Top-level 'experimentalHttpRoute' is deprecated. Please migrate your values to 'httpRoute'." }}
{{- end }}
{{- if .Values.inferenceObjectives }}
{{- fail "Top-level 'inferenceObjectives' is deprecated. Please migrate your values to 'router.inferenceObjectives'." }}
{{- end }}
{{- if not .Values.router.modelServers.matchLabels }}
{{- fail ".Values.router.modelServers.matchLabels is required" }}
{{- end }}
{{- end -}}
