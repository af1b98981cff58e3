{{/* Name of the chart, for labels. */}}
{{- define "faultmaven-auth.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the release's objects: the release name, unless it already contains the chart's. */}}
{{- define "faultmaven-auth.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "faultmaven-auth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "faultmaven-auth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "faultmaven-auth.labels" -}}
{{ include "faultmaven-auth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The Secret the pods read: existingSecret, else the chart's own. */}}
{{- define "faultmaven-auth.secretName" -}}
{{- default (include "faultmaven-auth.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "faultmaven-auth.image" -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}

{{/* ConfigMap data, shared by the release's ConfigMap and the migration hook's copy. */}}
{{- define "faultmaven-auth.configData" -}}
{{- range $name, $value := .Values.config }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Secret data, shared likewise; empty values are left out (unset, not ""). */}}
{{- define "faultmaven-auth.secretData" -}}
{{- range $name, $value := .Values.secrets }}
{{- if $value }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The emptyDir every pod mounts at /tmp: the only writable path (readOnlyRootFilesystem). */}}
{{- define "faultmaven-auth.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}
