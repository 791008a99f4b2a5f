{{- define "gie.name" -}}
{{- $base := .Release.Name | lower | trim | trunc 40 -}}
{{ $base }}-epp
{{- end -}}
